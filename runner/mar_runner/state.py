"""State directory and the SQLite database every engine part shares.

The state directory holds the applied configuration, the secret files, the
tracking index, the ledger, the outcomes and the logs of one engine host.
Each part creates its own tables in ``mar.db`` (``CREATE TABLE IF NOT
EXISTS`` in its own module); this module only locates and opens the file.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

ENV_VAR = "MAR_STATE_DIR"
DEFAULT_STATE_DIR = Path("~/.local/state/mar")
DB_NAME = "mar.db"


def resolve_state_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the state directory: the explicit value, else $MAR_STATE_DIR, else the default."""
    value = explicit or os.environ.get(ENV_VAR) or DEFAULT_STATE_DIR
    return Path(value).expanduser()


def ensure_state_dir(state_dir: Path) -> Path:
    """Create the state directory (mode 0700) when it is missing, and return it."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return state_dir


def open_db(state_dir: str | os.PathLike[str], *, create: bool = True) -> sqlite3.Connection:
    """Open the state database with WAL journaling, foreign keys and a busy timeout.

    The file is created with mode 0600 because it holds recipient addresses
    and subjects. With ``create=False`` a missing database raises
    FileNotFoundError instead of creating an empty one.
    """
    directory = Path(state_dir)
    path = directory / DB_NAME
    if not path.exists():
        if not create:
            raise FileNotFoundError(path)
        ensure_state_dir(directory)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn
