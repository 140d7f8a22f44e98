"""Concurrency limits: global workers, requests in flight per mailbox and per service account."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Limits:
    """Concurrency settings, validated where they are built.

    ``workers`` is the number of recipients processed at once (and so the
    global bound on requests in flight); ``per_mailbox`` bounds requests in
    flight to one mailbox through one Graph application (Exchange Online
    allows 4); ``per_service_account`` bounds requests in flight through one
    EWS service account.
    """

    workers: int = 32
    per_mailbox: int = 4
    per_service_account: int = 8

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or not 1 <= self.workers <= 512:
            raise ValueError(f"workers must be an integer from 1 to 512, got {self.workers!r}")
        if not isinstance(self.per_mailbox, int) or not 1 <= self.per_mailbox <= 4:
            raise ValueError(f"per_mailbox must be an integer from 1 to 4, got {self.per_mailbox!r}")
        if not isinstance(self.per_service_account, int) or not 1 <= self.per_service_account <= 256:
            raise ValueError(
                "per_service_account must be an integer from 1 to 256, "
                f"got {self.per_service_account!r}"
            )

    @classmethod
    def from_settings(cls, concurrency: dict | None) -> "Limits":
        """Build the limits from ``mar_settings.concurrency`` (None: the defaults)."""
        concurrency = concurrency or {}
        return cls(
            workers=concurrency.get("workers") or 32,
            per_mailbox=concurrency.get("per_mailbox") or 4,
            per_service_account=concurrency.get("per_service_account") or 8,
        )


class KeyedLimiter:
    """Bound the permits held per key (a mailbox, a service account); tracks the peak per key."""

    def __init__(self, permits: int) -> None:
        if permits < 1:
            raise ValueError(f"permits must be at least 1, got {permits}")
        self.permits = permits
        self._lock = threading.Lock()
        # One condition per busy key, all on the same lock, so a release wakes
        # only the threads waiting for that key.
        self._waiters: dict[str, threading.Condition] = {}
        self._in_flight: dict[str, int] = {}
        self.peak = 0

    @contextmanager
    def hold(self, key: str, count: int = 1) -> Iterator[None]:
        """Hold ``count`` permits of ``key`` (at most all of them) for the duration of the block.

        The permits are taken all at once, so two holders of several permits
        cannot each wait for the other's.
        """
        key = key.lower()
        count = min(max(count, 1), self.permits)
        with self._lock:
            while self._in_flight.get(key, 0) + count > self.permits:
                condition = self._waiters.get(key)
                if condition is None:
                    condition = self._waiters[key] = threading.Condition(self._lock)
                condition.wait()
            now = self._in_flight.get(key, 0) + count
            self._in_flight[key] = now
            self.peak = max(self.peak, now)
        try:
            yield
        finally:
            with self._lock:
                left = self._in_flight[key] - count
                if left:
                    self._in_flight[key] = left
                else:
                    del self._in_flight[key]
                condition = self._waiters.get(key)
                if condition is not None:
                    condition.notify_all()
                    if not left:
                        del self._waiters[key]
