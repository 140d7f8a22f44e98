"""Every EWS failure signal the engine maps to a reason, as the real exchangelib raises it from the sandbox."""

from __future__ import annotations

import base64
import copy
import http.client
import socket
import ssl
import threading
import time

import pytest
import requests
from exchangelib import BASIC, DELEGATE, IMPERSONATION, NTLM, Account, Build, Configuration, Credentials, FailFast, FaultTolerance, Version
from exchangelib.errors import (
    ErrorAccessDenied,
    ErrorImpersonateUserDenied,
    ErrorMessageSizeExceeded,
    ErrorNonExistentMailbox,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    RateLimitError,
    TransportError,
    UnauthorizedError,
)
from exchangelib.items import ForwardItem
from exchangelib.properties import ReferenceItemId
from exchangelib.protocol import BaseProtocol, Protocol

from mar_sandbox.ews import ews_error_rules
from mar_sandbox.ews.testing import SandboxCAAdapter, install_adapter
from mar_sandbox.server import Sandbox

TENANT = "11111111-2222-3333-4444-555555555555"
PINNED = Version(build=Build(15, 1, 2507, 6))
BIG_ATTACHMENT = 10 * 1024 * 1024 + 1

SEED = {
    "tenants": [{"id": TENANT, "domains": ["cloud.example"]}],
    "onprem": [
        {
            "name": "corp",
            "domains": ["corp.example"],
            "netbios_domain": "CORP",
            "service_accounts": [
                {"username": "svc", "password": "Secret-1", "impersonation": True},
                {"username": "reader", "password": "Secret-2", "impersonation": False},
            ],
        },
        {"name": "branch", "domains": ["branch.example"], "service_accounts": []},
    ],
    "mailboxes": [
        {
            "address": "alice@corp.example",
            "onprem": "corp",
            "messages": [
                {
                    "internet_message_id": "<small@evil.example>",
                    "from": "eve@evil.example",
                    "subject": "Small",
                    "received": "2026-11-21T09:00:00Z",
                    "attachments": [{"name": "small.bin", "size": 8000}],
                },
            ],
        },
        {"address": "bob@corp.example", "onprem": "corp"},
        {"address": "dave@branch.example", "onprem": "branch"},
        {"address": "carol@cloud.example", "tenant": TENANT},
        {"address": "moved@corp.example", "tenant": TENANT},
    ],
}

HUGE_MESSAGE = {
    "internet_message_id": "<huge@evil.example>",
    "from": "eve@evil.example",
    "subject": "Huge",
    "received": "2026-11-20T09:00:00Z",
    "attachments": [{"name": "huge.iso", "size": BIG_ATTACHMENT}],
}

NO_MAILBOX = "The SMTP address has no mailbox associated with it."
SERVER_BUSY = "The server cannot service this request right now. Try again later."


@pytest.fixture(scope="module")
def ews_sandbox():
    sandbox = Sandbox(SEED).start()
    SandboxCAAdapter.trust(sandbox.ews_url("corp"), sandbox.ca_file)
    install_adapter()
    try:
        yield sandbox
    finally:
        SandboxCAAdapter.forget(sandbox.ews_url("corp"))
        sandbox.stop()


@pytest.fixture(autouse=True)
def fresh_state(ews_sandbox):
    ews_sandbox.reset()
    Protocol.clear_cache()
    yield
    Protocol.clear_cache()


def connect(
    sandbox,
    address="alice@corp.example",
    username="CORP\\svc",
    password="Secret-1",
    auth=NTLM,
    retry_policy=None,
    endpoint=None,
    version=PINNED,
    max_connections=None,
) -> Account:
    config = Configuration(
        service_endpoint=endpoint or sandbox.ews_url("corp"),
        credentials=Credentials(username, password),
        auth_type=auth,
        version=version,
        retry_policy=retry_policy or FailFast(),
        max_connections=max_connections,
    )
    return Account(address, access_type=IMPERSONATION, autodiscover=False, config=config)


def last_entry(sandbox) -> dict:
    return sandbox.request_log("ews")[-1]


