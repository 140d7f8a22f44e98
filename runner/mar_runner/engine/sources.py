"""The engine's inputs: applied configuration, tracking index and verdict files."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterable

DEFAULT_LOOKBACK = timedelta(days=30)


def load_config(state_dir: Path) -> dict[str, Any] | None:
    """Return the configuration last applied to ``state_dir``, or None."""
    from mar_runner.config.store import ConfigStore

    return ConfigStore(state_dir).current()


def lookback(settings: dict[str, Any]) -> timedelta:
    """Return ``mar_settings.lookback`` as a timedelta (default 30 days)."""
    value = settings.get("lookback")
    if not value:
        return DEFAULT_LOOKBACK
    if isinstance(value, timedelta):
        return value
    try:
        from mar_runner.config.values import parse_duration

        return parse_duration(str(value))
    except ImportError:  # pragma: no cover - the config package is always installed
        match = re.fullmatch(r"(\d+)([hd])", str(value).strip())
        if not match:
            raise ValueError(f"invalid lookback {value!r}: use a number followed by h or d, such as 30d")
        amount = int(match.group(1))
        return timedelta(hours=amount) if match.group(2) == "h" else timedelta(days=amount)


class _LockedTracking:
    """The tracking index behind the engine's connection lock."""

    def __init__(self, index: Any, lock: threading.Lock) -> None:
        self.index = index
        self.lock = lock

    def deliveries_by_sha256(self, sha256: str) -> list[Any]:
        with self.lock:
            return list(self.index.deliveries_by_sha256(sha256))


def open_tracking(conn, tracking_paths: Iterable[str | Path], lock: threading.Lock) -> _LockedTracking:
    """Open the tracking index on ``conn`` after importing ``tracking_paths`` into it."""
    from mar_runner.tracking import TrackingIndex

    index = TrackingIndex(conn)
    paths = [Path(path) for path in tracking_paths or ()]
    if paths:
        from mar_runner import tracking

        importer = getattr(tracking, "import_paths", None) or getattr(tracking, "ingest_paths", None)
        if importer is None:
            raise RuntimeError("the tracking package offers no import_paths(conn, paths) function")
        with lock:
            importer(conn, paths)
    return _LockedTracking(index, lock)


def load_verdicts(paths: Iterable[str | Path]) -> tuple[list[Any], list[str]]:
    """Read verdict files; return the verdicts and the input errors as ``FILE:LINE: text``."""
    from mar_runner.verdicts import read_verdicts

    result = read_verdicts([Path(path) for path in paths])
    if isinstance(result, tuple):
        verdicts, errors = result
    else:
        verdicts = list(getattr(result, "verdicts", result))
        errors = list(getattr(result, "errors", []))
    return list(verdicts), [str(error) for error in errors]
