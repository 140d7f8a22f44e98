"""Tables of the tracking index in the shared database (prefix ``trk_``).

Times are stored as UTC epoch seconds (REAL). A recipient row is keyed by
message, MID and address; ``mid`` is -1 when the source gave none. The
indexes serve the four lookups (SHA-256, Message-ID, MID, recipient).
"""

from __future__ import annotations

import sqlite3

DDL = """
CREATE TABLE IF NOT EXISTS trk_messages (
    id INTEGER PRIMARY KEY,
    message_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    message_id TEXT,
    message_id_raw TEXT,
    sender TEXT,
    subject TEXT,
    received_at REAL,
    complete INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS trk_messages_message_id ON trk_messages (message_id);
CREATE TABLE IF NOT EXISTS trk_mids (
    mid INTEGER NOT NULL,
    message INTEGER NOT NULL REFERENCES trk_messages (id) ON DELETE CASCADE,
    PRIMARY KEY (mid, message)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trk_mids_message ON trk_mids (message);
CREATE TABLE IF NOT EXISTS trk_recipients (
    message INTEGER NOT NULL REFERENCES trk_messages (id) ON DELETE CASCADE,
    mid INTEGER NOT NULL,
    address TEXT NOT NULL,
    rid INTEGER,
    policy TEXT,
    status TEXT NOT NULL,
    delivered_at REAL,
    PRIMARY KEY (message, mid, address)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trk_recipients_address ON trk_recipients (address);
CREATE TABLE IF NOT EXISTS trk_attachments (
    message INTEGER NOT NULL REFERENCES trk_messages (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (message, name, sha256)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trk_attachments_sha256 ON trk_attachments (sha256);
CREATE TABLE IF NOT EXISTS trk_pending_files (
    mid INTEGER NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (mid, name, sha256)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trk_files (
    id INTEGER PRIMARY KEY,
    device INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    fingerprint_len INTEGER NOT NULL,
    path TEXT NOT NULL,
    format TEXT NOT NULL,
    offset INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    open_state TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS trk_files_inode ON trk_files (device, inode);
CREATE INDEX IF NOT EXISTS trk_files_fingerprint ON trk_files (fingerprint);
"""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tracking tables and indexes when they are missing."""
    conn.executescript(DDL)
