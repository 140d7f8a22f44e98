"""The EWS view of the sandbox store, over a real Store filled from a seed."""

from __future__ import annotations

import pytest

from mar_sandbox.ews.backend import MailboxError
from mar_sandbox.ews.store_backend import StoreBackend
from mar_sandbox.seed import load_seed, populate
from mar_sandbox.store import Store

TENANT = "11111111-2222-3333-4444-555555555555"
SEED = {
    "tenants": [{"id": TENANT, "domains": ["cloud.example", "corp.example"]}],
    "onprem": [
        {
            "name": "corp",
            "version": "exchange2019",
            "domains": ["corp.example", "corp.internal"],
            "auth": ["basic"],
            "service_accounts": [{"username": "svc", "password": "Secret-1", "impersonation": True}],
        },
        {"name": "branch", "domains": ["branch.example"]},
    ],
    "mailboxes": [
        {
            "address": "alice@corp.example",
            "onprem": "corp",
            "folders": ["inbox/Projects"],
            "messages": [
                {
                    "internet_message_id": "<a@x>",
                    "from": "eve@evil.example",
                    "received": "2026-11-20T09:00:00Z",
                    "folder": "inbox/Projects",
                    "attachments": [{"name": "a.bin", "content": "abc"}],
                }
            ],
        },
        {"address": "moved@corp.example", "tenant": TENANT},
        {"address": "carol@cloud.example", "tenant": TENANT},
        {"address": "dave@branch.example", "onprem": "branch"},
    ],
}


@pytest.fixture
def backend() -> StoreBackend:
    store = Store()
    populate(store, load_seed(SEED))
    return StoreBackend(store, "corp")


@pytest.mark.parametrize(
    ("address", "location"),
    [
        ("Alice@Corp.example", "here"),
        ("moved@corp.example", "migrated"),
        ("carol@cloud.example", "cloud"),
        ("dave@branch.example", "other_org"),
        ("nobody@corp.example", "none"),
    ],
)
def test_mailbox_location(backend, address, location):
    assert backend.mailbox_location(address) == location


def test_organisation_settings(backend):
    account = backend.service_account("svc@corp.internal")
    assert backend.server_version() == "exchange2019"
    assert backend.auth_methods() == ("basic",)
    assert account is not None
    assert account.domain == "CORP"
    assert account.user_principal_names() == ["svc@CORP", "svc@corp.example", "svc@corp.internal"]


def test_folder_counts(backend):
    folders = {folder.display_name: folder for folder in backend.folders("alice@corp.example")}
    assert folders["Projects"].total_count == 1
    assert folders["Inbox"].child_folder_count == 1
    assert folders["Inbox"].distinguished_id == "inbox"
    assert folders["Projects"].parent_key == folders["Inbox"].key
    assert folders["Root"].folder_class is None


def test_other_mailbox_rejected(backend):
    with pytest.raises(MailboxError) as raised:
        backend.folders("dave@branch.example")
    assert raised.value.code == "ErrorNonExistentMailbox"


@pytest.mark.parametrize(("mode", "folder"), [("hard", "recoverableitemspurges"), ("soft", "recoverableitemsdeletions"), ("trash", "deleteditems")])
def test_delete_modes(backend, mode, folder):
    projects = next(f for f in backend.folders("alice@corp.example") if f.display_name == "Projects")
    message = backend.messages("alice@corp.example", projects.key)[0]
    backend.delete("alice@corp.example", message.message_key, mode)
    target = next(f for f in backend.folders("alice@corp.example") if f.distinguished_id == folder)
    assert [m.internet_message_id for m in backend.messages("alice@corp.example", target.key)] == ["<a@x>"]
    assert backend.message("alice@corp.example", message.message_key) is None


def test_saved_forward_is_draft(backend):
    projects = next(f for f in backend.folders("alice@corp.example") if f.display_name == "Projects")
    original = backend.messages("alice@corp.example", projects.key)[0]
    draft_key = backend.forward("alice@corp.example", original.message_key, ["bob@corp.example"], None, "", "SaveOnly")
    draft = backend.message("alice@corp.example", draft_key)
    assert draft.is_draft is True
    assert draft.subject == "FW: "
    assert [a.content for a in draft.attachments] == [b"abc"]
    assert backend.locate(draft_key) == "alice@corp.example"
    assert backend.locate(draft.attachments[0].attachment_id) == "alice@corp.example"
    assert backend.attachment("alice@corp.example", draft.attachments[0].attachment_id).name == "a.bin"


def test_missing_item_errors(backend):
    with pytest.raises(MailboxError) as raised:
        backend.delete("alice@corp.example", "AAMkAGnothing", "hard")
    assert (raised.value.code, raised.value.message) == ("ErrorItemNotFound", "The specified object was not found in the store.")
