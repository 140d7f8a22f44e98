"""Graph mail routes driven with requests and a token from the real msal; mailbox state checked by inspection."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

from mar_sandbox.seed import generated_bytes
from mar_sandbox.testing import MALICIOUS_ATTACHMENT, MALICIOUS_MESSAGE_ID, MALICIOUS_SIZE, TENANT_DOMAIN

from .conftest import folder_messages, graph_error

ALICE = f"alice@{TENANT_DOMAIN}"
BOB = f"bob@{TENANT_DOMAIN}"
SECURITY = f"security@{TENANT_DOMAIN}"
MALICIOUS_SHA256 = hashlib.sha256(generated_bytes(MALICIOUS_SIZE, f"{MALICIOUS_MESSAGE_ID}/{MALICIOUS_ATTACHMENT}")).hexdigest()
FORWARD_TO = {"comment": "Quarantined copy", "toRecipients": [{"emailAddress": {"address": SECURITY}}]}


def test_find_by_message_id_with_plus(graph):
    found = graph.find(ALICE, MALICIOUS_MESSAGE_ID)
    assert len(found) == 1
    assert found[0]["internetMessageId"] == MALICIOUS_MESSAGE_ID
    assert found[0]["hasAttachments"] is True
    assert set(found[0]) == {"@odata.etag", "id", "subject", "internetMessageId", "parentFolderId", "hasAttachments"}


def test_unencoded_plus_matches_nothing(graph):
    answer = graph.get(f"/users/{ALICE}/messages?$filter=internetMessageId eq '{MALICIOUS_MESSAGE_ID}'")
    assert answer.status_code == 200
    assert answer.json()["value"] == []


def test_find_covers_subfolders(graph):
    found = graph.find(BOB, MALICIOUS_MESSAGE_ID)
    assert len(found) == 1
    assert found[0]["parentFolderId"] == next(
        f["id"] for f in graph_inspect_folders(graph, BOB) if f["path"] == "Inbox/Projects"
    )


def graph_inspect_folders(graph, address):
    answer = graph.get(f"/users/{address}/mailFolders/inbox/childFolders")
    assert answer.status_code == 200
    return [{"id": f["id"], "path": "Inbox/" + f["displayName"]} for f in answer.json()["value"]]


def test_inbox_listing_misses_subfolder(graph):
    value = quote(f"internetMessageId eq '{MALICIOUS_MESSAGE_ID}'", safe="")
    answer = graph.get(f"/users/{BOB}/mailFolders/inbox/messages?$filter={value}")
    assert answer.json()["value"] == []


def test_doubled_quote_in_literal(sandbox, graph):
    seed = sandbox.seed_copy()
    seed["mailboxes"][0]["messages"].append(
        {"internet_message_id": "<o'brien@x.example>", "from": "x@x.example", "received": "2026-11-01T00:00:00Z"}
    )
    sandbox.load_seed(seed)
    found = graph.find(ALICE, "<o'brien@x.example>")
    assert [m["internetMessageId"] for m in found] == ["<o'brien@x.example>"]


def test_attachment_bytes_and_sha256(graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    answer = graph.get(f"/users/{ALICE}/messages/{message_id}/attachments")
    attachment = answer.json()["value"][0]
    assert attachment["@odata.type"] == "#microsoft.graph.fileAttachment"
    assert attachment["name"] == MALICIOUS_ATTACHMENT
    assert attachment["size"] == MALICIOUS_SIZE
    assert hashlib.sha256(base64.b64decode(attachment["contentBytes"])).hexdigest() == MALICIOUS_SHA256
    raw = graph.get(f"/users/{ALICE}/messages/{message_id}/attachments/{attachment['id']}/$value")
    assert hashlib.sha256(raw.content).hexdigest() == MALICIOUS_SHA256


def test_delete_moves_to_recoverable_items(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    answer = graph.delete(f"/users/{ALICE}/messages/{message_id}")
    assert answer.status_code == 204
    assert graph.find(ALICE, MALICIOUS_MESSAGE_ID) == []
    assert [m["internet_message_id"] for m in folder_messages(sandbox, ALICE, "recoverableitemsdeletions")] == [MALICIOUS_MESSAGE_ID]
    assert folder_messages(sandbox, ALICE, "deleteditems") == []
    dumpster = graph.get(f"/users/{ALICE}/mailFolders/recoverableitemsdeletions/messages?$select=internetMessageId")
    assert [m["internetMessageId"] for m in dumpster.json()["value"]] == [MALICIOUS_MESSAGE_ID]


def test_deleted_id_is_gone(graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    graph.delete(f"/users/{ALICE}/messages/{message_id}")
    answer = graph.get(f"/users/{ALICE}/messages/{message_id}")
    assert graph_error(answer) == (404, "ErrorItemNotFound", "The specified object was not found in the store.")


def test_permanent_delete_goes_to_purges(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    answer = graph.post(f"/users/{ALICE}/messages/{message_id}/permanentDelete")
    assert answer.status_code == 204
    assert [m["internet_message_id"] for m in folder_messages(sandbox, ALICE, "recoverableitemspurges")] == [MALICIOUS_MESSAGE_ID]
    assert folder_messages(sandbox, ALICE, "recoverableitemsdeletions") == []


def test_move_gives_new_id(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    answer = graph.post(f"/users/{ALICE}/messages/{message_id}/move", json={"destinationId": "deleteditems"})
    assert answer.status_code == 201
    moved = answer.json()
    assert moved["id"] != message_id
    assert [m["id"] for m in folder_messages(sandbox, ALICE, "deleteditems")] == [moved["id"]]
    assert graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"] == moved["id"]


def test_forward_keeps_attachment(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    answer = graph.post(f"/users/{ALICE}/messages/{message_id}/forward", json=FORWARD_TO)
    assert answer.status_code == 202
    assert answer.content == b""
    received = folder_messages(sandbox, SECURITY, "inbox")
    assert len(received) == 1
    assert received[0]["subject"] == "FW: Invoice 4711"
    assert [a["sha256"] for a in received[0]["attachments"]] == [MALICIOUS_SHA256]
    sent = folder_messages(sandbox, ALICE, "sentitems")
    assert [a["sha256"] for a in sent[0]["attachments"]] == [MALICIOUS_SHA256]
    assert sent[0]["to"] == [SECURITY]


def test_forward_outside_sandbox_is_recorded(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    body = {"toRecipients": [{"emailAddress": {"address": "soc@partner.example"}}]}
    assert graph.post(f"/users/{ALICE}/messages/{message_id}/forward", json=body).status_code == 202
    deliveries = sandbox.inspect(ALICE)["deliveries"]
    assert [(d["to"], d["delivered"], d["attachment_sha256"]) for d in deliveries] == [("soc@partner.example", False, [MALICIOUS_SHA256])]


def test_forward_needs_recipients(graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    answer = graph.post(f"/users/{ALICE}/messages/{message_id}/forward", json={"comment": "x"})
    assert graph_error(answer) == (400, "ErrorInvalidRecipients", "At least one recipient is required, but none were found.")


def test_forward_rejects_both_recipient_forms(graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    body = {"toRecipients": FORWARD_TO["toRecipients"], "message": {"toRecipients": FORWARD_TO["toRecipients"]}}
    answer = graph.post(f"/users/{ALICE}/messages/{message_id}/forward", json=body)
    assert answer.status_code == 400


def test_forward_rejects_comment_and_body(graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    body = {"comment": "a", "toRecipients": FORWARD_TO["toRecipients"], "message": {"body": {"contentType": "text", "content": "b"}}}
    answer = graph.post(f"/users/{ALICE}/messages/{message_id}/forward", json=body)
    assert answer.status_code == 400


def test_create_forward_then_send(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    draft = graph.post(f"/users/{ALICE}/messages/{message_id}/createForward", json=FORWARD_TO)
    assert draft.status_code == 201
    draft_id = draft.json()["id"]
    assert draft.json()["isDraft"] is True
    fetched = graph.get(f"/users/{ALICE}/messages/{draft_id}")
    assert fetched.status_code == 200
    assert [m["id"] for m in folder_messages(sandbox, ALICE, "drafts")] == [draft_id]
    sent = graph.post(f"/users/{ALICE}/messages/{draft_id}/send")
    assert sent.status_code == 202
    assert graph_error(graph.get(f"/users/{ALICE}/messages/{draft_id}"))[1] == "ErrorItemNotFound"
    assert folder_messages(sandbox, ALICE, "drafts") == []
    assert [a["sha256"] for a in folder_messages(sandbox, ALICE, "sentitems")[0]["attachments"]] == [MALICIOUS_SHA256]
    assert [a["sha256"] for a in folder_messages(sandbox, SECURITY, "inbox")[0]["attachments"]] == [MALICIOUS_SHA256]


def test_paging_follows_next_link(sandbox, graph):
    seed = sandbox.seed_copy()
    seed["mailboxes"][2]["messages"] = [
        {"internet_message_id": f"<bulk-{i}@x.example>", "from": "x@x.example", "received": f"2026-10-01T10:{i:02d}:00Z"} for i in range(23)
    ]
    sandbox.load_seed(seed)
    url = f"/users/{SECURITY}/messages?$select=internetMessageId&$top=10"
    pages = []
    while url:
        answer = graph.session.get(url if url.startswith("https:") else graph.base + url, headers={"Authorization": f"Bearer {graph.token}"}, verify=graph.ca_file)
        pages.append(len(answer.json()["value"]))
        url = answer.json().get("@odata.nextLink")
    assert pages == [10, 10, 3]


def test_default_page_is_ten(sandbox, graph):
    seed = sandbox.seed_copy()
    seed["mailboxes"][2]["messages"] = [
        {"internet_message_id": f"<bulk-{i}@x.example>", "from": "x@x.example", "received": f"2026-10-01T10:{i:02d}:00Z"} for i in range(12)
    ]
    sandbox.load_seed(seed)
    answer = graph.get(f"/users/{SECURITY}/messages")
    assert len(answer.json()["value"]) == 10
    assert answer.json()["@odata.nextLink"].endswith("$skip=10")


def test_fallback_filters(graph):
    value = quote(
        "receivedDateTime ge 2026-11-30T09:00:00Z and receivedDateTime le 2026-11-30T09:30:00Z "
        "and from/emailAddress/address eq 'ATTACKER@evil.example' and hasAttachments eq true",
        safe="",
    )
    answer = graph.get(f"/users/{ALICE}/messages?$filter={value}&$select=internetMessageId")
    assert [m["internetMessageId"] for m in answer.json()["value"]] == [MALICIOUS_MESSAGE_ID]


def test_fallback_filter_outside_window(graph):
    value = quote("receivedDateTime gt 2026-11-30T09:15:00Z and hasAttachments eq true", safe="")
    answer = graph.get(f"/users/{ALICE}/messages?$filter={value}")
    assert answer.json()["value"] == []


def test_quoted_datetime_rejected(graph):
    answer = graph.get(f"/users/{ALICE}/messages?$filter=receivedDateTime ge '2026-11-30T09:00:00Z'")
    assert graph_error(answer) == (
        400,
        "BadRequest",
        "A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and "
        "'Edm.String' for operator kind 'GreaterThanOrEqual'.",
    )


def test_unknown_filter_property(graph):
    answer = graph.get(f"/users/{ALICE}/messages?$filter=messageId eq 'x'")
    assert graph_error(answer) == (400, "BadRequest", "Could not find a property named 'messageId' on type 'microsoft.graph.message'.")


def test_filter_syntax_error(graph):
    answer = graph.get(f"/users/{ALICE}/messages?$filter=internetMessageId eq")
    assert graph_error(answer) == (400, "BadRequest", "Invalid filter clause: Syntax error at position 20 in 'internetMessageId eq'.")


def test_orderby_not_in_filter(graph):
    answer = graph.get(f"/users/{ALICE}/messages?$filter=hasAttachments eq true&$orderby=receivedDateTime desc")
    assert graph_error(answer) == (400, "InefficientFilter", "The restriction or sort order is too complex for this operation.")


def test_top_out_of_range(graph):
    answer = graph.get(f"/users/{ALICE}/messages?$top=1001")
    assert graph_error(answer) == (400, "ErrorInvalidProperty", "Invalid page size specified: '1001'. Must be between 1 and 1000 inclusive.")


def test_unknown_user(graph):
    answer = graph.get("/users/nobody@contoso.example/messages")
    assert graph_error(answer) == (404, "ErrorInvalidUser", "The requested user 'nobody@contoso.example' is invalid.")


def test_on_premises_mailbox(graph):
    answer = graph.get("/users/dave@corp.example/messages")
    assert graph_error(answer) == (
        404,
        "MailboxNotEnabledForRESTAPI",
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    )


def test_unknown_item(graph):
    answer = graph.get(f"/users/{ALICE}/messages/AAMkAGdoesnotexist")
    assert graph_error(answer) == (404, "ErrorItemNotFound", "The specified object was not found in the store.")


def test_malformed_item_id(graph):
    answer = graph.delete(f"/users/{ALICE}/messages/12345")
    assert graph_error(answer) == (400, "ErrorInvalidIdMalformed", "Id is malformed.")


def test_bad_json_body(graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    answer = graph.post(
        f"/users/{ALICE}/messages/{message_id}/forward", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert graph_error(answer) == (
        400,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    )


def test_unknown_segment(graph):
    answer = graph.get(f"/users/{ALICE}/mails")
    assert graph_error(answer) == (400, "BadRequest", "Resource not found for the segment 'mails'.")


def test_unknown_version(graph):
    answer = graph.session.get(graph.base.replace("/v1.0", "/v2.0") + "/users", headers={"Authorization": f"Bearer {graph.token}"}, verify=graph.ca_file)
    assert graph_error(answer) == (400, "BadRequest", "Invalid version: v2.0")


def test_error_body_shape(graph):
    answer = graph.get("/users/nobody@contoso.example/messages", headers={"client-request-id": "abc-123"})
    inner = answer.json()["error"]["innerError"]
    assert inner["client-request-id"] == "abc-123"
    assert inner["request-id"] == answer.headers["request-id"]
    assert set(inner) == {"date", "request-id", "client-request-id"}


def test_forward_too_large(sandbox, graph):
    seed = sandbox.seed_copy()
    seed["settings"] = {"max_message_size": 4096}
    sandbox.load_seed(seed)
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    answer = graph.post(f"/users/{ALICE}/messages/{message_id}/forward", json=FORWARD_TO)
    assert graph_error(answer) == (400, "ErrorMessageSizeExceeded", "The message exceeds the maximum supported size.")
    assert folder_messages(sandbox, ALICE, "drafts") == []
    assert folder_messages(sandbox, SECURITY, "inbox") == []


def test_send_draft_too_large(sandbox, graph):
    seed = sandbox.seed_copy()
    seed["settings"] = {"max_message_size": 4096}
    sandbox.load_seed(seed)
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    draft_id = graph.post(f"/users/{ALICE}/messages/{message_id}/createForward", json=FORWARD_TO).json()["id"]
    answer = graph.post(f"/users/{ALICE}/messages/{draft_id}/send")
    assert graph_error(answer) == (400, "ErrorMessageSizeExceeded", "The message exceeds the maximum supported size.")
    assert [m["id"] for m in folder_messages(sandbox, ALICE, "drafts")] == [draft_id]


def test_expand_attachments(graph):
    value = quote(f"internetMessageId eq '{MALICIOUS_MESSAGE_ID}'", safe="")
    answer = graph.get(f"/users/{ALICE}/messages?$filter={value}&$select=id&$expand=attachments")
    attachments = answer.json()["value"][0]["attachments"]
    assert [hashlib.sha256(base64.b64decode(a["contentBytes"])).hexdigest() for a in attachments] == [MALICIOUS_SHA256]


def test_user_object_needs_directory_role(graph):
    answer = graph.get(f"/users/{ALICE}")
    assert graph_error(answer) == (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def test_archive_not_reachable(sandbox, graph):
    seed = sandbox.seed_copy()
    archived = {"internet_message_id": "<archived@x.example>", "from": "x@x.example", "received": "2025-01-01T00:00:00Z", "folder": "archiveinbox"}
    seed["mailboxes"][0]["messages"].append(archived)
    sandbox.load_seed(seed)
    assert graph.find(ALICE, "<archived@x.example>") == []
    answer = graph.get(f"/users/{ALICE}/mailFolders/archivemsgfolderroot/messages")
    assert graph_error(answer) == (404, "ErrorItemNotFound", "The specified object was not found in the store.")
    assert [m["internet_message_id"] for m in folder_messages(sandbox, ALICE, "archiveinbox")] == ["<archived@x.example>"]


def test_delete_from_dumpster_rejected(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    graph.delete(f"/users/{ALICE}/messages/{message_id}")
    dumpster_id = folder_messages(sandbox, ALICE, "recoverableitemsdeletions")[0]["id"]
    answer = graph.delete(f"/users/{ALICE}/messages/{dumpster_id}")
    assert graph_error(answer) == (403, "ErrorCannotDeleteObject", "The object cannot be deleted.")


def test_patch_draft_recipients(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    draft_id = graph.post(f"/users/{ALICE}/messages/{message_id}/createForward", json={}).json()["id"]
    answer = graph.call("PATCH", f"/users/{ALICE}/messages/{draft_id}", json={"toRecipients": [{"emailAddress": {"address": SECURITY}}]})
    assert answer.status_code == 200
    assert answer.json()["toRecipients"] == [{"emailAddress": {"name": SECURITY, "address": SECURITY}}]
    assert graph.post(f"/users/{ALICE}/messages/{draft_id}/send").status_code == 202
    assert len(folder_messages(sandbox, SECURITY, "inbox")) == 1


def test_send_draft_without_recipients(graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]
    draft_id = graph.post(f"/users/{ALICE}/messages/{message_id}/createForward", json={}).json()["id"]
    answer = graph.post(f"/users/{ALICE}/messages/{draft_id}/send")
    assert graph_error(answer) == (400, "ErrorInvalidRecipients", "At least one recipient is required, but none were found.")


def test_chunked_request_body(sandbox, graph):
    message_id = graph.find(ALICE, MALICIOUS_MESSAGE_ID)[0]["id"]

    def body():
        yield b'{"destinationId":'
        yield b' "deleteditems"}'

    answer = graph.post(f"/users/{ALICE}/messages/{message_id}/move", data=body(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 201
    assert [m["id"] for m in folder_messages(sandbox, ALICE, "deleteditems")] == [answer.json()["id"]]
