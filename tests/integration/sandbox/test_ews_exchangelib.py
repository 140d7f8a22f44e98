"""The real exchangelib against the sandbox's EWS endpoint: version discovery, search, read, delete, forward."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
from exchangelib import BASIC, DELEGATE, IMPERSONATION, NTLM, Account, Build, Configuration, Credentials, FailFast, Version
from exchangelib.errors import ErrorFolderNotFound, ErrorItemNotFound, ErrorUnsupportedQueryFilter
from exchangelib.items import ForwardItem
from exchangelib.properties import ReferenceItemId
from exchangelib.protocol import Protocol

from mar_sandbox.ews.testing import SandboxCAAdapter, install_adapter
from mar_sandbox.server import Sandbox

TENANT = "11111111-2222-3333-4444-555555555555"
INVOICE_BYTES = b"%PDF-1.4 invoice with a macro"
INVOICE_SHA256 = hashlib.sha256(INVOICE_BYTES).hexdigest()


def _org(name: str, version: str) -> dict:
    return {
        "name": name,
        "version": version,
        "domains": [f"{name}.example"],
        "netbios_domain": name.upper(),
        "service_accounts": [{"username": "svc", "password": "Secret-1", "impersonation": True}],
    }


SEED = {
    "tenants": [{"id": TENANT, "domains": ["cloud.example"]}],
    "onprem": [_org("corp", "exchange2016"), _org("legacy", "exchange2013"), _org("modern", "exchange2019")],
    "mailboxes": [
        {
            "address": "alice@corp.example",
            "onprem": "corp",
            "folders": ["inbox/Projects"],
            "messages": [
                {
                    "internet_message_id": "<invoice-1@evil.example>",
                    "from": "eve@evil.example",
                    "subject": "Invoice",
                    "received": "2026-11-20T09:00:00Z",
                    "folder": "inbox/Projects",
                    "attachments": [{"name": "invoice.pdf", "content_base64": "JVBERi0xLjQgaW52b2ljZSB3aXRoIGEgbWFjcm8="}],
                },
                {
                    "internet_message_id": "no-brackets@evil.example",
                    "from": "mallory@evil.example",
                    "subject": "Bare id",
                    "received": "2026-11-21T09:00:00Z",
                },
                {
                    "internet_message_id": "<newsletter@good.example>",
                    "from": "news@good.example",
                    "subject": "Newsletter",
                    "received": "2026-11-25T09:00:00Z",
                    "body": "Monthly news",
                    "is_read": True,
                },
            ],
        },
        {
            "address": "bulk@corp.example",
            "onprem": "corp",
            "messages": [
                {
                    "internet_message_id": f"<bulk-{n}@corp.example>",
                    "from": "robot@corp.example",
                    "subject": f"Bulk {n}",
                    "received": f"2026-11-01T{n // 60:02d}:{n % 60:02d}:00Z",
                }
                for n in range(25)
            ],
        },
        {"address": "bob@corp.example", "onprem": "corp"},
        {
            "address": "archie@corp.example",
            "onprem": "corp",
            "archive": True,
            "messages": [
                {
                    "internet_message_id": "<archived@evil.example>",
                    "from": "eve@evil.example",
                    "subject": "Archived",
                    "received": "2025-06-01T09:00:00Z",
                    "folder": "archiveinbox",
                }
            ],
        },
        {"address": "old@legacy.example", "onprem": "legacy"},
        {"address": "new@modern.example", "onprem": "modern"},
        {"address": "carol@cloud.example", "tenant": TENANT},
    ],
}


@pytest.fixture(scope="module")
def ews_sandbox():
    sandbox = Sandbox(SEED).start()
    for org in ("corp", "legacy", "modern"):
        SandboxCAAdapter.trust(sandbox.ews_url(org), sandbox.ca_file)
    install_adapter()
    try:
        yield sandbox
    finally:
        for org in ("corp", "legacy", "modern"):
            SandboxCAAdapter.forget(sandbox.ews_url(org))
        sandbox.stop()


@pytest.fixture(autouse=True)
def fresh_state(ews_sandbox):
    ews_sandbox.reset()
    Protocol.clear_cache()
    yield
    Protocol.clear_cache()


def connect(
    sandbox, address="alice@corp.example", org="corp", auth=NTLM, version=None, username=None, access_type=IMPERSONATION
) -> Account:
    config = Configuration(
        service_endpoint=sandbox.ews_url(org),
        credentials=Credentials(username or f"{org.upper()}\\svc", "Secret-1"),
        auth_type=auth,
        version=version,
        retry_policy=FailFast(),
    )
    return Account(address, access_type=access_type, autodiscover=False, config=config)


def folder_messages(sandbox, address: str, well_known: str) -> list[dict]:
    for folder in sandbox.inspect(address)["folders"]:
        if folder["well_known"] == well_known:
            return folder["messages"]
    raise AssertionError(f"no folder {well_known} in {address}")


def find_invoice(account: Account):
    found = list(account.msg_folder_root.walk().filter(message_id="<invoice-1@evil.example>"))
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    ("org", "address", "build", "api_version"),
    [
        ("legacy", "old@legacy.example", Build(15, 0, 1497, 2), "Exchange2013_SP1"),
        ("corp", "alice@corp.example", Build(15, 1, 2507, 6), "Exchange2016"),
        ("modern", "new@modern.example", Build(15, 2, 1118, 7), "Exchange2016"),
    ],
)
def test_version_guess_per_release(ews_sandbox, org, address, build, api_version):
    account = connect(ews_sandbox, address=address, org=org)
    assert account.version.build == build
    assert account.version.api_version == api_version


def test_auth_type_discovered(ews_sandbox):
    account = connect(ews_sandbox, auth=None)
    assert account.protocol.auth_type == NTLM
    assert account.inbox.total_count == 2


def test_pinned_version_skips_probe(ews_sandbox):
    account = connect(ews_sandbox, version=Version(build=Build(15, 1, 2507, 6)))
    assert account.inbox.total_count == 2
    operations = [entry["operation"] for entry in ews_sandbox.request_log("ews")]
    assert "ConvertId" not in operations
    assert "GetFolder" in operations


@pytest.mark.parametrize("auth", [NTLM, BASIC])
def test_walk_finds_message_in_subfolder(ews_sandbox, auth):
    account = connect(ews_sandbox, auth=auth)
    item = find_invoice(account)
    projects = next(f for f in ews_sandbox.inspect("alice@corp.example")["folders"] if f["path"] == "Inbox/Projects")
    assert item.subject == "Invoice"
    assert item.parent_folder_id.id == projects["id"]
    assert item.sender.email_address == "eve@evil.example"
    assert item.has_attachments is True


@pytest.mark.parametrize("auth", [NTLM, BASIC])
def test_user_principal_name_login(ews_sandbox, auth):
    account = connect(ews_sandbox, auth=auth, username="svc@corp.example")
    assert account.inbox.total_count == 2


def test_delegate_access(ews_sandbox):
    account = connect(ews_sandbox, access_type=DELEGATE)
    assert find_invoice(account).subject == "Invoice"
    assert all(entry["mailbox"] is None for entry in ews_sandbox.request_log("ews"))


def test_archive_walk(ews_sandbox):
    account = connect(ews_sandbox, address="archie@corp.example")
    in_mailbox = list(account.msg_folder_root.walk().filter(message_id="<archived@evil.example>"))
    in_archive = list(account.archive_msg_folder_root.walk().filter(message_id="<archived@evil.example>"))
    assert in_mailbox == []
    assert [item.subject for item in in_archive] == ["Archived"]


def test_archive_missing(ews_sandbox):
    account = connect(ews_sandbox)
    with pytest.raises(ErrorFolderNotFound) as raised:
        account.archive_msg_folder_root
    assert str(raised.value) == (
        "Could not find distinguished folder 'archiveroot' "
        "(The specified folder could not be found in the store.)"
    )


def test_walk_uses_deep_find_folder(ews_sandbox):
    account = connect(ews_sandbox)
    find_invoice(account)
    entries = ews_sandbox.request_log("ews")
    operations = [entry["operation"] for entry in entries]
    assert "FindFolder" in operations
    assert operations[-2:] == ["FindItem", "GetItem"]
    assert all(entry["status"] in (200, 401) for entry in entries)


def test_message_id_matches_exact_form(ews_sandbox):
    account = connect(ews_sandbox)
    bare = list(account.msg_folder_root.walk().filter(message_id="no-brackets@evil.example"))
    bracketed = list(account.msg_folder_root.walk().filter(message_id="<no-brackets@evil.example>"))
    assert [item.subject for item in bare] == ["Bare id"]
    assert bracketed == []


def test_attachment_content_hashes(ews_sandbox):
    account = connect(ews_sandbox)
    item = find_invoice(account)
    attachment = item.attachments[0]
    assert attachment.name == "invoice.pdf"
    assert hashlib.sha256(attachment.content).hexdigest() == INVOICE_SHA256
    stored = next(m for m in ews_sandbox.inspect("alice@corp.example")["folders"] if m["path"] == "Inbox/Projects")
    assert stored["messages"][0]["attachments"][0]["sha256"] == INVOICE_SHA256


def test_filter_received_range(ews_sandbox):
    account = connect(ews_sandbox)
    start = datetime(2026, 11, 21, tzinfo=timezone.utc)
    end = datetime(2026, 11, 26, tzinfo=timezone.utc)
    found = account.inbox.filter(datetime_received__range=(start, end)).order_by("datetime_received")
    assert [item.subject for item in found] == ["Bare id", "Newsletter"]


def test_get_item_fields(ews_sandbox):
    account = connect(ews_sandbox)
    item = account.inbox.get(message_id="<newsletter@good.example>")
    assert item.body == "Monthly news"
    assert item.is_read is True
    assert item.datetime_sent == datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
    assert [recipient.email_address for recipient in item.to_recipients] == ["alice@corp.example"]


def test_filter_sender_and_author(ews_sandbox):
    account = connect(ews_sandbox)
    by_sender = list(account.inbox.filter(sender="news@good.example"))
    by_author = list(account.inbox.filter(author="mallory@evil.example"))
    assert [item.subject for item in by_sender] == ["Newsletter"]
    assert [item.subject for item in by_author] == ["Bare id"]


def test_find_item_pages(ews_sandbox):
    account = connect(ews_sandbox, address="bulk@corp.example")
    query = account.inbox.all().only("subject")
    query.page_size = 10
    subjects = [item.subject for item in query]
    find_requests = [e for e in ews_sandbox.request_log("ews") if e["operation"] == "FindItem"]
    assert len(subjects) == 25
    assert subjects[0] == "Bulk 24"
    assert len(find_requests) == 3


@pytest.mark.parametrize(
    ("action", "folder"),
    [("delete", "recoverableitemspurges"), ("soft_delete", "recoverableitemsdeletions"), ("move_to_trash", "deleteditems")],
)
def test_delete_modes_move_message(ews_sandbox, action, folder):
    account = connect(ews_sandbox)
    item = find_invoice(account)
    getattr(item, action)()
    moved = folder_messages(ews_sandbox, "alice@corp.example", folder)
    assert [message["internet_message_id"] for message in moved] == ["<invoice-1@evil.example>"]


def test_hard_deleted_item_not_found(ews_sandbox):
    account = connect(ews_sandbox)
    item = find_invoice(account)
    item_id, change_key = item.id, item.changekey
    item.delete()
    with pytest.raises(ErrorItemNotFound) as raised:
        account.root.get(id=item_id, changekey=change_key)
    assert str(raised.value) == "The specified object was not found in the store."


def test_trashed_message_still_found(ews_sandbox):
    account = connect(ews_sandbox)
    find_invoice(account).move_to_trash()
    again = find_invoice(account)
    folders = ews_sandbox.inspect("alice@corp.example")["folders"]
    deleted_items = next(folder for folder in folders if folder["well_known"] == "deleteditems")
    assert again.parent_folder_id.id == deleted_items["id"]
    assert again.id == deleted_items["messages"][0]["id"]


def test_forward_delivers_attachment(ews_sandbox):
    account = connect(ews_sandbox)
    find_invoice(account).forward(subject="FW: Invoice", body="Suspicious", to_recipients=["bob@corp.example"])
    received = folder_messages(ews_sandbox, "bob@corp.example", "inbox")
    sent = folder_messages(ews_sandbox, "alice@corp.example", "sentitems")
    assert [message["subject"] for message in received] == ["FW: Invoice"]
    assert received[0]["attachments"][0]["sha256"] == INVOICE_SHA256
    assert [message["subject"] for message in sent] == ["FW: Invoice"]


def test_forward_copy_readable_over_ews(ews_sandbox):
    account = connect(ews_sandbox)
    find_invoice(account).forward(subject="FW: Invoice", body="", to_recipients=["bob@corp.example"])
    Protocol.clear_cache()
    bob = connect(ews_sandbox, address="bob@corp.example")
    copy = list(bob.inbox.all())
    assert len(copy) == 1
    assert hashlib.sha256(copy[0].attachments[0].content).hexdigest() == INVOICE_SHA256


def test_forward_draft_then_send(ews_sandbox):
    account = connect(ews_sandbox)
    item = find_invoice(account)
    forward = ForwardItem(
        account=account,
        reference_item_id=ReferenceItemId(id=item.id, changekey=item.changekey),
        subject="FW: Invoice",
        new_body="Suspicious",
        to_recipients=["bob@corp.example"],
    )
    created = forward.save(account.drafts)
    draft = account.drafts.get(id=created.id)
    assert draft.is_draft is True
    assert [a.name for a in draft.attachments] == ["invoice.pdf"]
    assert folder_messages(ews_sandbox, "bob@corp.example", "inbox") == []

    draft.send()
    assert folder_messages(ews_sandbox, "alice@corp.example", "drafts") == []
    assert [m["subject"] for m in folder_messages(ews_sandbox, "alice@corp.example", "sentitems")] == ["FW: Invoice"]
    delivered = folder_messages(ews_sandbox, "bob@corp.example", "inbox")
    assert delivered[0]["attachments"][0]["sha256"] == INVOICE_SHA256


def test_forward_outside_sandbox_recorded(ews_sandbox):
    account = connect(ews_sandbox)
    find_invoice(account).forward(subject="FW", body="", to_recipients=["analyst@soc.example"])
    deliveries = ews_sandbox.inspect("alice@corp.example")["deliveries"]
    assert [(d["to"], d["delivered"]) for d in deliveries] == [("analyst@soc.example", False)]
    assert deliveries[0]["attachment_sha256"] == [INVOICE_SHA256]


def test_query_string_rejected(ews_sandbox):
    account = connect(ews_sandbox)
    with pytest.raises(ErrorUnsupportedQueryFilter) as raised:
        list(account.inbox.filter("subject:Invoice"))
    assert str(raised.value) == "The sandbox does not evaluate QueryString searches; use a Restriction instead."
