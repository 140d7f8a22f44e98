"""Graph permission, scope, token and throttling answers as the client receives them."""

from __future__ import annotations

import threading

import requests

from mar_sandbox.testing import APP_FULL, APP_NO_ROLES, APP_READ, APP_SCOPED, MALICIOUS_MESSAGE_ID, TENANT_DOMAIN, msal_app

from .conftest import folder_messages, graph_error, make_graph_client

ALICE = f"alice@{TENANT_DOMAIN}"
BOB = f"bob@{TENANT_DOMAIN}"
ACCESS_DENIED = (403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
FORWARD_TO = {"toRecipients": [{"emailAddress": {"address": f"security@{TENANT_DOMAIN}"}}]}


def test_no_roles_denied(sandbox):
    client = make_graph_client(sandbox, APP_NO_ROLES)
    assert graph_error(client.get(f"/users/{ALICE}/messages")) == ACCESS_DENIED


def test_read_only_app_can_find(sandbox):
    client = make_graph_client(sandbox, APP_READ)
    assert len(client.find(ALICE, MALICIOUS_MESSAGE_ID)) == 1


def test_read_only_app_cannot_delete(sandbox):
    client = make_graph_client(sandbox, APP_READ)
    message_id = client.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    assert graph_error(client.delete(f"/users/{ALICE}/messages/{message_id}")) == ACCESS_DENIED
    assert len(folder_messages(sandbox, ALICE, "inbox")) == 2


def test_forward_needs_mail_send(sandbox):
    seed = sandbox.seed_copy()
    seed["tenants"][0]["apps"][0]["roles"] = ["Mail.ReadWrite"]
    sandbox.load_seed(seed)
    client = make_graph_client(sandbox, APP_FULL)
    message_id = client.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    assert graph_error(client.post(f"/users/{ALICE}/messages/{message_id}/forward", json=FORWARD_TO)) == ACCESS_DENIED
    assert folder_messages(sandbox, ALICE, "sentitems") == []


def test_scoped_app_inside_scope(sandbox):
    client = make_graph_client(sandbox, APP_SCOPED)
    assert len(client.find(ALICE, MALICIOUS_MESSAGE_ID)) == 1


def test_scoped_app_outside_scope(sandbox):
    client = make_graph_client(sandbox, APP_SCOPED)
    assert graph_error(client.get(f"/users/{BOB}/messages")) == ACCESS_DENIED


def test_missing_token(graph):
    answer = graph.session.get(f"{graph.base}/users/{ALICE}/messages", verify=graph.ca_file)
    assert graph_error(answer) == (401, "InvalidAuthenticationToken", "Access token is empty.")
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm=""')


def test_forged_token(graph):
    graph.token = graph.token[:-4] + "AAAA"
    assert graph_error(graph.get(f"/users/{ALICE}/messages")) == (401, "InvalidAuthenticationToken", "Access token validation failure.")


def test_expired_token(sandbox, graph):
    sandbox.set_clock_offset(3600)
    assert graph_error(graph.get(f"/users/{ALICE}/messages")) == (
        401,
        "InvalidAuthenticationToken",
        "Access token has expired or is not yet valid.",
    )


def test_throttle_rule(sandbox, graph):
    sandbox.add_fault("throttle", service="graph", mailbox=ALICE, count=1, retry_after=7)
    first = graph.get(f"/users/{ALICE}/messages")
    assert graph_error(first) == (429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
    assert first.headers["Retry-After"] == "7"
    assert graph.get(f"/users/{ALICE}/messages").status_code == 200


def test_concurrency_limit_per_mailbox(sandbox, graph):
    sandbox.add_fault("latency", service="graph", mailbox=ALICE, delay=0.5)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def call() -> None:
        session = requests.Session()
        session.trust_env = False
        answer = session.get(f"{graph.base}/users/{ALICE}/messages", headers={"Authorization": f"Bearer {graph.token}"}, verify=graph.ca_file, timeout=10)
        with lock:
            results.append(answer)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 200, 200, 200, 429, 429]
    throttled = next(r for r in results if r.status_code == 429)
    assert graph_error(throttled) == (429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
    assert throttled.headers["Retry-After"] == "1"


def test_other_mailbox_not_limited(sandbox, graph):
    sandbox.set_concurrency_limit("graph", 1)
    assert graph.get(f"/users/{ALICE}/messages").status_code == 200
    assert graph.get(f"/users/{BOB}/messages").status_code == 200


def test_request_rate_limit(sandbox, graph):
    sandbox.set_rate_limit("graph", 3, 60, retry_after=30)
    statuses = [graph.get(f"/users/{ALICE}/messages").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert graph.get(f"/users/{BOB}/messages").status_code == 200


def test_server_error_rate_is_repeatable(sandbox, graph):
    def run() -> list[int]:
        sandbox.reset()
        sandbox.faults.set_seed(7)
        sandbox.add_fault("server_error", service="graph", rate=0.5, status=503)
        return [graph.get(f"/users/{ALICE}/messages").status_code for _ in range(12)]

    first = run()
    assert first == run()
    assert set(first) == {200, 503}


def test_server_error_body(sandbox, graph):
    sandbox.add_fault("server_error", service="graph", status=503, count=1)
    assert graph_error(graph.get(f"/users/{ALICE}/messages")) == (
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable. Please retry later.",
    )


def test_read_only_app_cannot_create_forward(sandbox):
    client = make_graph_client(sandbox, APP_READ)
    message_id = client.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    assert graph_error(client.post(f"/users/{ALICE}/messages/{message_id}/createForward", json=FORWARD_TO)) == ACCESS_DENIED
    assert folder_messages(sandbox, ALICE, "drafts") == []


def test_mailbox_by_object_id(sandbox, graph):
    object_id = sandbox.store.mailbox(ALICE).object_id
    assert graph.get(f"/users/{object_id}/messages?$top=1").status_code == 200


def test_access_policy_scope_text(sandbox):
    seed = sandbox.seed_copy()
    scoped = next(a for a in seed["tenants"][0]["apps"] if a["client_id"] == APP_SCOPED)
    scoped["scope_kind"] = "access_policy"
    sandbox.load_seed(seed)
    client = make_graph_client(sandbox, APP_SCOPED)
    assert graph_error(client.get(f"/users/{BOB}/messages")) == (403, "ErrorAccessDenied", "Access to OData is disabled.")


def test_localhost_audience_accepted(sandbox):
    graph_url = sandbox.graph_url.replace("127.0.0.1", "localhost")
    result = msal_app(sandbox, APP_FULL).acquire_token_for_client([f"{graph_url}/.default"])
    assert "access_token" in result, result.get("error_description")
    client = make_graph_client(sandbox)
    client.token = result["access_token"]
    answer = client.get(f"/users/{ALICE}/messages")
    assert answer.status_code == 200


def test_other_host_audience_rejected(sandbox):
    result = msal_app(sandbox, APP_FULL).acquire_token_for_client(["https://graph.example.net/.default"])
    assert "access_token" in result, result.get("error_description")
    client = make_graph_client(sandbox)
    client.token = result["access_token"]
    assert graph_error(client.get(f"/users/{ALICE}/messages")) == (
        401,
        "InvalidAuthenticationToken",
        "Access token validation failure. Invalid audience.",
    )
