"""Writes messages into the tracking index in batches.

Every reader (AsyncOS text logs, CEF, JSON Lines) produces ``MessageRecord``
objects and hands them to one ``IndexWriter``. Writes are upserts keyed by
``message_key``, so writing the same record twice leaves the index as it was.
The caller owns the transaction: it calls ``flush()`` before committing.
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
RETURNING id
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
    """Buffers rows of written messages and sends them with executemany on ``flush()``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._mids: list[tuple[int, int]] = []
        self._recipients: list[tuple] = []
        self._removed: list[tuple[int, int, str]] = []
        self._hashed: list[tuple[int, str, str]] = []
        self._unhashed: list[tuple[int, str, int, str]] = []
        self.has_pending_files = bool(
            conn.execute("SELECT 1 FROM trk_pending_files LIMIT 1").fetchone()
        )
        self.messages_written = 0

    def write(self, record: MessageRecord) -> int:
        """Upsert one message now and buffer its rows; return its row id."""
        message = self.conn.execute(
            _UPSERT_MESSAGE,
            (
                record.message_key,
                record.source,
                record.message_id,
                record.message_id_raw,
                record.sender,
                record.subject,
                record.received_at,
                int(record.complete),
            ),
        ).fetchone()[0]
        self.messages_written += 1
        for mid in record.mids:
            self._mids.append((mid, message))
        for mid, address in record.removed:
            self._removed.append((message, mid, address))
        for r in record.recipients:
            self._recipients.append(
                (
                    message,
                    NO_MID if r.mid is None else r.mid,
                    r.address,
                    r.rid,
                    r.policy,
                    r.status,
                    r.delivered_at,
                )
            )
        attachments = list(record.attachments)
        if self.has_pending_files and record.mids:
            attachments.extend(self._take_pending_files(record.mids))
        self.add_attachments(message, attachments)
        return message

    def add_attachments(self, message: int, attachments: list[tuple[str, str]]) -> None:
        """Buffer attachments of a message; a hash replaces an earlier row of the same name without one."""
        for name, sha in attachments:
            name = name or ""
            sha = (sha or "").lower()
            if sha:
                self._hashed.append((message, name, sha))
            elif name:
                self._unhashed.append((message, name, message, name))

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

    def flush(self) -> None:
        """Send the buffered rows; the caller commits."""
        cur = self.conn.cursor()
        if self._mids:
            cur.executemany("INSERT OR IGNORE INTO trk_mids (mid, message) VALUES (?, ?)", self._mids)
        if self._removed:
            cur.executemany(
                "DELETE FROM trk_recipients WHERE message = ? AND mid = ? AND address = ?",
                self._removed,
            )
        if self._recipients:
            cur.executemany(_UPSERT_RECIPIENT, self._recipients)
        if self._hashed:
            cur.executemany(_DROP_UNHASHED, [(m, n) for m, n, _s in self._hashed])
            cur.executemany(_INSERT_HASHED, self._hashed)
        if self._unhashed:
            cur.executemany(_INSERT_UNHASHED, self._unhashed)
        self._mids.clear()
        self._removed.clear()
        self._recipients.clear()
        self._hashed.clear()
        self._unhashed.clear()
