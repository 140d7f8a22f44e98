"""JSON batching on the sandbox's Graph endpoint."""

from __future__ import annotations

from mar_sandbox.testing import MALICIOUS_MESSAGE_ID, TENANT_DOMAIN

from .conftest import folder_messages, graph_error

ALICE = f"alice@{TENANT_DOMAIN}"
BOB = f"bob@{TENANT_DOMAIN}"
SECURITY = f"security@{TENANT_DOMAIN}"


def _by_id(answer) -> dict:
    return {r["id"]: r for r in answer.json()["responses"]}


def test_batch_forward_then_delete(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    requests_ = [
        {
            "id": "forward",
            "method": "POST",
            "url": f"/users/{ALICE}/messages/{message_id}/forward",
            "headers": {"Content-Type": "application/json"},
            "body": {"toRecipients": [{"emailAddress": {"address": SECURITY}}]},
        },
        {"id": "delete", "method": "DELETE", "url": f"/users/{ALICE}/messages/{message_id}", "dependsOn": ["forward"]},
    ]
    answer = graph.post("/$batch", json={"requests": requests_})
    assert answer.status_code == 200
    responses = _by_id(answer)
    assert responses["forward"]["status"] == 202
    assert responses["delete"]["status"] == 204
    assert len(folder_messages(sandbox, SECURITY, "inbox")) == 1
    assert len(folder_messages(sandbox, ALICE, "recoverableitemsdeletions")) == 1


def test_failed_dependency_gives_424(sandbox, graph):
    requests_ = [
        {"id": "1", "method": "DELETE", "url": f"/users/{ALICE}/messages/AAMkAGmissing"},
        {"id": "2", "method": "GET", "url": f"/users/{ALICE}/messages?$select=id", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": f"/users/{BOB}/messages?$select=id"},
    ]
    responses = _by_id(graph.post("/$batch", json={"requests": requests_}))
    assert responses["1"]["status"] == 404
    assert responses["1"]["body"]["error"]["code"] == "ErrorItemNotFound"
    assert responses["2"]["status"] == 424
    assert responses["3"]["status"] == 200


def test_item_can_be_throttled(sandbox, graph):
    sandbox.add_fault("throttle", service="graph", mailbox=BOB, retry_after=2)
    requests_ = [
        {"id": "a", "method": "GET", "url": f"/users/{ALICE}/messages?$select=id"},
        {"id": "b", "method": "GET", "url": f"/users/{BOB}/messages?$select=id"},
    ]
    answer = graph.post("/$batch", json={"requests": requests_})
    responses = _by_id(answer)
    assert answer.status_code == 200
    assert responses["a"]["status"] == 200
    assert responses["b"]["status"] == 429
    assert responses["b"]["headers"]["Retry-After"] == "2"
    assert responses["b"]["body"]["error"]["code"] == "ApplicationThrottled"


def test_more_than_twenty_rejected(graph):
    requests_ = [{"id": str(i), "method": "GET", "url": f"/users/{ALICE}/messages"} for i in range(21)]
    answer = graph.post("/$batch", json={"requests": requests_})
    assert graph_error(answer) == (400, "BadRequest", "The number of batch requests (21) exceeds the limit of 20.")


def test_twenty_accepted(graph):
    requests_ = [{"id": str(i), "method": "GET", "url": f"/users/{ALICE}/messages?$top=1"} for i in range(20)]
    answer = graph.post("/$batch", json={"requests": requests_})
    assert [r["status"] for r in answer.json()["responses"]] == [200] * 20


def test_duplicate_ids_rejected(graph):
    requests_ = [{"id": "a", "method": "GET", "url": f"/users/{ALICE}/messages"}, {"id": "A", "method": "GET", "url": f"/users/{BOB}/messages"}]
    answer = graph.post("/$batch", json={"requests": requests_})
    assert graph_error(answer) == (400, "BadRequest", "Request Id A has to be unique in a batch.")


def test_body_needs_content_type(graph):
    requests_ = [{"id": "1", "method": "POST", "url": f"/users/{ALICE}/messages/AAMkAGx/move", "body": {"destinationId": "inbox"}}]
    answer = graph.post("/$batch", json={"requests": requests_})
    assert graph_error(answer) == (400, "BadRequest", "Content-Type header must be specified for the body of batch request '1'.")


def test_unknown_dependency_rejected(graph):
    requests_ = [{"id": "1", "method": "GET", "url": f"/users/{ALICE}/messages", "dependsOn": ["9"]}]
    answer = graph.post("/$batch", json={"requests": requests_})
    assert graph_error(answer) == (400, "BadRequest", "Batch request '1' depends on '9', which is not in the batch.")


def test_batch_not_json(graph):
    answer = graph.post("/$batch", data=b"requests", headers={"Content-Type": "application/json"})
    assert graph_error(answer)[:2] == (400, "BadRequest")