@pytest.mark.parametrize("auth", [NTLM, BASIC])
def test_wrong_password_unauthorized(ews_sandbox, auth):
    with pytest.raises(UnauthorizedError) as raised:
        connect(ews_sandbox, password="wrong", auth=auth).inbox.total_count
    assert str(raised.value) == f"Invalid credentials for {ews_sandbox.ews_url('corp')}"
    assert last_entry(ews_sandbox)["status"] == 401


@pytest.mark.parametrize("auth", [NTLM, BASIC])
def test_wrong_password_looks_throttled(ews_sandbox, auth):
    # Under FaultTolerance exchangelib reads 401 as "back off" and gives up when the wait exceeds max_wait.
    with pytest.raises(RateLimitError) as raised:
        connect(ews_sandbox, password="wrong", auth=auth, retry_policy=FaultTolerance(max_wait=1)).inbox.total_count
    assert str(raised.value) == "Max timeout reached (gave up when asked to back off 10.000 seconds)"


def test_unknown_account_unauthorized(ews_sandbox):
    with pytest.raises(UnauthorizedError):
        connect(ews_sandbox, username="CORP\\nobody").inbox.total_count


def test_guessed_version_on_wrong_password(ews_sandbox):
    with pytest.raises(UnauthorizedError):
        connect(ews_sandbox, password="wrong", version=None).inbox.total_count


def test_impersonation_denied(ews_sandbox):
    with pytest.raises(ErrorImpersonateUserDenied) as raised:
        connect(ews_sandbox, username="CORP\\reader", password="Secret-2").inbox.total_count
    assert str(raised.value) == "The account does not have permission to impersonate the requested user."
    assert last_entry(ews_sandbox)["error"] == "ErrorImpersonateUserDenied"


def test_delegate_access_denied(ews_sandbox):
    config = Configuration(
        service_endpoint=ews_sandbox.ews_url("corp"),
        credentials=Credentials("CORP\\reader", "Secret-2"),
        auth_type=NTLM,
        version=PINNED,
        retry_policy=FailFast(),
    )
    account = Account("alice@corp.example", access_type=DELEGATE, autodiscover=False, config=config)
    with pytest.raises(ErrorAccessDenied) as raised:
        account.inbox.total_count
    assert str(raised.value) == "Access is denied. Check credentials and try again."


def test_impersonation_denied_during_version_guess(ews_sandbox):
    with pytest.raises(ErrorImpersonateUserDenied):
        connect(ews_sandbox, username="CORP\\reader", password="Secret-2", version=None).inbox.total_count
    assert connect(ews_sandbox, version=None).version.build == Build(15, 1, 2507, 6)


@pytest.mark.parametrize(
    "address",
    ["nobody@corp.example", "carol@cloud.example", "dave@branch.example"],
    ids=["unknown", "cloud", "other-organisation"],
)
def test_no_mailbox(ews_sandbox, address):
    with pytest.raises(ErrorNonExistentMailbox) as raised:
        connect(ews_sandbox, address=address).inbox.total_count
    assert str(raised.value) == NO_MAILBOX


def test_migrated_mailbox(ews_sandbox):
    with pytest.raises(ErrorNonExistentMailbox) as raised:
        connect(ews_sandbox, address="moved@corp.example").inbox.total_count
    assert str(raised.value) == "No mailbox with such guid."


def test_wrong_host_certificate(ews_sandbox):
    ews_sandbox.add_fault("wrong_certificate", service="ews")
    with pytest.raises(TransportError) as raised:
        connect(ews_sandbox).inbox.total_count
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)
    assert "IP address mismatch, certificate is not valid for '127.0.0.1'" in str(raised.value)


def test_untrusted_certificate(ews_sandbox):
    url = ews_sandbox.ews_url("corp")
    SandboxCAAdapter.forget(url)
    try:
        with pytest.raises(TransportError) as raised:
            connect(ews_sandbox).inbox.total_count
    finally:
        SandboxCAAdapter.trust(url, ews_sandbox.ca_file)
    assert "certificate verify failed: unable to get local issuer certificate" in str(raised.value)


