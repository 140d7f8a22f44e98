"""Rules that inject one EWS fault or HTTP status for chosen requests."""

from __future__ import annotations

import pytest

from mar_sandbox.ews.error_rules import EwsErrorRules


def test_rule_fires_count_times():
    rules = EwsErrorRules()
    rules.add(code="ErrorImpersonateUserDenied", mailbox="Bob@Corp.example", count=2)
    assert rules.fire("alice@corp.example", "GetFolder") is None
    assert rules.fire("bob@corp.example", "GetFolder").code == "ErrorImpersonateUserDenied"
    assert rules.fire("BOB@corp.example", "FindItem").fired == 2
    assert rules.fire("bob@corp.example", "GetFolder") is None


def test_rule_matches_operation():
    rules = EwsErrorRules()
    rules.add(status=403, operation="GetFolder")
    assert rules.fire("alice@corp.example", "FindItem") is None
    assert rules.fire(None, "GetFolder").status == 403


def test_server_busy_fault_carries_back_off():
    rules = EwsErrorRules()
    rules.add(code="ErrorServerBusy", back_off_ms=2500)
    fault = rules.fire(None, "GetItem").fault()
    assert fault.values == {"BackOffMilliseconds": "2500"}
    assert fault.message == "The server cannot service this request right now. Try again later."


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "give exactly one of code (an EWS response code) and status (an HTTP status)"),
        ({"code": "ErrorServerBusy", "status": 503}, "give exactly one of code (an EWS response code) and status (an HTTP status)"),
        (
            {"code": "ErrorNope"},
            "unknown EWS error code 'ErrorNope': use one of ErrorAccessDenied, ErrorImpersonateUserDenied, "
            "ErrorInternalServerError, ErrorItemNotFound, ErrorMailboxMoveInProgress, ErrorNonExistentMailbox, ErrorServerBusy",
        ),
        ({"status": 418}, "unsupported HTTP status 418: use one of 401, 403, 404, 500, 502, 503"),
        ({"status": 403, "count": 0}, "count 0 must be at least 1, or None for every request"),
    ],
)
def test_invalid_rule_rejected(arguments, message):
    with pytest.raises(ValueError) as raised:
        EwsErrorRules().add(**arguments)
    assert str(raised.value) == message
