"""The control API over HTTPS and the per-test reset of the sandbox fixture."""

from __future__ import annotations

from mar_sandbox.testing import TENANT_DOMAIN, client_session, standard_seed

from .conftest import folder_messages

ALICE = f"alice@{TENANT_DOMAIN}"


def _call(sandbox, method: str, route: str, token: str | None = None, **kwargs):
    session = client_session(sandbox.ca_file)
    headers = {"X-Sandbox-Token": sandbox.control_token if token is None else token}
    return session.request(method, sandbox.control_url + route, headers=headers, timeout=10, **kwargs)


def test_token_required(sandbox):
    answer = _call(sandbox, "GET", "/status", token="wrong")
    assert answer.status_code == 401
    assert answer.json() == {"error": "missing or wrong X-Sandbox-Token header"}


def test_status(sandbox):
    body = _call(sandbox, "GET", "/status").json()
    assert body["graph_url"] == sandbox.graph_url
    assert body["ca_file"] == sandbox.ca_file
    assert "control_token" not in body


def test_inspect_mailbox(sandbox):
    body = _call(sandbox, "GET", f"/mailboxes/{ALICE}").json()
    assert body["location"] == "tenant"
    assert body["has_archive"] is True


def test_inspect_unknown_mailbox(sandbox):
    answer = _call(sandbox, "GET", "/mailboxes/nobody@contoso.example")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no mailbox 'nobody@contoso.example' in the sandbox"}


def test_fault_rules_round_trip(sandbox):
    added = _call(sandbox, "POST", "/faults", json={"kind": "throttle", "service": "graph", "retry_after": 2}).json()
    rules = _call(sandbox, "GET", "/faults").json()["rules"]
    assert [(r["id"], r["kind"]) for r in rules] == [(added["id"], "throttle")]
    _call(sandbox, "DELETE", f"/faults/{added['id']}")
    assert _call(sandbox, "GET", "/faults").json()["rules"] == []


def test_invalid_fault_rule(sandbox):
    answer = _call(sandbox, "POST", "/faults", json={"kind": "explode"})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("unknown fault kind 'explode'")


def test_load_seed_and_reset(sandbox):
    seed = standard_seed()
    seed["mailboxes"] = seed["mailboxes"][:1]
    assert _call(sandbox, "POST", "/seed", json=seed).status_code == 200
    assert _call(sandbox, "GET", "/mailboxes").json() == [ALICE]
    sandbox.store.delete_message(ALICE, folder_messages(sandbox, ALICE, "inbox")[0]["id"])
    assert _call(sandbox, "POST", "/reset").status_code == 200
    assert len(folder_messages(sandbox, ALICE, "inbox")) == 2


def test_invalid_seed_rejected(sandbox):
    answer = _call(sandbox, "POST", "/seed", json={"mailboxes": [{"address": "x"}]})
    assert answer.status_code == 400
    assert "invalid sandbox seed" in answer.json()["error"]


def test_request_log_filters(sandbox):
    _call(sandbox, "GET", "/status")
    since = sandbox.context.log.last_sequence
    client_session(sandbox.ca_file).get(f"{sandbox.graph_url}/v1.0/users/{ALICE}/messages", timeout=10)
    entries = _call(sandbox, "GET", f"/requests?service=graph&since={since}").json()
    assert [(e["status"], e["error"]) for e in entries] == [(401, "InvalidAuthenticationToken")]


def test_state_from_previous_test_is_gone(sandbox):
    # test_load_seed_and_reset left one mailbox; the fixture restores the seed.
    assert len(sandbox.store.mailboxes) == len(standard_seed()["mailboxes"])
    assert sandbox.request_log() == []


def test_limits_route(sandbox):
    body = {"service": "graph", "concurrency": 2, "rate_limit": {"requests": 5, "per_seconds": 10}}
    answer = _call(sandbox, "POST", "/limits", json=body)
    assert answer.status_code == 200
    assert answer.json()["concurrency"] == {"graph": 2}
    assert answer.json()["rate_limit"] == {"graph": {"requests": 5, "per_seconds": 10.0, "retry_after": 1.0}}


def test_limits_route_unknown_service(sandbox):
    answer = _call(sandbox, "POST", "/limits", json={"service": "smtp", "concurrency": 1})
    assert answer.status_code == 400
    assert answer.json() == {"error": "unknown service 'smtp': use one of login, graph, ews, control, any"}
