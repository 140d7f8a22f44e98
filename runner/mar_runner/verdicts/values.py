"""Normalisation of verdict values, hashes and times, with errors that name the value and the fix."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from mar_runner.i18n import _
from mar_runner.verdicts.model import Verdict, make_verdict_id

RE_SHA256 = re.compile(r"^[0-9a-f]{64}$")
VERDICT_NAMES = {
    "malicious": "malicious",
    "malware": "malicious",
    "clean": "clean",
    "unknown": "unknown",
    "file unknown": "unknown",
    "lowrisk": "unknown",
    "suspicious": "suspicious",
}


class VerdictValueError(ValueError):
    """A verdict record with an unusable value; the text names the value and the fix."""


def verdict_name(value: object, field: str = "verdict") -> str:
    """Return the normalised verdict for MALICIOUS, Malware, clean, FILE UNKNOWN, ..."""
    if value is None or value == "":
        raise VerdictValueError(
            _("missing {field}: use malicious, clean, unknown or suspicious").format(field=field)
        )
    text = " ".join(str(value).split()).lower()
    if text not in VERDICT_NAMES:
        raise VerdictValueError(
            _("invalid {field} {value!r}: use malicious, clean, unknown or suspicious").format(
                field=field, value=value
            )
        )
    return VERDICT_NAMES[text]


def sha256_value(value: object) -> str:
    """Return a SHA-256 in lower case; raise VerdictValueError unless it is 64 hex digits."""
    if value is None or value == "":
        raise VerdictValueError(_("missing sha256: give the 64 hexadecimal digits of the file's SHA-256"))
    text = str(value).strip().lower()
    if not RE_SHA256.match(text):
        raise VerdictValueError(
            _("invalid sha256 {value!r}: give the 64 hexadecimal digits of the file's SHA-256").format(
                value=value
            )
        )
    return text


def observed_time(value: object) -> datetime | None:
    """Return an aware UTC time from ISO 8601 text (UTC when no offset) or epoch seconds."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        else:
            text = str(value).strip()
            if re.fullmatch(r"\d+(\.\d+)?", text):
                return datetime.fromtimestamp(float(text), tz=timezone.utc)
            moment = datetime.fromisoformat(text.replace("z", "Z"))
    except (ValueError, OverflowError, OSError):
        raise VerdictValueError(
            _("invalid observed_at {value!r}: use ISO 8601 such as 2026-01-31T09:30:00Z or epoch seconds").format(
                value=value
            )
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def id_text(value: object) -> str | None:
    """Return an event id as a string, without a float's rounding of large integers."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def optional_text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def build(
    *,
    sha256: object,
    verdict: object,
    previous_verdict: object = None,
    file_name: object = None,
    threat_name: object = None,
    observed_at: object = None,
    source: str,
    origin: str,
    event_id: object = None,
) -> Verdict:
    """Return a normalised Verdict; raise VerdictValueError naming the first bad value."""
    sha = sha256_value(sha256)
    name = verdict_name(verdict)
    previous = verdict_name(previous_verdict, "previous_verdict") if optional_text(previous_verdict) else None
    when = observed_time(observed_at)
    event = id_text(event_id)
    return Verdict(
        verdict_id=make_verdict_id(source, event, sha, name, previous, when.isoformat() if when else None),
        sha256=sha,
        verdict=name,
        previous_verdict=previous,
        file_name=optional_text(file_name),
        threat_name=optional_text(threat_name),
        observed_at=when,
        source=source,
        origin=origin,
        event_id=event,
    )
