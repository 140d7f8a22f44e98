"""Fault rules, rates with a seed, concurrency slots and request-rate limits."""

from __future__ import annotations

import pytest

from mar_sandbox.faults import FaultRule, Faults


def test_rule_matches_service_mailbox_operation():
    faults = Faults()
    faults.add_rule({"kind": "throttle", "service": "graph", "mailbox": "Alice@X.example", "operation": "delete", "retry_after": 4})
    assert faults.decide("graph", mailbox="alice@x.example", operation="find").action is None
    assert faults.decide("ews", mailbox="alice@x.example", operation="delete").action is None
    decision = faults.decide("graph", mailbox="alice@x.example", operation="delete")
    assert decision.action == "throttle"
    assert decision.backoff_ms == 4000


def test_count_limits_firing():
    faults = Faults()
    faults.add_rule({"kind": "server_error", "status": 502, "count": 2})
    actions = [faults.decide("graph").action for _ in range(3)]
    assert actions == ["server_error", "server_error", None]


def test_latency_adds_to_fault():
    faults = Faults()
    faults.add_rule({"kind": "latency", "delay": 0.25})
    faults.add_rule({"kind": "latency", "delay": 0.5})
    faults.add_rule({"kind": "drop"})
    decision = faults.decide("ews")
    assert decision.delay == 0.75
    assert decision.action == "drop"


def test_rate_is_repeatable_with_seed():
    def run() -> list[str | None]:
        faults = Faults()
        faults.configure({"seed": 11, "rules": [{"kind": "throttle", "rate": 0.3}]})
        return [faults.decide("graph").action for _ in range(50)]

    first = run()
    assert first == run()
    assert 5 <= first.count("throttle") <= 25


def test_concurrency_slot():
    faults = Faults()
    faults.set_concurrency_limit("graph", 2)
    with faults.slot("graph", "app", "a@x") as first, faults.slot("graph", "app", "a@x") as second:
        with faults.slot("graph", "app", "a@x") as third, faults.slot("graph", "app", "b@x") as other:
            assert first is None
            assert second is None
            assert third is not None
            assert third.action == "throttle"
            assert other is None
    with faults.slot("graph", "app", "a@x") as again:
        assert again is None


def test_graph_concurrency_default_is_four():
    faults = Faults()
    assert faults.describe()["concurrency"] == {"graph": 4}


def test_rate_limit_per_mailbox():
    faults = Faults()
    faults.set_rate_limit("graph", 2, 60, retry_after=9)
    actions = [faults.decide("graph", mailbox="a@x", app="app").action for _ in range(3)]
    assert actions == [None, None, "throttle"]
    assert faults.decide("graph", mailbox="b@x", app="app").action is None


def test_wrong_certificate_only_at_handshake():
    faults = Faults()
    faults.add_rule({"kind": "wrong_certificate", "service": "ews", "count": 1})
    assert faults.decide("ews").action is None
    assert faults.wrong_certificate("graph") is False
    assert faults.wrong_certificate("ews") is True
    assert faults.wrong_certificate("ews") is False


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "explode"}, "unknown fault kind 'explode': use one of latency, throttle, server_error, hang, drop, wrong_certificate"),
        ({"kind": "drop", "service": "smtp"}, "unknown service 'smtp': use one of login, graph, ews, control, any"),
        ({"kind": "drop", "rate": 2}, "fault rate 2 is outside 0..1"),
        ({"kind": "server_error", "status": 404}, "server_error status 404 is not a 5xx code"),
        ({"kind": "drop", "when": "now"}, "unknown fault rule field(s) when: use app, count, delay, kind, mailbox, operation, rate, retry_after, seconds, service, status"),
    ],
)
def test_invalid_rules(rule, message):
    with pytest.raises(ValueError) as raised:
        FaultRule.from_dict(rule)
    assert str(raised.value) == message


def test_clear_restores_defaults():
    faults = Faults()
    faults.add_rule({"kind": "drop"})
    faults.set_concurrency_limit("graph", None)
    faults.clear()
    assert faults.describe()["rules"] == []
    assert faults.describe()["concurrency"] == {"graph": 4}
