"""Retry policy, concurrency limits and reason codes."""

from __future__ import annotations

import threading
import time

import pytest

from mar_runner.engine import reasons
from mar_runner.engine.errors import PermanentError, TransientError, backend_error
from mar_runner.engine.limits import KeyedLimiter, Limits
from mar_runner.engine.retry import RetryPolicy


def test_retry_policy_rejects_bad_attempts():
    with pytest.raises(ValueError, match="max_attempts must be an integer from 1 to 5, got 0"):
        RetryPolicy(max_attempts=0)


def test_retry_counts_first_try():
    calls = []

    def fail():
        calls.append(1)
        raise backend_error("throttled", "busy")

    with pytest.raises(TransientError):
        RetryPolicy(max_attempts=3, base_delay=0).call(fail, sleep=lambda s: None)
    assert len(calls) == 3


def test_permanent_not_retried():
    calls = []

    def fail():
        calls.append(1)
        raise backend_error("authentication_failed", "401")

    with pytest.raises(PermanentError):
        RetryPolicy(max_attempts=5).call(fail, sleep=lambda s: None)
    assert len(calls) == 1


def test_retry_after_honoured_under_cap():
    waits = []
    errors = [backend_error("throttled", "429", retry_after=2.0), backend_error("throttled", "429", retry_after=500.0)]

    def flaky():
        if errors:
            raise errors.pop(0)
        return "ok"

    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=10, max_total=100)
    assert policy.call(flaky, sleep=waits.append) == "ok"
    assert waits[0] == 2.0
    assert waits[1] == 10


def test_total_wait_capped():
    waits = []

    def fail():
        raise backend_error("throttled", "busy", retry_after=4.0)

    with pytest.raises(TransientError):
        RetryPolicy(max_attempts=5, max_delay=5, max_total=9).call(fail, sleep=waits.append)
    assert waits == [4.0, 4.0]


def test_limits_validate():
    with pytest.raises(ValueError, match="per_mailbox must be an integer from 1 to 4, got 5"):
        Limits(per_mailbox=5)
    assert Limits.from_settings(None) == Limits(32, 4, 8)


def test_keyed_limiter_bounds_in_flight():
    limiter = KeyedLimiter(2)
    peak = {"now": 0, "max": 0}
    lock = threading.Lock()

    def work():
        with limiter.hold("Mailbox@Example.com"):
            with lock:
                peak["now"] += 1
                peak["max"] = max(peak["max"], peak["now"])
            time.sleep(0.01)
            with lock:
                peak["now"] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak["max"] == 2
    assert limiter.peak == 2


def test_transient_reasons():
    assert reasons.TRANSIENT == {"timed_out", "throttled", "connection_failed"}


def test_unknown_reason_rejected():
    with pytest.raises(KeyError, match="unknown reason code 'nope'"):
        backend_error("nope")


def test_reason_in_japanese():
    rendered = reasons.get("no_profile_mapped").render("ja")
    assert rendered["code"] == "no_profile_mapped"
    assert rendered["text"] != reasons.get("no_profile_mapped").text


def test_diagnosis_fills_placeholders():
    rendered = reasons.DIAGNOSES["wrong_client_id"].render("en", client_id="abc", tenant_id="t1")
    assert rendered["message"] == "Application with identifier 'abc' was not found in the directory t1"
    assert rendered["reason"] == "authentication_failed"
