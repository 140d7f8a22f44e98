"""The shared objects each front end (login, Graph, EWS, control) receives: state, faults, log, clock."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from mar_sandbox.faults import Faults
from mar_sandbox.store import Store

REQUEST_LOG_SIZE = 20000


class Clock:
    """The sandbox's time: the host clock plus an adjustable offset (tests move it to expire tokens)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """Return the current sandbox time as an aware UTC datetime."""
        return datetime.now(timezone.utc) + self.offset

    def timestamp(self) -> float:
        """Return the current sandbox time as POSIX seconds."""
        return time.time() + self.offset.total_seconds()

    def set_offset(self, seconds: float) -> None:
        self.offset = timedelta(seconds=seconds)


class RequestLog:
    """The last requests served, newest last; entries hold ids and codes, never headers, tokens or bodies."""

    def __init__(self, size: int = REQUEST_LOG_SIZE) -> None:
        self._entries: deque[dict] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._sequence = 0

    def record(
        self,
        service: str,
        method: str,
        path: str,
        status: int,
        *,
        mailbox: str | None = None,
        operation: str | None = None,
        app: str | None = None,
        error: str | None = None,
        fault: str | None = None,
        duration_ms: float | None = None,
    ) -> None:
        """Append one entry. ``path`` excludes the query string; ``error`` is the service's error code."""
        with self._lock:
            self._sequence += 1
            self._entries.append(
                {
                    "seq": self._sequence,
                    "time": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
                    "service": service,
                    "method": method,
                    "path": path,
                    "status": status,
                    "mailbox": mailbox,
                    "operation": operation,
                    "app": app,
                    "error": error,
                    "fault": fault,
                    "duration_ms": round(duration_ms, 3) if duration_ms is not None else None,
                }
            )

    def entries(self, service: str | None = None, since: int = 0) -> list[dict]:
        """Return entries of one service (None: all) with a sequence number above ``since``."""
        with self._lock:
            return [e for e in self._entries if e["seq"] > since and (service is None or e["service"] == service)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def last_sequence(self) -> int:
        return self._sequence


@dataclass(eq=False)
class SandboxContext:
    """The shared objects a front end's handler class uses.

    - ``store``: mailbox state and operations (mar_sandbox.store.Store); its
      ``lock`` is ``lock`` here.
    - ``faults``: fault rules and limits (mar_sandbox.faults.Faults).
    - ``log``: the request log (RequestLog).
    - ``clock``: sandbox time (Clock); use it for received times and token checks.
    - ``stopping``: set when the sandbox stops; long waits (hang faults) end on it.
    - ``urls``: base URLs by name (``login``, ``graph``, ``ews:<org>``), filled
      in once the listeners are bound.

    Instances compare and hash by identity, so they can key caches and weak sets.
    """

    store: Store
    faults: Faults
    log: RequestLog
    clock: Clock
    urls: dict[str, str] = field(default_factory=dict)
    token_secret: bytes = b""
    token_lifetime: int = 3599
    on_reset: list[Callable[[], None]] = field(default_factory=list)

    @property
    def lock(self) -> threading.RLock:
        return self.store.lock  # type: ignore[return-value]

    @property
    def stopping(self) -> threading.Event:
        return self.faults.stopping
