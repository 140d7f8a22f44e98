"""Time values of tracking and verdict records."""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mar_runner.i18n import _


def parse_zone(name: str) -> tzinfo:
    """Return the time zone named like ``UTC`` or ``Asia/Tokyo``; raise ValueError with the fix."""
    if name.upper() in ("UTC", "Z"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            _("unknown time zone {name!r}: use an IANA name such as UTC or Asia/Tokyo").format(
                name=name
            )
        ) from None


def parse_iso(value: str, zone: tzinfo = timezone.utc) -> float:
    """Return UTC epoch seconds of an ISO 8601 time; a value without offset is read in ``zone``."""
    moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()