def test_connection_refused(ews_sandbox):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    endpoint = f"https://127.0.0.1:{port}/EWS/Exchange.asmx"
    with pytest.raises(ErrorTimeoutExpired) as raised:
        connect(ews_sandbox, endpoint=endpoint).inbox.total_count
    assert "[Errno 111] Connection refused" in str(raised.value)


def test_server_busy_fail_fast(ews_sandbox):
    ews_sandbox.add_fault("throttle", service="ews", retry_after=0.25, count=1)
    with pytest.raises(ErrorServerBusy) as raised:
        connect(ews_sandbox).inbox.total_count
    assert str(raised.value) == SERVER_BUSY
    assert raised.value.back_off == 0.25
    entry = last_entry(ews_sandbox)
    assert (entry["status"], entry["error"], entry["fault"]) == (500, "ErrorServerBusy", "throttle")


def test_server_busy_retried_after_back_off(ews_sandbox):
    ews_sandbox.add_fault("throttle", service="ews", operation="GetFolder", retry_after=0.2, count=1)
    account = connect(ews_sandbox, retry_policy=FaultTolerance(max_wait=5))
    assert account.inbox.total_count == 1
    statuses = [(e["operation"], e["status"]) for e in ews_sandbox.request_log("ews") if e["status"] != 401]
    assert statuses[:2] == [("GetFolder", 500), ("GetFolder", 200)]


def test_server_busy_beyond_max_wait(ews_sandbox):
    ews_sandbox.add_fault("throttle", service="ews", retry_after=30, count=1)
    with pytest.raises(RateLimitError) as raised:
        connect(ews_sandbox, retry_policy=FaultTolerance(max_wait=2)).inbox.total_count
    assert str(raised.value) == "Max timeout reached (gave up when asked to back off 30.000 seconds)"


def test_rate_limit_server_busy(ews_sandbox):
    ews_sandbox.set_rate_limit("ews", 2, 60, retry_after=4)
    account = connect(ews_sandbox)
    with pytest.raises(ErrorServerBusy) as raised:
        for _ in range(3):
            list(account.inbox.all().only("subject"))
    assert raised.value.back_off == 4
    assert last_entry(ews_sandbox)["error"] == "ErrorServerBusy"


def test_concurrency_limit_server_busy(ews_sandbox):
    ews_sandbox.set_concurrency_limit("ews", 1)
    ews_sandbox.add_fault("latency", service="ews", operation="FindItem", delay=1.0, count=1)
    account = connect(ews_sandbox, max_connections=2)
    account.inbox.total_count  # resolves the folder before the two searches start
    outcome = {}

    def slow_search():
        outcome["slow"] = len(list(account.inbox.all().only("subject")))

    worker = threading.Thread(target=slow_search)
    worker.start()
    time.sleep(0.3)
    with pytest.raises(ErrorServerBusy) as raised:
        list(account.inbox.all().only("subject"))
    worker.join(timeout=10)
    assert outcome == {"slow": 1}
    assert str(raised.value) == SERVER_BUSY
    busy = [e for e in ews_sandbox.request_log("ews") if e["error"] == "ErrorServerBusy"]
    assert [e["fault"] for e in busy] == ["concurrency"]


def test_latency_delays_response(ews_sandbox):
    ews_sandbox.add_fault("latency", service="ews", operation="GetFolder", delay=0.3)
    started = time.monotonic()
    assert connect(ews_sandbox).inbox.total_count == 1
    assert time.monotonic() - started >= 0.3
    folder_calls = [e for e in ews_sandbox.request_log("ews") if e["operation"] == "GetFolder"]
    assert all(e["duration_ms"] >= 300 for e in folder_calls)


