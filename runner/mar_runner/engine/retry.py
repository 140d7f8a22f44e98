"""Retry policy: how often and how long to wait before trying a mailbox call again."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from mar_runner.engine.errors import BackendError

logger = logging.getLogger("mar.engine")

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and back-off for transient failures of one profile.

    ``max_attempts`` counts every try, the first included (1-5, as the
    settings allow). The wait before try ``n`` is ``base_delay * 2**(n-2)``
    with jitter, raised to the server's ``Retry-After`` or
    ``BackOffMilliseconds`` when it asked for more, and never above
    ``max_delay``. ``max_total`` caps the sum of all waits of one call.
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 60.0

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or not 1 <= self.max_attempts <= 5:
            raise ValueError(
                f"max_attempts must be an integer from 1 to 5, got {self.max_attempts!r}"
            )
        for name in ("base_delay", "max_delay", "max_total"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Return the wait in seconds after failed try number ``attempt`` (1-based)."""
        backoff = self.base_delay * (2 ** (attempt - 1))
        backoff *= 1 + random.random() * 0.25
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        return min(backoff, self.max_delay)

    def call(
        self,
        func: Callable[[], T],
        *,
        on_retry: Callable[[int, BackendError, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> T:
        """Run ``func`` until it succeeds, fails permanently, or the tries are used up.

        The last error is raised unchanged; ``on_retry(attempt, error, wait)``
        is called before each wait.
        """
        waited = 0.0
        attempt = 1
        while True:
            try:
                return func()
            except BackendError as error:
                if not error.transient or attempt >= self.max_attempts:
                    raise
                wait = self.delay(attempt, error.retry_after)
                if waited + wait > self.max_total:
                    raise
                if on_retry is not None:
                    on_retry(attempt, error, wait)
                sleep(wait)
                waited += wait
                attempt += 1
