"""Writes messages into the tracking index in batches.

Every reader (AsyncOS text logs, CEF, JSON Lines) produces ``MessageRecord``
objects and hands them to one ``IndexWriter``. Writes are upserts keyed by
``message_key``, so writing the same record twice leaves the index as it was.
The caller owns the transaction: it calls ``flush()`` before committing and
before reading rows that a buffered write may change.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

NO_MID = -1


@dataclass(slots=True)
class RecipientRecord:
    """A recipient as a reader saw it; times are UTC epoch seconds."""

    address: str
    mid: int | None = None
    rid: int | None = None
    policy: str | None = None
    status: str = "pending"
    delivered_at: float | None = None


@dataclass(slots=True)
class MessageRecord:
    """A message as a reader assembled it, ready to be written."""

    message_key: str
    source: str
    mids: list[int] = field(default_factory=list)
    message_id: str | None = None
    message_id_raw: str | None = None
    sender: str | None = None
    subject: str | None = None
    received_at: float | None = None
    # False while the gateway is still handling the message (no end line yet).
    complete: bool = True
    recipients: list[RecipientRecord] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)
    # (mid, address) rows written earlier that no longer exist, for example
    # recipients that a MID rewrite moved to the new MID.
    removed: list[tuple[int, str]] = field(default_factory=list)


_UPSERT_MESSAGE = """
INSERT INTO trk_messages (message_key, source, message_id, message_id_raw, sender, subject, received_at, complete)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (message_key) DO UPDATE SET
    message_id = coalesce(excluded.message_id, message_id),
    message_id_raw = coalesce(excluded.message_id_raw, message_id_raw),
    sender = coalesce(excluded.sender, sender),
    subject = coalesce(excluded.subject, subject),
    received_at = coalesce(excluded.received_at, received_at),
    complete = max(complete, excluded.complete)
"""

_UPSERT_RECIPIENT = """
INSERT INTO trk_recipients (message, mid, address, rid, policy, status, delivered_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (message, mid, address) DO UPDATE SET
    rid = coalesce(excluded.rid, rid),
    policy = coalesce(excluded.policy, policy),
    status = excluded.status,
    delivered_at = coalesce(excluded.delivered_at, delivered_at)
"""

# A named attachment whose hash arrives later replaces the row that had no hash.
_DROP_UNHASHED = "DELETE FROM trk_attachments WHERE message = ? AND name = ? AND sha256 = ''"
_INSERT_HASHED = "INSERT OR IGNORE INTO trk_attachments (message, name, sha256) VALUES (?, ?, ?)"
_INSERT_UNHASHED = """
INSERT INTO trk_attachments (message, name, sha256)
SELECT ?, ?, '' WHERE NOT EXISTS (SELECT 1 FROM trk_attachments WHERE message = ? AND name = ?)
"""


class IndexWriter:
    """Buffer of written messages, sent with executemany on ``flush()``.

    A message is buffered whole. Writing a key that is already in the buffer
    flushes first, so the rows of both writes land in order.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._records: dict[str, MessageRecord] = {}
        self._late_attachments: list[tuple[int, str, str]] = []
        self.has_pending_files = bool(conn.execute("SELECT 1 FROM trk_pending_files LIMIT 1").fetchone())
        self.messages_written = 0

    def write(self, record: MessageRecord) -> None:
        """Buffer one message for the next flush."""
        if record.message_key in self._records:
            self.flush()
        self._records[record.message_key] = record
        self.messages_written += 1

    def add_attachments(self, message: int, attachments: list[tuple[str, str]]) -> None:
        """Buffer attachments of a message already in the index, by its row id."""
        for name, sha in attachments:
            self._late_attachments.append((message, name or "", (sha or "").lower()))

    def add_pending_file(self, mid: int, name: str, sha256: str) -> None:
        """Keep an AMP file result whose MID is not in the index yet, until that MID is written."""
        self.conn.execute(
            "INSERT OR IGNORE INTO trk_pending_files (mid, name, sha256) VALUES (?, ?, ?)",
            (mid, name or "", sha256.lower()),
        )
        self.has_pending_files = True

    def _take_pending_files(self, mids: list[int]) -> list[tuple[str, str]]:
        marks = ",".join("?" * len(mids))
        rows = self.conn.execute(
            f"DELETE FROM trk_pending_files WHERE mid IN ({marks}) RETURNING name, sha256", mids
        ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def _message_ids(self, keys: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row_id, key in self.conn.execute(
                f"SELECT id, message_key FROM trk_messages WHERE message_key IN ({marks})", chunk
            ):
                ids[key] = row_id
        return ids

    def flush(self) -> None:
        """Send the buffered messages and rows; the caller commits."""
        records = list(self._records.values())
        self._records.clear()
        cur = self.conn.cursor()
        if records:
            cur.executemany(
                _UPSERT_MESSAGE,
                [
                    (
                        r.message_key,
                        r.source,
                        r.message_id,
                        r.message_id_raw,
                        r.sender,
                        r.subject,
                        r.received_at,
                        int(r.complete),
                    )
                    for r in records
                ],
            )
        ids = self._message_ids([r.message_key for r in records]) if records else {}

        mids: list[tuple[int, int]] = []
        removed: list[tuple[int, int, str]] = []
        recipients: list[tuple] = []
        hashed: list[tuple[int, str, str]] = []
        unhashed: list[tuple[int, str, int, str]] = []
        for record in records:
            message = ids[record.message_key]
            mids.extend((mid, message) for mid in record.mids)
            removed.extend((message, mid, address) for mid, address in record.removed)
            recipients.extend(
                (
                    message,
                    NO_MID if r.mid is None else r.mid,
                    r.address,
                    r.rid,
                    r.policy,
                    r.status,
                    r.delivered_at,
                )
                for r in record.recipients
            )
            attachments = list(record.attachments)
            if self.has_pending_files and record.mids:
                attachments.extend(self._take_pending_files(record.mids))
            _split_attachments(message, attachments, hashed, unhashed)
        for message, name, sha in self._late_attachments:
            _split_attachments(message, [(name, sha)], hashed, unhashed)
        self._late_attachments.clear()

        if mids:
            cur.executemany("INSERT OR IGNORE INTO trk_mids (mid, message) VALUES (?, ?)", mids)
        if removed:
            cur.executemany("DELETE FROM trk_recipients WHERE message = ? AND mid = ? AND address = ?", removed)
        if recipients:
            cur.executemany(_UPSERT_RECIPIENT, recipients)
        if hashed:
            cur.executemany(_DROP_UNHASHED, [(m, n) for m, n, _s in hashed])
            cur.executemany(_INSERT_HASHED, hashed)
        if unhashed:
            cur.executemany(_INSERT_UNHASHED, unhashed)


def _split_attachments(message: int, attachments, hashed: list, unhashed: list) -> None:
    """Sort attachments into rows with a hash and rows with only a name."""
    for name, sha in attachments:
        name = name or ""
        sha = (sha or "").lower()
        if sha:
            hashed.append((message, name, sha))
        elif name:
            unhashed.append((message, name, message, name))
