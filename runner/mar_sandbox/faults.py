"""Fault injection shared by the login, Graph and EWS front ends.

A rule matches requests by service (``login``, ``graph``, ``ews`` or ``any``),
mailbox, operation and app (Graph client id or EWS account), and applies one
kind of fault:

- ``latency``: wait ``delay`` seconds, then serve the request normally;
- ``throttle``: Graph 429 ``ApplicationThrottled`` with ``Retry-After``, EWS
  ``ErrorServerBusy`` with ``BackOffMilliseconds`` (``retry_after`` seconds);
- ``server_error``: HTTP ``status`` (default 503) with the service's error body;
- ``hang``: read the request, then send nothing for ``seconds`` (or until the
  sandbox stops) and close the connection;
- ``drop``: close the connection without a response;
- ``wrong_certificate``: present a certificate for another host name
  (``service`` only; applied at the TLS handshake).

A rule applies with probability ``rate`` (drawn from a random generator
seeded with ``seed``, so a run is repeatable when the requests come in the
same order) and at most ``count`` times when set. The first matching rule
that fires wins; latency adds up with the fault that fires after it.

Besides rules, two limits answer with a throttle: the number of requests in
flight per (service, app, mailbox) (``concurrency``, Graph default 4 as
Exchange Online enforces it) and a request budget per (service, app, mailbox)
over a sliding window (``rate_limit``).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SERVICES = ("login", "graph", "ews", "control", "any")
KINDS = ("latency", "throttle", "server_error", "hang", "drop", "wrong_certificate")
DEFAULT_CONCURRENCY = {"graph": 4}


@dataclass
class FaultRule:
    """One fault-injection rule; see the module docstring for the fields."""

    kind: str
    service: str = "any"
    mailbox: str | None = None
    operation: str | None = None
    app: str | None = None
    rate: float = 1.0
    count: int | None = None
    delay: float = 0.0
    retry_after: float = 1.0
    status: int = 503
    seconds: float = 30.0
    fired: int = 0
    rule_id: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}: use one of {', '.join(SERVICES)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate {self.rate!r} is outside 0..1")
        if self.kind == "server_error" and not 500 <= self.status <= 599:
            raise ValueError(f"server_error status {self.status!r} is not a 5xx code")
        if self.mailbox:
            self.mailbox = self.mailbox.lower()
        if self.app:
            self.app = self.app.lower()

    @classmethod
    def from_dict(cls, data: dict) -> "FaultRule":
        known = {"kind", "service", "mailbox", "operation", "app", "rate", "count", "delay", "retry_after", "status", "seconds"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule field(s) {', '.join(sorted(unknown))}: use {', '.join(sorted(known))}")
        return cls(**data)

    def matches(self, service: str, mailbox: str | None, operation: str | None, app: str | None) -> bool:
        if self.service not in ("any", service):
            return False
        if self.mailbox and (mailbox or "").lower() != self.mailbox:
            return False
        if self.operation and operation != self.operation:
            return False
        if self.app and (app or "").lower() != self.app:
            return False
        return self.count is None or self.fired < self.count

    def to_dict(self) -> dict:
        return {
            "id": self.rule_id,
            "kind": self.kind,
            "service": self.service,
            "mailbox": self.mailbox,
            "operation": self.operation,
            "app": self.app,
            "rate": self.rate,
            "count": self.count,
            "delay": self.delay,
            "retry_after": self.retry_after,
            "status": self.status,
            "seconds": self.seconds,
            "fired": self.fired,
        }


@dataclass
class FaultDecision:
    """The fault to apply to one request: wait ``delay`` seconds, then ``action`` (None: serve it)."""

    delay: float = 0.0
    action: str | None = None  # "throttle", "server_error", "hang", "drop"
    retry_after: float = 0.0
    status: int = 0
    seconds: float = 0.0
    reason: str = ""  # "rule", "concurrency" or "rate_limit" for throttles

    @property
    def backoff_ms(self) -> int:
        """``retry_after`` in milliseconds, for EWS BackOffMilliseconds."""
        return int(self.retry_after * 1000)


@dataclass
class _RateLimit:
    requests: int
    window: float
    retry_after: float
    history: dict[tuple[str, str, str], deque] = field(default_factory=dict)


class Faults:
    """The fault rules and limits of one sandbox; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._concurrency: dict[str, int] = dict(DEFAULT_CONCURRENCY)
        self._concurrency_retry_after = 1.0
        self._in_flight: dict[tuple[str, str, str], int] = {}
        self._rate_limits: dict[str, _RateLimit] = {}
        self.stopping = threading.Event()

    # -- configuration ----------------------------------------------------------

    def configure(self, config: dict | None) -> None:
        """Replace rules and limits with a seed's ``faults`` section (None: no rules, default limits)."""
        config = config or {}
        with self._lock:
            self._seed = int(config.get("seed", 0))
            self._random = random.Random(self._seed)
            self._rules = []
            self._next_id = 1
            self._concurrency = dict(DEFAULT_CONCURRENCY)
            self._rate_limits = {}
        for service, limit in (config.get("concurrency") or {}).items():
            self.set_concurrency_limit(service, limit)
        self._concurrency_retry_after = float(config.get("concurrency_retry_after", 1.0))
        for service, limit in (config.get("rate_limit") or {}).items():
            self.set_rate_limit(service, limit["requests"], limit["per_seconds"], limit.get("retry_after", 1.0))
        for rule in config.get("rules") or ():
            self.add_rule(rule)

    def add_rule(self, rule: FaultRule | dict) -> int:
        """Add a rule and return its id."""
        if isinstance(rule, dict):
            rule = FaultRule.from_dict(rule)
        with self._lock:
            rule.rule_id = self._next_id
            self._next_id += 1
            self._rules.append(rule)
            return rule.rule_id

    def remove_rule(self, rule_id: int) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if r.rule_id != rule_id]

    def clear(self) -> None:
        """Remove every rule and the rate limits, restore default concurrency limits and the random seed."""
        self.configure({"seed": self._seed})

    def set_seed(self, seed: int) -> None:
        with self._lock:
            self._seed = seed
            self._random = random.Random(seed)

    def set_concurrency_limit(self, service: str, limit: int | None) -> None:
        """Limit requests in flight per (app, mailbox) for a service; None or 0 removes the limit."""
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}: use one of {', '.join(SERVICES)}")
        with self._lock:
            if limit:
                self._concurrency[service] = int(limit)
            else:
                self._concurrency.pop(service, None)

    def set_rate_limit(self, service: str, requests: int, per_seconds: float, retry_after: float = 1.0) -> None:
        """Allow at most ``requests`` per ``per_seconds`` per (app, mailbox); more get a throttle response."""
        if requests < 1 or per_seconds <= 0:
            raise ValueError("rate limit needs requests >= 1 and per_seconds > 0")
        with self._lock:
            self._rate_limits[service] = _RateLimit(int(requests), float(per_seconds), float(retry_after))

    def rules(self) -> list[dict]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def describe(self) -> dict:
        with self._lock:
            return {
                "seed": self._seed,
                "rules": [r.to_dict() for r in self._rules],
                "concurrency": dict(self._concurrency),
                "rate_limit": {
                    s: {"requests": r.requests, "per_seconds": r.window, "retry_after": r.retry_after}
                    for s, r in self._rate_limits.items()
                },
            }

    # -- decisions --------------------------------------------------------------

    def decide(
        self,
        service: str,
        *,
        mailbox: str | None = None,
        operation: str | None = None,
        app: str | None = None,
    ) -> FaultDecision:
        """Return what to do with one request; counts the rules that fire and the rate budget."""
        decision = FaultDecision()
        with self._lock:
            for rule in self._rules:
                if rule.kind == "wrong_certificate" or not rule.matches(service, mailbox, operation, app):
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                if rule.kind == "latency":
                    decision.delay += rule.delay
                    continue
                decision.action = rule.kind
                decision.retry_after = rule.retry_after
                decision.status = rule.status
                decision.seconds = rule.seconds
                decision.reason = "rule"
                return decision
            limit = self._rate_limits.get(service)
            if limit is not None and mailbox:
                key = (service, (app or "").lower(), mailbox.lower())
                now = time.monotonic()
                history = limit.history.setdefault(key, deque())
                while history and history[0] <= now - limit.window:
                    history.popleft()
                if len(history) >= limit.requests:
                    decision.action = "throttle"
                    decision.retry_after = limit.retry_after
                    decision.reason = "rate_limit"
                    return decision
                history.append(now)
        return decision

    def wrong_certificate(self, service: str) -> bool:
        """Return True when a wrong-certificate rule for this service fires for a new connection."""
        with self._lock:
            for rule in self._rules:
                if rule.kind != "wrong_certificate" or not rule.matches(service, None, None, None):
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                return True
        return False

    @contextmanager
    def slot(self, service: str, app: str | None, mailbox: str | None) -> Iterator[FaultDecision | None]:
        """Hold one in-flight slot of (service, app, mailbox) for the request's duration.

        Yields None when the request may run, or a throttle decision when the
        concurrency limit is already reached (the request must then be
        answered with it and not run).
        """
        limit = self._concurrency.get(service)
        if not limit or not mailbox:
            yield None
            return
        key = (service, (app or "").lower(), mailbox.lower())
        with self._lock:
            current = self._in_flight.get(key, 0)
            if current >= limit:
                over = True
            else:
                over = False
                self._in_flight[key] = current + 1
        if over:
            yield FaultDecision(action="throttle", retry_after=self._concurrency_retry_after, reason="concurrency")
            return
        try:
            yield None
        finally:
            with self._lock:
                remaining = self._in_flight.get(key, 1) - 1
                if remaining:
                    self._in_flight[key] = remaining
                else:
                    self._in_flight.pop(key, None)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` or until the sandbox stops, whichever comes first."""
        if seconds > 0:
            self.stopping.wait(seconds)
