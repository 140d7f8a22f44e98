"""Parse the --since and --until values of the report and tracking commands."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def to_utc_text(moment: datetime) -> str:
    """Return ``moment`` in the outcome records' form: UTC, milliseconds, a Z suffix."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str, now: datetime | None = None) -> str:
    """Return the UTC time a --since or --until value means.

    Accepted: an ISO 8601 time (no offset means UTC), a date (its midnight
    UTC), or a duration back from now with unit m, h or d (``24h``, ``7d``).
    Raises ValueError for anything else.
    """
    relative = _RELATIVE.match(value)
    if relative:
        moment = (now or datetime.now(timezone.utc)) - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        return to_utc_text(moment)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return to_utc_text(parsed)
