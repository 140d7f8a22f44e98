"""Reading positions of imported files, so that imports resume and never add a line twice.

A file is recognised by device and inode, or by a SHA-256 fingerprint of its
first bytes, so a log renamed by rotation (same inode) or copied away before
truncation (same first bytes) continues where the last import stopped. A file
whose first bytes changed, or that became shorter than the offset read, is a
new file and is read from the start.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass

FINGERPRINT_BYTES = 1024


@dataclass(slots=True)
class FileState:
    """The stored reading position of one file and the reader state at that point."""

    row_id: int | None
    device: int
    inode: int
    fingerprint: str
    fingerprint_len: int
    path: str
    format: str
    offset: int = 0
    line_no: int = 0
    open_state: object = None


def _hash_head(handle, length: int) -> str:
    handle.seek(0)
    return hashlib.sha256(handle.read(length)).hexdigest()


def locate(conn: sqlite3.Connection, handle, path: str, fmt: str, *, compressed: bool = False) -> FileState:
    """Return the stored state of the open file ``handle``, or a fresh state at offset 0.

    Offsets of a ``compressed`` file count decompressed bytes, so they are
    not compared with its size on disk.
    """
    info = os.fstat(handle.fileno())
    head_len = min(info.st_size, FINGERPRINT_BYTES)
    fingerprint = _hash_head(handle, head_len)
    rows = conn.execute(
        "SELECT id, device, inode, fingerprint, fingerprint_len, offset, line_no, open_state, format "
        "FROM trk_files WHERE (device = ? AND inode = ?) OR fingerprint = ? "
        "ORDER BY (device = ? AND inode = ?) DESC, updated_at DESC",
        (info.st_dev, info.st_ino, fingerprint, info.st_dev, info.st_ino),
    ).fetchall()
    for row_id, _device, _inode, stored_fp, stored_len, offset, line_no, open_state, stored_fmt in rows:
        if stored_len <= info.st_size and _hash_head(handle, stored_len) == stored_fp and (compressed or offset <= info.st_size):
            return FileState(
                row_id=row_id,
                device=info.st_dev,
                inode=info.st_ino,
                fingerprint=fingerprint,
                fingerprint_len=head_len,
                path=path,
                format=stored_fmt,
                offset=offset,
                line_no=line_no,
                open_state=json.loads(open_state) if open_state else None,
            )
    # Same inode with other first bytes means the file was truncated or the inode
    # reused. The old row stays, because a copy of the old file may still come.
    return FileState(
        row_id=None,
        device=info.st_dev,
        inode=info.st_ino,
        fingerprint=fingerprint,
        fingerprint_len=head_len,
        path=path,
        format=fmt,
    )


def save(conn: sqlite3.Connection, state: FileState) -> None:
    """Store the reading position; the caller commits it with the rows it covers."""
    values = (
        state.device,
        state.inode,
        state.fingerprint,
        state.fingerprint_len,
        state.path,
        state.format,
        state.offset,
        state.line_no,
        None if state.open_state is None else json.dumps(state.open_state, separators=(",", ":")),
        time.time(),
    )
    if state.row_id is None:
        state.row_id = conn.execute(
            "INSERT INTO trk_files (device, inode, fingerprint, fingerprint_len, path, format, "
            "offset, line_no, open_state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            values,
        ).fetchone()[0]
    else:
        conn.execute(
            "UPDATE trk_files SET device = ?, inode = ?, fingerprint = ?, fingerprint_len = ?, path = ?, "
            "format = ?, offset = ?, line_no = ?, open_state = ?, updated_at = ? WHERE id = ?",
            values + (state.row_id,),
        )
