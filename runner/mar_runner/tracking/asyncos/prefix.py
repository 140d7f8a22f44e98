"""Line prefixes of AsyncOS logs and their timestamps.

The prefix is everything before the log level (``Info:``, ``Warning:``,
...). It comes in several shapes: the native file line
(``Wed Feb 14 12:11:40 2007``), syslog with or without ``<PRI>`` and host
(``<166>Mar 17 18:24:37 host mail_logs:``), the old form with a year after
the time (``Oct 19 06:33:29 2011 host syslog_mail:``), a Splunk-forwarded
wrapper starting with the year (``2019 Sep 28 16:13:51 host mail [info]
name:nopid``) and ISO 8601 timestamps. The log name is whatever the
subscription was called, so nothing here depends on it.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone, tzinfo

LEVELS = (" Info: ", " Warning: ", " Debug: ", " Trace: ", " Critical: ", " Error: ")
MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
WEEKDAYS = frozenset(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
# A year-less timestamp up to this far ahead of the import is still taken as
# this year, so that a sender clock running slightly fast does not move a
# line back by a whole year.
FUTURE_TOLERANCE = timedelta(days=1)


class PrefixError(ValueError):
    """The text before the log level is not a timestamp this reader can parse."""


def split_level(line: str) -> tuple[str, str] | None:
    """Split a line into (prefix, message) at its log level; None when it has no level."""
    index = line.find(" Info: ")
    if index >= 0:
        return line[:index], line[index + 7 :].lstrip(" ")
    for level in LEVELS[1:]:
        index = line.find(level)
        if index >= 0:
            return line[:index], line[index + len(level) :].lstrip(" ")
    return None


class TimestampReader:
    """Parser of line prefixes into (UTC epoch seconds, host), with a small cache.

    ``zone`` is the time zone of timestamps that carry none. ``now`` is the
    time of the import: year-less timestamps get the latest year that does
    not put them in the future.
    """

    def __init__(self, zone: tzinfo = timezone.utc, now: datetime | None = None) -> None:
        self.zone = zone
        self.now = now or datetime.now(timezone.utc)
        self._cache: dict[str, tuple[float, str | None]] = {}

    def read(self, prefix: str) -> tuple[float, str | None]:
        """Return the UTC epoch seconds and the host (or None) of a prefix; raise PrefixError."""
        cached = self._cache.get(prefix)
        if cached is not None:
            return cached
        result = self._parse(prefix)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[prefix] = result
        return result

    def _parse(self, prefix: str) -> tuple[float, str | None]:
        text = prefix.strip()
        if text.startswith("<"):
            end = text.find(">")
            if end < 0 or not text[1:end].isdigit():
                raise PrefixError(prefix)
            text = text[end + 1 :]
        tokens = text.split()
        if not tokens:
            raise PrefixError(prefix)

        if "T" in tokens[0] and tokens[0][:4].isdigit() and tokens[0][4:5] == "-":
            return self._iso(tokens[0], prefix), _host(tokens[1:])
        if tokens[0] in WEEKDAYS:
            tokens = tokens[1:]
        year: int | None = None
        if tokens and len(tokens[0]) == 4 and tokens[0].isdigit():
            year = int(tokens[0])
            tokens = tokens[1:]
        if len(tokens) < 3 or tokens[0] not in MONTHS:
            raise PrefixError(prefix)
        month = MONTHS[tokens[0]]
        try:
            day = int(tokens[1])
            hour, minute, second = (int(part) for part in tokens[2].split(":"))
        except ValueError:
            raise PrefixError(prefix) from None

        rest = tokens[3:]
        if year is None and rest and len(rest[0]) == 4 and rest[0].isdigit():
            year = int(rest[0])
            rest = rest[1:]
        try:
            if year is None:
                moment = self._yearless(month, day, hour, minute, second)
            else:
                moment = datetime(year, month, day, hour, minute, second, tzinfo=self.zone)
        except ValueError:
            raise PrefixError(prefix) from None
        return moment.timestamp(), _host(rest)

    def _yearless(self, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
        limit = self.now + FUTURE_TOLERANCE
        year = self.now.year + 1
        # Feb 29 exists only in leap years, so step back until the date is valid and not ahead.
        for _ in range(9):
            year -= 1
            if month == 2 and day == 29 and not calendar.isleap(year):
                continue
            moment = datetime(year, month, day, hour, minute, second, tzinfo=self.zone)
            if moment <= limit:
                return moment
        raise ValueError("no year fits")

    def _iso(self, token: str, prefix: str) -> float:
        try:
            moment = datetime.fromisoformat(token.replace("Z", "+00:00"))
        except ValueError:
            raise PrefixError(prefix) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.timestamp()


def _host(rest: list[str]) -> str | None:
    """Return the host from the tokens after the time: all but the trailing log name."""
    if len(rest) >= 2:
        return rest[0]
    return None
