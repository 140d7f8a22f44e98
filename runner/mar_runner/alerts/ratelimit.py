"""At most one alert of a kind per profile (or file) per interval, across processes.

The last time each alert was sent is kept in the table ``alr_sent`` of the
shared state database, so parallel workers and successive replays share the
limit. Suppressed alerts are counted and the count goes with the next one sent.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

DEFAULT_INTERVAL = timedelta(hours=1)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS alr_sent (
    kind TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    last_sent_at TEXT NOT NULL,
    suppressed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, subject_key)
)
"""


@dataclass(frozen=True)
class Decision:
    """Whether an alert may be sent now, and how many were suppressed since the last one."""

    send: bool
    suppressed_before: int


def parse_interval(value: object) -> timedelta:
    """Return the alert interval of ``mar_settings.alerts.interval`` (``30m``, ``1h``, seconds or timedelta)."""
    if value is None:
        return DEFAULT_INTERVAL
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"invalid alert interval {value!r}: use a number with a unit s, m, h or d, such as 1h")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class AlertRateLimiter:
    """Decide, atomically in the shared database, whether an alert goes out now."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute(SCHEMA)

    def check_and_record(self, kind: str, subject_key: str, interval: timedelta, now: datetime | None = None) -> Decision:
        """Return whether to send; when sending, record ``now`` as the last time sent."""
        moment = now or datetime.now(timezone.utc)
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.conn.execute(
                "SELECT last_sent_at, suppressed FROM alr_sent WHERE kind = ? AND subject_key = ?",
                (kind, subject_key),
            ).fetchone()
            if row is not None and moment - datetime.fromisoformat(row[0]) < interval:
                self.conn.execute(
                    "UPDATE alr_sent SET suppressed = suppressed + 1 WHERE kind = ? AND subject_key = ?",
                    (kind, subject_key),
                )
                decision = Decision(send=False, suppressed_before=int(row[1]) + 1)
            else:
                self.conn.execute(
                    "INSERT INTO alr_sent (kind, subject_key, last_sent_at, suppressed) VALUES (?, ?, ?, 0) "
                    "ON CONFLICT (kind, subject_key) DO UPDATE SET last_sent_at = excluded.last_sent_at, suppressed = 0",
                    (kind, subject_key, moment.isoformat()),
                )
                decision = Decision(send=True, suppressed_before=int(row[1]) if row is not None else 0)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return decision
