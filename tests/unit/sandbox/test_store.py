"""The sandbox store: folders, moves with new ids, delete modes, forwards and drafts."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from mar_sandbox.model import Recipient
from mar_sandbox.store import (
    DELETE_HARD,
    DELETE_PERMANENT,
    DELETE_SOFT,
    DELETE_TO_DELETED_ITEMS,
    FolderNotFound,
    InvalidOperation,
    ItemNotFound,
    MailboxNotFound,
    Store,
    make_attachment,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
ALICE = "alice@contoso.example"
SOC = "soc@contoso.example"


@pytest.fixture
def store() -> Store:
    store = Store(clock=lambda: NOW)
    store.add_mailbox(ALICE, tenant_id="t1", has_archive=True, folders=["inbox/Projects"])
    store.add_mailbox(SOC, tenant_id="t1")
    return store


def _add(store: Store, folder: str = "inbox", message_id: str = "<m1@x>"):
    return store.add_message(
        ALICE,
        folder,
        internet_message_id=message_id,
        sender=Recipient("bad@evil.example"),
        to=[Recipient(ALICE)],
        subject="Invoice",
        received=NOW,
        attachments=[make_attachment("a.docm", b"payload")],
    )


def test_standard_folders(store):
    names = {f.well_known for f in store.folders(ALICE) if f.well_known}
    assert {"inbox", "deleteditems", "sentitems", "drafts", "recoverableitemsdeletions", "recoverableitemspurges", "archivemsgfolderroot"} <= names


def test_archive_only_when_asked(store):
    assert not any(f.well_known == "archiveroot" for f in store.folders(SOC))


def test_folder_path(store):
    folder = store.ensure_folder_path(ALICE, "inbox/Projects")
    assert store.folder_path(ALICE, folder.id) == "Inbox/Projects"


def test_unknown_folder(store):
    with pytest.raises(FolderNotFound):
        store.folder(ALICE, "nosuchfolder")


def test_unknown_mailbox(store):
    with pytest.raises(MailboxNotFound):
        store.mailbox("nobody@contoso.example")


def test_mailbox_by_object_id(store):
    mailbox = store.mailbox(ALICE)
    assert store.find_mailbox(mailbox.object_id) is mailbox


def test_list_covers_subfolders_not_dumpster(store):
    in_projects = _add(store, store.ensure_folder_path(ALICE, "inbox/Projects").id)
    deleted = store.delete_message(ALICE, _add(store, message_id="<m2@x>").id, DELETE_SOFT)
    found = {m.id for m in store.list_messages(ALICE)}
    assert in_projects.id in found
    assert deleted.id not in found


def test_move_gives_new_id(store):
    message = _add(store)
    moved = store.move_message(ALICE, message.id, "deleteditems")
    assert moved.id != message.id
    assert store.folder(ALICE, "deleteditems").id == moved.folder_id
    with pytest.raises(ItemNotFound):
        store.get_message(ALICE, message.id)


@pytest.mark.parametrize(
    ("mode", "folder"),
    [
        (DELETE_SOFT, "recoverableitemsdeletions"),
        (DELETE_HARD, "recoverableitemspurges"),
        (DELETE_PERMANENT, "recoverableitemspurges"),
        (DELETE_TO_DELETED_ITEMS, "deleteditems"),
    ],
)
def test_delete_modes(store, mode, folder):
    deleted = store.delete_message(ALICE, _add(store).id, mode)
    assert deleted.folder_id == store.folder(ALICE, folder).id


def test_unknown_delete_mode(store):
    with pytest.raises(ValueError, match="unknown delete mode 'shred'"):
        store.delete_message(ALICE, _add(store).id, "shred")


def test_forward_delivers_attachment(store):
    original = _add(store)
    sent = store.forward(ALICE, original.id, [Recipient(SOC)], "see attached")
    delivered = store.list_messages(SOC, ["inbox"])
    assert len(delivered) == 1
    assert delivered[0].attachments[0].sha256 == original.attachments[0].sha256
    assert delivered[0].attachments[0].content == b"payload"
    assert sent is not None
    assert sent.folder_id == store.folder(ALICE, "sentitems").id
    assert sent.subject == "FW: Invoice"


def test_forward_outside_sandbox_recorded(store):
    store.forward(ALICE, _add(store).id, [Recipient("x@partner.example")])
    assert [(d.recipient, d.delivered) for d in store.deliveries] == [("x@partner.example", False)]


def test_draft_then_send(store):
    draft = store.create_forward_draft(ALICE, _add(store).id, [Recipient(SOC)])
    assert draft.is_draft
    assert draft.folder_id == store.folder(ALICE, "drafts").id
    assert store.get_message(ALICE, draft.id) == draft
    sent = store.send_draft(ALICE, draft.id)
    assert sent is not None
    assert not sent.is_draft
    assert sent.id != draft.id
    with pytest.raises(ItemNotFound):
        store.get_message(ALICE, draft.id)


def test_send_without_save_copy(store):
    draft = store.create_forward_draft(ALICE, _add(store).id, [Recipient(SOC)])
    assert store.send_draft(ALICE, draft.id, save_copy=False) is None
    assert store.list_messages(ALICE, ["sentitems"]) == []
    assert len(store.list_messages(SOC, ["inbox"])) == 1


def test_send_non_draft_rejected(store):
    with pytest.raises(InvalidOperation, match="not a draft"):
        store.send_draft(ALICE, _add(store).id)


def test_send_draft_without_recipients(store):
    draft = store.create_forward_draft(ALICE, _add(store).id, [])
    with pytest.raises(InvalidOperation, match="no recipients"):
        store.send_draft(ALICE, draft.id)


def test_ids_repeat_after_rebuild():
    def build() -> list[str]:
        store = Store(clock=lambda: NOW)
        store.add_mailbox(ALICE, tenant_id="t1")
        return [_add(store, message_id=f"<m{i}@x>").id for i in range(3)]

    assert build() == build()


def test_concurrent_moves_keep_every_message(store):
    messages = [_add(store, message_id=f"<m{i}@x>") for i in range(40)]

    def move(chunk) -> None:
        for message in chunk:
            store.move_message(ALICE, message.id, "deleteditems")

    threads = [threading.Thread(target=move, args=(messages[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.list_messages(ALICE, ["deleteditems"])) == 40
    assert store.list_messages(ALICE, ["inbox"]) == []


def test_inspect_has_no_bytes(store):
    _add(store)
    view = store.inspect(ALICE)
    inbox = next(f for f in view["folders"] if f["well_known"] == "inbox")
    assert inbox["messages"][0]["attachments"] == [
        {"name": "a.docm", "size": 7, "sha256": make_attachment("a", b"payload").sha256, "content_type": "application/octet-stream"}
    ]
