"""One normalised record type for verdicts from every source."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

VERDICTS = ("malicious", "clean", "unknown", "suspicious")
MALICIOUS = "malicious"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verdict on a file, with where it came from.

    ``verdict_id`` is derived from the content (source, event id, SHA-256,
    verdicts, time), so reading the same file again gives the same ids.
    ``origin`` is ``FILE:LINE``. ``observed_at`` is an aware UTC datetime or
    None. ``event_id`` keeps a source's own event id as a string (Secure
    Endpoint ids exceed 2**53 and must not go through a float).
    """

    verdict_id: str
    sha256: str
    verdict: str
    previous_verdict: str | None
    file_name: str | None
    threat_name: str | None
    observed_at: datetime | None
    source: str
    origin: str
    event_id: str | None = None

    @property
    def is_malicious(self) -> bool:
        """True for the only verdict that leads to remediation."""
        return self.verdict == MALICIOUS


def make_verdict_id(*parts: object) -> str:
    """Return a stable id from the parts that identify a verdict."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