def test_server_busy_then_503_gives_up(ews_sandbox):
    ews_sandbox.add_fault("throttle", service="ews", retry_after=0.2, count=1)
    ews_sandbox.add_fault("server_error", service="ews", status=503, count=1)
    with pytest.raises(RateLimitError) as raised:
        connect(ews_sandbox, retry_policy=FaultTolerance(max_wait=2)).inbox.total_count
    served = [(e["status"], e["error"] or e["fault"]) for e in ews_sandbox.request_log("ews") if e["status"] != 401]
    # exchangelib 5.6 doubles its retry wait (10 s at first) after every retry, so the 503 asks for 20 s.
    assert str(raised.value) == "Max timeout reached (gave up when asked to back off 20.000 seconds)"
    assert served == [(500, "ErrorServerBusy"), (503, "server_error")]


def test_http_503(ews_sandbox):
    ews_sandbox.add_fault("server_error", service="ews", status=503)
    with pytest.raises(ErrorServerBusy) as raised:
        connect(ews_sandbox).inbox.total_count
    assert str(raised.value) == "Reraised from ErrorInternalServerTransientError(Caused by HTTP 503 response)"
    assert last_entry(ews_sandbox)["status"] == 503


def test_dropped_connection(ews_sandbox):
    ews_sandbox.add_fault("drop", service="ews")
    with pytest.raises(ErrorTimeoutExpired) as raised:
        connect(ews_sandbox).inbox.total_count
    assert "Remote end closed connection without response" in str(raised.value)


def test_hung_response_times_out(ews_sandbox, monkeypatch):
    monkeypatch.setattr(BaseProtocol, "TIMEOUT", 0.5)
    ews_sandbox.add_fault("hang", service="ews", seconds=2)
    with pytest.raises(ErrorTimeoutExpired) as raised:
        connect(ews_sandbox).inbox.total_count
    assert "Read timed out. (read timeout=0.5)" in str(raised.value)


def test_forward_too_large(ews_sandbox):
    # The 10 MB attachment is generated only for this test, because every reset regenerates a seed's content.
    seed = copy.deepcopy(SEED)
    seed["mailboxes"][0]["messages"].append(HUGE_MESSAGE)
    ews_sandbox.load_seed(seed)
    try:
        account = connect(ews_sandbox)
        item = account.inbox.get(message_id="<huge@evil.example>")
        with pytest.raises(ErrorMessageSizeExceeded) as raised:
            item.forward(subject="FW: Huge", body="", to_recipients=["bob@corp.example"])
    finally:
        ews_sandbox.load_seed(SEED)
    assert str(raised.value) == "The message exceeds the maximum supported size., Size is larger than maximum size allowed."
    assert ews_sandbox.inspect("bob@corp.example")["folders"][0]["messages"] == []


def test_send_draft_over_store_limit(ews_sandbox):
    ews_sandbox.load_seed(dict(SEED, settings={"max_message_size": 4096}))
    try:
        account = connect(ews_sandbox)
        item = account.inbox.get(message_id="<small@evil.example>")
        forward = ForwardItem(
            account=account,
            reference_item_id=ReferenceItemId(id=item.id, changekey=item.changekey),
            subject="FW: Small",
            new_body="",
            to_recipients=["bob@corp.example"],
        )
        draft = account.drafts.get(id=forward.save(account.drafts).id)
        with pytest.raises(ErrorMessageSizeExceeded) as raised:
            draft.send()
        drafts = next(f for f in ews_sandbox.inspect("alice@corp.example")["folders"] if f["well_known"] == "drafts")
    finally:
        ews_sandbox.load_seed(SEED)
    assert str(raised.value) == "The message exceeds the maximum supported size., Size is larger than maximum size allowed."
    assert [m["subject"] for m in drafts["messages"]] == ["FW: Small"]


def test_impersonation_denied_for_one_mailbox(ews_sandbox):
    ews_error_rules(ews_sandbox.context).add(code="ErrorImpersonateUserDenied", mailbox="bob@corp.example", count=1)
    with pytest.raises(ErrorImpersonateUserDenied):
        connect(ews_sandbox, address="bob@corp.example").inbox.total_count
    assert connect(ews_sandbox, address="alice@corp.example").inbox.total_count == 1
    Protocol.clear_cache()
    assert connect(ews_sandbox, address="bob@corp.example").inbox.total_count == 0


