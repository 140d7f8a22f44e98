"""AMP engine log lines ``Retrospective verdict received. SHA256: ..., Timestamp: ..., Verdict: ...``.

These lines carry no MID: they are matched to deliveries by SHA-256 alone.
The time is a fractional epoch and the Spyname may be cut off.
"""

from __future__ import annotations

import re

from mar_runner.i18n import _
from mar_runner.verdicts.model import Verdict
from mar_runner.verdicts.values import VerdictValueError, build

MARKER = "Retrospective verdict received"
RE_RETROSPECTIVE = re.compile(
    r"Retrospective verdict received\.?\s+SHA256:\s*([0-9A-Fa-f]{64})\s*,\s*"
    r"Timestamp:\s*([\d.]+)\s*,\s*Verdict:\s*([A-Za-z][A-Za-z ]*?)\s*"
    r"(?:,\s*Reputation Score:\s*(-?[\d.]+)\s*)?(?:,\s*Spyname:\s*(.*?))?\s*$"
)
SOURCE = "amp"


def verdict_from_line(text: str, origin: str) -> Verdict | None:
    """Return the verdict of a retrospective line, None for other lines; raise VerdictValueError."""
    at = text.find(MARKER)
    if at < 0:
        return None
    match = RE_RETROSPECTIVE.match(text, at)
    if match is None:
        raise VerdictValueError(
            _("malformed retrospective verdict line: expected SHA256, Timestamp and Verdict")
        )
    return build(
        sha256=match.group(1),
        verdict=match.group(3),
        threat_name=match.group(5),
        observed_at=match.group(2),
        source=SOURCE,
        origin=origin,
    )
