"""Read access to the tracking index: deliveries by SHA-256, Message-ID, MID or recipient."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import datetime, timezone

from mar_runner.tracking.model import (
    Attachment,
    Delivery,
    Recipient,
    normalize_address,
    normalize_message_id,
)
from mar_runner.tracking.schema import ensure_schema


MMAP_BYTES = 1 << 30


class _TimeCache(dict):
    """Converts epoch seconds to datetimes once each: recipients of one delivery share a time."""

    def __missing__(self, epoch: float) -> datetime:
        value = datetime.fromtimestamp(epoch, tz=timezone.utc)
        self[epoch] = value
        return value


class TrackingIndex:
    """The tracking index stored in the shared database (tables ``trk_``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        ensure_schema(conn)
        # A lookup touches a few pages for each of possibly thousands of messages;
        # reading them through a memory map avoids one system call per page.
        if conn.execute("PRAGMA mmap_size").fetchone()[0] == 0:
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")

    def deliveries_by_sha256(self, sha256: str) -> list[Delivery]:
        """Return every message that carried an attachment with this SHA-256, oldest first."""
        return self.lookup(sha256=sha256)

    def lookup(
        self,
        *,
        sha256: str | None = None,
        message_id: str | None = None,
        mid: int | None = None,
        recipient: str | None = None,
    ) -> list[Delivery]:
        """Return the messages matching every criterion given, oldest first.

        Each Delivery carries all its recipients and attachments, not only the
        ones that matched. ``message_id`` is compared after normalisation and
        ``recipient`` without regard to case. Raises ValueError when no
        criterion is given.
        """
        conditions: list[str] = []
        params: list[object] = []
        if sha256 is not None:
            conditions.append("id IN (SELECT message FROM trk_attachments WHERE sha256 = ?)")
            params.append(sha256.strip().lower())
        if message_id is not None:
            conditions.append("message_id = ?")
            params.append(normalize_message_id(message_id))
        if mid is not None:
            conditions.append("id IN (SELECT message FROM trk_mids WHERE mid = ?)")
            params.append(int(mid))
        if recipient is not None:
            conditions.append("id IN (SELECT message FROM trk_recipients WHERE address = ?)")
            params.append(normalize_address(recipient))
        if not conditions:
            raise ValueError("lookup needs at least one of sha256, message_id, mid, recipient")
        where = " AND ".join(conditions)
        cursor = self.conn.cursor()
        cursor.row_factory = None
        rows = cursor.execute(
            "SELECT id, message_key, source, message_id, message_id_raw, sender, subject, received_at "
            "FROM trk_messages WHERE " + where,
            params,
        ).fetchall()
        if not rows:
            return []
        # The ids go to each child query as one JSON array parameter: one statement
        # per table whatever the number of messages, without evaluating the
        # criteria again.
        ids = json.dumps([row[0] for row in rows])
        return self._build(rows, "SELECT value FROM json_each(?)", [ids])

    def count_messages(self) -> int:
        """Return the number of messages in the index."""
        return self.conn.execute("SELECT count(*) FROM trk_messages").fetchone()[0]

    def _build(self, rows: list, ids: str, params: list[object]) -> list[Delivery]:
        mids: dict[int, list[int]] = defaultdict(list)
        recipients: dict[int, list[Recipient]] = defaultdict(list)
        attachments: dict[int, list[Attachment]] = defaultdict(list)
        times = _TimeCache()
        # Plain tuples: unpacking sqlite3.Row objects costs more than the query itself here.
        cursor = self.conn.cursor()
        cursor.row_factory = None
        for message, mid in cursor.execute(f"SELECT message, mid FROM trk_mids WHERE message IN ({ids})", params):
            mids[message].append(mid)

        make_recipient = Recipient
        for message, mid, address, rid, policy, status, delivered_at in cursor.execute(
            "SELECT message, mid, address, rid, policy, status, delivered_at FROM trk_recipients "
            f"WHERE message IN ({ids}) ORDER BY message, mid, rid, address",
            params,
        ):
            # Positional arguments: this runs once per recipient of every matching message.
            recipients[message].append(
                make_recipient(
                    address,
                    rid,
                    None if mid < 0 else mid,
                    policy,
                    status,
                    None if delivered_at is None else times[delivered_at],
                )
            )
        for message, name, sha in cursor.execute(
            f"SELECT message, name, sha256 FROM trk_attachments WHERE message IN ({ids})", params
        ):
            attachments[message].append(Attachment(name or None, sha or None))

        deliveries = [
            Delivery(
                row[1],
                sorted(mids.get(row[0], ())),
                row[3],
                row[4],
                row[5],
                row[6],
                None if row[7] is None else times[row[7]],
                attachments.get(row[0], []),
                recipients.get(row[0], []),
                row[2],
            )
            for row in rows
        ]
        deliveries.sort(key=lambda d: (d.received_at is None, d.received_at or 0, d.message_key))
        return deliveries