def test_forbidden_folder_bind(ews_sandbox):
    ews_error_rules(ews_sandbox.context).add(status=403, operation="GetFolder")
    with pytest.raises(TransportError) as raised:
        connect(ews_sandbox).inbox.total_count
    assert "Unknown failure in response. Code: 403" in str(raised.value)
    assert "403 - Forbidden: Access is denied." in str(raised.value)
    assert (last_entry(ews_sandbox)["status"], last_entry(ews_sandbox)["fault"]) == (403, "ews_error")


def test_error_rules_cleared_on_reset(ews_sandbox):
    rules = ews_error_rules(ews_sandbox.context)
    rules.add(code="ErrorMailboxMoveInProgress")
    ews_sandbox.reset()
    assert rules.rules() == []
    assert connect(ews_sandbox).inbox.total_count == 1


# Requests exchangelib never sends get the response Exchange sends: a SOAP fault, never a stack trace.


def post_raw(sandbox, body: bytes, headers: dict | None = None, path: str = "/EWS/Exchange.asmx") -> requests.Response:
    credentials = base64.b64encode(b"CORP\\svc:Secret-1").decode()
    base = sandbox.ews_url("corp").rsplit("/EWS/", 1)[0]
    all_headers = {"Authorization": f"Basic {credentials}", "Content-Type": "text/xml; charset=utf-8"}
    all_headers.update(headers or {})
    return requests.post(base + path, data=body, headers=all_headers, verify=sandbox.ca_file, timeout=10)


ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
    'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
    '<s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header><s:Body>{body}</s:Body></s:Envelope>'
)
IMPERSONATED_ENVELOPE = ENVELOPE.replace(
    "<s:Header>",
    "<s:Header><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>alice@corp.example"
    "</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>",
)


@pytest.mark.parametrize(
    ("body", "violation"),
    [
        (b"not xml at all", "The XML is not well formed: syntax error. Line 1, position 1."),
        (b"<a><b></a>", "The XML is not well formed: mismatched tag. Line 1, position 9."),
        (ENVELOPE.format(body="").encode(), "The SOAP Body is missing or empty."),
        (
            ENVELOPE.format(body="<m:FindItem Traversal='Deep'/>").encode(),
            "The 'Traversal' attribute is invalid - The value 'Deep' is invalid according to its datatype.",
        ),
    ],
    ids=["not-xml", "broken-xml", "empty-body", "deep-find-item"],
)
def test_malformed_soap_fault(ews_sandbox, body, violation):
    response = post_raw(ews_sandbox, body)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert "<faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">a:ErrorSchemaValidation</faultcode>" in response.text
    assert f"<t:Violation>{violation}</t:Violation>" in response.text
    assert "Traceback" not in response.text


def test_unknown_operation_fault(ews_sandbox):
    response = post_raw(ews_sandbox, ENVELOPE.format(body="<m:LaunchRocket/>").encode())
    assert response.status_code == 500
    assert "a:ErrorSchemaValidation" in response.text
    assert "has invalid child element 'LaunchRocket'" in response.text


def test_unsupported_restriction_path(ews_sandbox):
    body = (
        "<m:FindItem Traversal='Shallow'><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
        "<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI='calendar:Start'/>"
        "<t:FieldURIOrConstant><t:Constant Value='x'/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>"
        "<m:ParentFolderIds><t:DistinguishedFolderId Id='inbox'/></m:ParentFolderIds></m:FindItem>"
    )
    response = post_raw(ews_sandbox, IMPERSONATED_ENVELOPE.format(body=body).encode())
    assert response.status_code == 500
    assert "<e:ResponseCode xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">ErrorUnsupportedPathForQuery</e:ResponseCode>" in response.text
    assert "ServerVersionInfo" in response.text


@pytest.mark.parametrize(
    ("folder_id", "code", "text"),
    [
        ('<t:FolderId Id="not-an-id"/>', "ErrorInvalidIdMalformed", "Id is malformed."),
        ('<t:FolderId Id="AAMkAFunknown"/>', "ErrorFolderNotFound", "The specified folder could not be found in the store."),
        ('<t:DistinguishedFolderId Id="calendar"/>', "ErrorFolderNotFound", "The specified folder could not be found in the store."),
    ],
    ids=["malformed", "unknown", "absent-distinguished"],
)
def test_get_folder_per_folder_errors(ews_sandbox, folder_id, code, text):
    body = f"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>{folder_id}</m:FolderIds></m:GetFolder>"
    response = post_raw(ews_sandbox, IMPERSONATED_ENVELOPE.format(body=body).encode())
    assert response.status_code == 200
    assert '<m:GetFolderResponseMessage ResponseClass="Error">' in response.text
    assert f"<m:MessageText>{text}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode>" in response.text


BARE_OPERATIONS = [
    "<m:GetFolder/>",
    "<m:FindFolder/>",
    "<m:FindItem/>",
    "<m:GetItem/>",
    "<m:GetAttachment/>",
    "<m:DeleteItem/>",
    '<m:DeleteItem DeleteType="HardDelete"/>',
    "<m:CreateItem/>",
    '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:ForwardItem/></m:Items></m:CreateItem>',
    '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message/></m:Items></m:CreateItem>',
    "<m:SendItem/>",
    '<m:SendItem SaveItemToFolder="true"><m:ItemIds><t:ItemId Id="AAMkAGnothing"/></m:ItemIds></m:SendItem>',
    "<m:ConvertId/>",
]


@pytest.mark.parametrize("operation", BARE_OPERATIONS)
def test_incomplete_operation_no_internal_error(ews_sandbox, operation):
    response = post_raw(ews_sandbox, IMPERSONATED_ENVELOPE.format(body=operation).encode())
    assert response.status_code in (200, 500)
    assert "ErrorInternalServerError" not in response.text
    assert "ResponseCode" in response.text


def test_invalid_server_version_fault(ews_sandbox):
    body = ENVELOPE.replace("Exchange2016", "Exchange2099").format(body="<m:GetFolder/>").encode()
    response = post_raw(ews_sandbox, body)
    assert response.status_code == 500
    assert "a:ErrorInvalidServerVersion" in response.text
    assert "The specified server version is invalid." in response.text


def test_missing_content_length(ews_sandbox):
    context = ssl.create_default_context(cafile=ews_sandbox.ca_file)
    host, port = ews_sandbox.ews_host("corp").split(":")
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
    try:
        connection.putrequest("POST", "/EWS/Exchange.asmx")
        connection.putheader("Content-Type", "text/xml; charset=utf-8")
        connection.endheaders()
        response = connection.getresponse()
    finally:
        connection.close()
    assert response.status == 411


def test_chunked_request_accepted(ews_sandbox):
    def chunks():
        yield b"not "
        yield b"xml"

    response = post_raw(ews_sandbox, chunks())
    assert response.status_code == 500
    assert "a:ErrorSchemaValidation" in response.text


def test_unknown_path_not_found(ews_sandbox):
    response = post_raw(ews_sandbox, b"<x/>", path="/EWS/Other.asmx")
    assert response.status_code == 404


def test_service_page_needs_sign_in(ews_sandbox):
    url = ews_sandbox.ews_url("corp")
    anonymous = requests.get(url, verify=ews_sandbox.ca_file, timeout=10)
    signed_in = requests.get(url, auth=("CORP\\svc", "Secret-1"), verify=ews_sandbox.ca_file, timeout=10)
    assert anonymous.status_code == 401
    assert signed_in.status_code == 200
    assert "You have created a service." in signed_in.text


def test_challenge_lists_offered_schemes(ews_sandbox):
    response = requests.post(ews_sandbox.ews_url("corp"), data=b"<x/>", verify=ews_sandbox.ca_file, timeout=10)
    assert response.status_code == 401
    assert response.raw.headers.getlist("WWW-Authenticate") == ["Negotiate", "NTLM", 'Basic realm="' + ews_sandbox.ews_host("corp") + '"']
