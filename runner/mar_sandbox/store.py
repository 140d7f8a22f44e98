"""The sandbox's mailbox state and the operations both the Graph and the EWS front ends call.

Exceptions::

    StoreError
     ├── MailboxNotFound   no mailbox with that address or id
     ├── FolderNotFound    no folder with that id or well-known name in the mailbox
     ├── ItemNotFound      no message with that id in the mailbox
     └── InvalidOperation  the message exists but the operation does not apply (e.g. send a non-draft)
          └── MessageTooLarge  the message to send is larger than the maximum message size

Every public method takes the store's re-entrant lock, so the store is safe to
use from the server's worker threads. Messages are frozen; a method that
changes one stores a replacement and returns it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from mar_sandbox.model import (
    ARCHIVE_FOLDERS,
    AREA_IPM,
    STANDARD_FOLDERS,
    AppRegistration,
    Attachment,
    Folder,
    Mailbox,
    Message,
    OnPremOrg,
    Recipient,
    Tenant,
    object_guid,
    opaque_id,
)

log = logging.getLogger("mar_sandbox")

DELETE_SOFT = "soft"  # to Recoverable Items\Deletions (Graph DELETE, EWS SoftDelete)
DELETE_HARD = "hard"  # to Recoverable Items\Purges (EWS HardDelete)
DELETE_PERMANENT = "permanent"  # to Recoverable Items\Purges (Graph permanentDelete)
DELETE_TO_DELETED_ITEMS = "move_to_deleted_items"  # to Deleted Items (EWS MoveToDeletedItems)
DELETE_MODES = {
    DELETE_SOFT: "recoverableitemsdeletions",
    DELETE_HARD: "recoverableitemspurges",
    DELETE_PERMANENT: "recoverableitemspurges",
    DELETE_TO_DELETED_ITEMS: "deleteditems",
}


DEFAULT_MAX_MESSAGE_SIZE = 35 * 1024 * 1024
# Size counted for a message besides its attachments (headers and body).
MESSAGE_OVERHEAD = 1024


class StoreError(Exception):
    """Base class of the store's errors."""


class MailboxNotFound(StoreError):
    """No mailbox with that address or id."""

    def __init__(self, address: str) -> None:
        super().__init__(f"no mailbox {address!r}")
        self.address = address


class FolderNotFound(StoreError):
    """No folder with that id or well-known name in the mailbox."""

    def __init__(self, address: str, folder: str) -> None:
        super().__init__(f"no folder {folder!r} in mailbox {address!r}")
        self.address = address
        self.folder = folder


class ItemNotFound(StoreError):
    """No message with that id in the mailbox."""

    def __init__(self, address: str, item_id: str) -> None:
        super().__init__(f"no item {item_id!r} in mailbox {address!r}")
        self.address = address
        self.item_id = item_id


class InvalidOperation(StoreError):
    """The message exists but the operation does not apply to it."""


class MessageTooLarge(InvalidOperation):
    """The message to send is larger than ``Store.max_message_size``."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the message is {size} bytes, more than the maximum of {limit} bytes")
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class Delivery:
    """One copy of a sent message, delivered into a sandbox mailbox or recorded as leaving the sandbox."""

    sender: str
    recipient: str
    internet_message_id: str
    subject: str
    attachment_sha256: tuple[str, ...]
    delivered: bool  # True when the recipient has a mailbox in the sandbox
    message_id: str | None  # id of the delivered copy in the recipient's mailbox
    sent_at: datetime


def make_attachment(
    name: str,
    content: bytes,
    content_type: str = "application/octet-stream",
    *,
    attachment_id: str | None = None,
    is_inline: bool = False,
    content_id: str | None = None,
) -> Attachment:
    """Build an attachment, computing its SHA-256."""
    sha256 = hashlib.sha256(content).hexdigest()
    return Attachment(
        id=attachment_id or opaque_id("AAMkAtt", name, sha256),
        name=name,
        content_type=content_type,
        content=content,
        sha256=sha256,
        is_inline=is_inline,
        content_id=content_id,
    )


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Store:
    """Tenants, on-premises organisations and mailboxes, with thread-safe mail operations."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or _utcnow
        self.tenants: dict[str, Tenant] = {}
        self.orgs: dict[str, OnPremOrg] = {}
        self.mailboxes: dict[str, Mailbox] = {}
        self.deliveries: list[Delivery] = []
        # Exchange Online's default maximum send size (35 MB); seeds may lower it.
        self.max_message_size = DEFAULT_MAX_MESSAGE_SIZE
        self._by_object_id: dict[str, str] = {}
        self._item_index: dict[str, str] = {}  # message id -> mailbox address
        self._folder_index: dict[str, str] = {}  # folder id -> mailbox address

    def clear(self) -> None:
        """Remove every tenant, organisation, mailbox and delivery (the lock object stays)."""
        with self.lock:
            self.tenants.clear()
            self.orgs.clear()
            self.mailboxes.clear()
            self.deliveries.clear()
            self._by_object_id.clear()
            self._item_index.clear()
            self._folder_index.clear()

    # -- directory ------------------------------------------------------------

    def add_tenant(self, tenant: Tenant) -> None:
        with self.lock:
            self.tenants[tenant.tenant_id.lower()] = tenant

    def add_org(self, org: OnPremOrg) -> None:
        with self.lock:
            self.orgs[org.name] = org

    def find_tenant(self, key: str) -> Tenant | None:
        """Return the tenant with this id, name or verified domain (case-insensitive), or None."""
        key = key.lower()
        with self.lock:
            tenant = self.tenants.get(key)
            if tenant:
                return tenant
            for tenant in self.tenants.values():
                if key == tenant.name.lower() or key in (d.lower() for d in tenant.domains):
                    return tenant
        return None

    def find_app(self, tenant: Tenant, client_id: str) -> AppRegistration | None:
        return tenant.apps.get(client_id.lower())

    def tenant_of_domain(self, address: str) -> Tenant | None:
        """Return the tenant that has the address's domain as a verified domain."""
        domain = address.rsplit("@", 1)[-1].lower()
        with self.lock:
            for tenant in self.tenants.values():
                if domain in (d.lower() for d in tenant.domains):
                    return tenant
        return None

    # -- mailboxes and folders -------------------------------------------------

    def add_mailbox(
        self,
        address: str,
        *,
        display_name: str = "",
        tenant_id: str | None = None,
        org: str | None = None,
        has_archive: bool = False,
        folders: Iterable[str] = (),
    ) -> Mailbox:
        """Create a mailbox with the standard folders, the archive folders if asked, and extra folder paths."""
        if bool(tenant_id) == bool(org):
            raise ValueError(f"mailbox {address!r} must live in exactly one tenant or on-premises org")
        key = address.lower()
        with self.lock:
            if key in self.mailboxes:
                raise ValueError(f"mailbox {address!r} is defined twice")
            mailbox = Mailbox(
                address=address,
                display_name=display_name or address.split("@", 1)[0],
                tenant_id=tenant_id,
                org=org,
                has_archive=has_archive,
                object_id=object_guid("user", key),
            )
            definitions = STANDARD_FOLDERS + (ARCHIVE_FOLDERS if has_archive else ())
            by_name: dict[str, str] = {}
            for well_known, name, parent, area in definitions:
                folder_id = opaque_id("AAMkAF", key, well_known)
                mailbox.folders[folder_id] = Folder(
                    id=folder_id,
                    name=name,
                    parent_id=by_name.get(parent) if parent else None,
                    area=area,
                    well_known=well_known,
                    change_key=opaque_id("AQAAA", folder_id)[:12],
                )
                by_name[well_known] = folder_id
                self._folder_index[folder_id] = key
            self.mailboxes[key] = mailbox
            self._by_object_id[mailbox.object_id] = key
            for path in folders:
                self.ensure_folder_path(address, path)
            return mailbox

    def find_mailbox(self, address_or_id: str) -> Mailbox | None:
        """Return the mailbox with this SMTP address or directory object id, or None."""
        key = address_or_id.lower()
        with self.lock:
            mailbox = self.mailboxes.get(key)
            if mailbox is None and key in self._by_object_id:
                mailbox = self.mailboxes[self._by_object_id[key]]
            return mailbox

    def mailbox(self, address_or_id: str) -> Mailbox:
        mailbox = self.find_mailbox(address_or_id)
        if mailbox is None:
            raise MailboxNotFound(address_or_id)
        return mailbox

    def folder(self, address: str, folder_ref: str) -> Folder:
        """Return a folder by id or well-known name (case-insensitive)."""
        with self.lock:
            mailbox = self.mailbox(address)
            folder = mailbox.folders.get(folder_ref)
            if folder is not None:
                return folder
            name = folder_ref.lower()
            for folder in mailbox.folders.values():
                if folder.well_known == name:
                    return folder
            raise FolderNotFound(address, folder_ref)

    def folders(self, address: str) -> list[Folder]:
        with self.lock:
            return list(self.mailbox(address).folders.values())

    def child_folders(self, address: str, folder_ref: str, *, deep: bool = False) -> list[Folder]:
        """Return the subfolders of a folder, all levels when ``deep``, parents before children."""
        with self.lock:
            mailbox = self.mailbox(address)
            start = self.folder(address, folder_ref)
            result: list[Folder] = []
            queue = [start.id]
            while queue:
                parent = queue.pop(0)
                for folder in mailbox.folders.values():
                    if folder.parent_id == parent:
                        result.append(folder)
                        if deep:
                            queue.append(folder.id)
            return result

    def folder_path(self, address: str, folder_id: str) -> str:
        """Return a folder's display path below the IPM or archive root, e.g. ``Inbox/Projects``."""
        with self.lock:
            mailbox = self.mailbox(address)
            names: list[str] = []
            folder = mailbox.folders.get(folder_id)
            while folder is not None and folder.well_known not in ("msgfolderroot", "root", "archiveroot"):
                names.append(folder.name)
                folder = mailbox.folders.get(folder.parent_id) if folder.parent_id else None
            return "/".join(reversed(names))

    def create_folder(self, address: str, parent_ref: str, name: str) -> Folder:
        with self.lock:
            mailbox = self.mailbox(address)
            parent = self.folder(address, parent_ref)
            for folder in mailbox.folders.values():
                if folder.parent_id == parent.id and folder.name.lower() == name.lower():
                    raise InvalidOperation(f"folder {name!r} already exists")
            folder_id = opaque_id("AAMkAF", mailbox.address.lower(), parent.id, name)
            folder = Folder(
                id=folder_id,
                name=name,
                parent_id=parent.id,
                area=parent.area,
                change_key=opaque_id("AQAAA", folder_id)[:12],
            )
            mailbox.folders[folder_id] = folder
            self._folder_index[folder_id] = mailbox.address.lower()
            return folder

    def ensure_folder_path(self, address: str, path: str) -> Folder:
        """Return the folder at ``path`` (``inbox/Projects``; the first part may be a well-known name), creating what is missing."""
        parts = [p for p in path.strip("/").split("/") if p]
        if not parts:
            raise ValueError("empty folder path")
        with self.lock:
            mailbox = self.mailbox(address)
            current = self._top_folder(mailbox, parts[0])
            for name in parts[1:]:
                found = next(
                    (f for f in mailbox.folders.values() if f.parent_id == current.id and f.name.lower() == name.lower()),
                    None,
                )
                current = found or self.create_folder(address, current.id, name)
            return current

    def _top_folder(self, mailbox: Mailbox, name: str) -> Folder:
        key = name.lower()
        root = next(f for f in mailbox.folders.values() if f.well_known == "msgfolderroot")
        for folder in mailbox.folders.values():
            if folder.well_known == key.replace(" ", ""):
                return folder
        for folder in mailbox.folders.values():
            if folder.parent_id == root.id and folder.name.lower() == key:
                return folder
        return self.create_folder(mailbox.address, root.id, name)

    def locate_folder(self, folder_id: str) -> str | None:
        """Return the address of the mailbox that contains this folder id, or None."""
        with self.lock:
            return self._folder_index.get(folder_id)

    # -- messages --------------------------------------------------------------

    def _next_ids(self, mailbox: Mailbox) -> tuple[str, str]:
        mailbox.sequence += 1
        item_id = opaque_id("AAMkAG", mailbox.address.lower(), mailbox.sequence)
        change_key = "CQAAABYA" + opaque_id("", item_id)[:20]
        return item_id, change_key

    def _store(self, mailbox: Mailbox, message: Message) -> Message:
        mailbox.messages[message.id] = message
        self._item_index[message.id] = mailbox.address.lower()
        return message

    def _remove(self, mailbox: Mailbox, message_id: str) -> None:
        del mailbox.messages[message_id]
        self._item_index.pop(message_id, None)

    def add_message(
        self,
        address: str,
        folder_ref: str,
        *,
        internet_message_id: str,
        sender: Recipient,
        to: Iterable[Recipient],
        subject: str,
        received: datetime,
        sent: datetime | None = None,
        body: str = "",
        body_type: str = "text",
        cc: Iterable[Recipient] = (),
        attachments: Iterable[Attachment] = (),
        is_draft: bool = False,
        is_read: bool = False,
        forwarded_from: str | None = None,
    ) -> Message:
        """Store a new message in a folder and return it."""
        with self.lock:
            mailbox = self.mailbox(address)
            folder = self.folder(address, folder_ref)
            item_id, change_key = self._next_ids(mailbox)
            attachment_list = tuple(
                replace(a, id=opaque_id("AAMkAtt", item_id, index, a.sha256))
                for index, a in enumerate(attachments)
            )
            message = Message(
                id=item_id,
                change_key=change_key,
                mailbox=mailbox.address,
                folder_id=folder.id,
                internet_message_id=internet_message_id,
                sender=sender,
                to=tuple(to),
                subject=subject,
                received=received,
                sent=sent or received,
                body=body,
                body_type=body_type,
                cc=tuple(cc),
                attachments=attachment_list,
                is_draft=is_draft,
                is_read=is_read,
                created=received,
                forwarded_from=forwarded_from,
            )
            return self._store(mailbox, message)

    def locate_item(self, message_id: str) -> str | None:
        """Return the address of the mailbox that contains this message id, or None."""
        with self.lock:
            return self._item_index.get(message_id)

    def get_message(self, address: str, message_id: str) -> Message:
        with self.lock:
            mailbox = self.mailbox(address)
            message = mailbox.messages.get(message_id)
            if message is None:
                raise ItemNotFound(address, message_id)
            return message

    def list_messages(
        self,
        address: str,
        folder_refs: Iterable[str] | None = None,
        *,
        area: str | None = AREA_IPM,
        deep: bool = False,
        predicate: Callable[[Message], bool] | None = None,
    ) -> list[Message]:
        """Return messages, newest received first.

        With ``folder_refs`` only those folders (and their subfolders when
        ``deep``); without, every folder of ``area`` (None: all folders).
        """
        with self.lock:
            mailbox = self.mailbox(address)
            if folder_refs is not None:
                folder_ids: set[str] = set()
                for ref in folder_refs:
                    folder = self.folder(address, ref)
                    folder_ids.add(folder.id)
                    if deep:
                        folder_ids.update(f.id for f in self.child_folders(address, folder.id, deep=True))
            else:
                folder_ids = {f.id for f in mailbox.folders.values() if area is None or f.area == area}
            found = [
                m
                for m in mailbox.messages.values()
                if m.folder_id in folder_ids and (predicate is None or predicate(m))
            ]
        found.sort(key=lambda m: (m.received, m.id), reverse=True)
        return found

    def move_message(self, address: str, message_id: str, destination_ref: str) -> Message:
        """Move a message to another folder; the moved message gets a new id, as in Exchange."""
        with self.lock:
            mailbox = self.mailbox(address)
            message = self.get_message(address, message_id)
            destination = self.folder(address, destination_ref)
            item_id, change_key = self._next_ids(mailbox)
            self._remove(mailbox, message_id)
            moved = replace(message, id=item_id, change_key=change_key, folder_id=destination.id)
            log.info("move mailbox=%s item=%s folder=%s new_item=%s", address, message_id, destination.well_known or destination.name, item_id)
            return self._store(mailbox, moved)

    def delete_message(self, address: str, message_id: str, mode: str = DELETE_SOFT) -> Message:
        """Delete a message as ``mode`` selects (see DELETE_MODES) and return it in its new folder."""
        if mode not in DELETE_MODES:
            raise ValueError(f"unknown delete mode {mode!r}: use one of {', '.join(DELETE_MODES)}")
        return self.move_message(address, message_id, DELETE_MODES[mode])

    def create_forward_draft(
        self,
        address: str,
        message_id: str,
        to: Iterable[Recipient],
        comment: str = "",
        *,
        subject: str | None = None,
    ) -> Message:
        """Create a forward draft in Drafts that carries the original's attachments."""
        with self.lock:
            mailbox = self.mailbox(address)
            original = self.get_message(address, message_id)
            now = self.clock()
            body = comment + ("\n\n" if comment else "") + "-----Original Message-----\n" + original.body
            return self.add_message(
                address,
                "drafts",
                internet_message_id=self._new_internet_id(mailbox, now),
                sender=Recipient(mailbox.address, mailbox.display_name),
                to=tuple(to),
                subject=subject if subject is not None else "FW: " + original.subject,
                received=now,
                sent=now,
                body=body,
                body_type=original.body_type,
                attachments=original.attachments,
                is_draft=True,
                is_read=True,
                forwarded_from=original.id,
            )

    def update_draft(self, address: str, draft_id: str, **changes: object) -> Message:
        """Change fields of a draft (``to``, ``subject``, ``body``, ``cc``)."""
        allowed = {"to", "subject", "body", "cc", "body_type"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))} on a draft")
        with self.lock:
            mailbox = self.mailbox(address)
            draft = self.get_message(address, draft_id)
            if not draft.is_draft:
                raise InvalidOperation("the item is not a draft")
            updated = replace(draft, **changes)  # type: ignore[arg-type]
            return self._store(mailbox, updated)

    def send_draft(self, address: str, draft_id: str, *, save_copy: bool = True) -> Message | None:
        """Send a draft: deliver a copy to each recipient and move the draft to Sent Items (new id).

        Returns the copy in Sent Items, or None when ``save_copy`` is False
        (the draft is then removed).
        """
        with self.lock:
            mailbox = self.mailbox(address)
            draft = self.get_message(address, draft_id)
            if not draft.is_draft:
                raise InvalidOperation("the item is not a draft")
            if not draft.to and not draft.cc:
                raise InvalidOperation("the draft has no recipients")
            size = message_size(draft)
            if size > self.max_message_size:
                raise MessageTooLarge(size, self.max_message_size)
            now = self.clock()
            for recipient in draft.to + draft.cc:
                self._deliver(mailbox, draft, recipient, now)
            if not save_copy:
                self._remove(mailbox, draft_id)
                return None
            item_id, change_key = self._next_ids(mailbox)
            self._remove(mailbox, draft_id)
            sent_folder = self.folder(address, "sentitems")
            sent = replace(
                draft,
                id=item_id,
                change_key=change_key,
                folder_id=sent_folder.id,
                is_draft=False,
                sent=now,
                received=now,
            )
            log.info("send mailbox=%s draft=%s sent_item=%s recipients=%d", address, draft_id, item_id, len(draft.to + draft.cc))
            return self._store(mailbox, sent)

    def forward(
        self,
        address: str,
        message_id: str,
        to: Iterable[Recipient],
        comment: str = "",
        *,
        subject: str | None = None,
        save_copy: bool = True,
    ) -> Message | None:
        """Forward a message at once (draft then send); returns the Sent Items copy or None."""
        with self.lock:
            draft = self.create_forward_draft(address, message_id, to, comment, subject=subject)
            try:
                return self.send_draft(address, draft.id, save_copy=save_copy)
            except InvalidOperation:
                # A forward that cannot be sent leaves no draft behind.
                self._remove(self.mailbox(address), draft.id)
                raise

    def _new_internet_id(self, mailbox: Mailbox, now: datetime) -> str:
        domain = mailbox.address.rsplit("@", 1)[-1]
        token = opaque_id("", mailbox.address.lower(), mailbox.sequence, now.isoformat())[:24]
        return f"<{token}@{domain}>"

    def _deliver(self, sender_box: Mailbox, message: Message, recipient: Recipient, now: datetime) -> None:
        target = self.find_mailbox(recipient.address)
        delivered_id = None
        if target is not None:
            copy = self.add_message(
                target.address,
                "inbox",
                internet_message_id=message.internet_message_id,
                sender=message.sender,
                to=message.to,
                cc=message.cc,
                subject=message.subject,
                received=now,
                sent=now,
                body=message.body,
                body_type=message.body_type,
                attachments=message.attachments,
                forwarded_from=message.forwarded_from,
            )
            delivered_id = copy.id
        self.deliveries.append(
            Delivery(
                sender=sender_box.address,
                recipient=recipient.address,
                internet_message_id=message.internet_message_id,
                subject=message.subject,
                attachment_sha256=tuple(a.sha256 for a in message.attachments),
                delivered=target is not None,
                message_id=delivered_id,
                sent_at=now,
            )
        )
        log.info("deliver from=%s to=%s in_sandbox=%s", sender_box.address, recipient.address, target is not None)

    # -- inspection ------------------------------------------------------------

    def inspect(self, address: str) -> dict:
        """Return a JSON-ready view of one mailbox: its folders with their messages (no bodies or attachment bytes)."""
        with self.lock:
            mailbox = self.mailbox(address)
            folders = []
            for folder in mailbox.folders.values():
                messages = [
                    message_summary(m)
                    for m in sorted(mailbox.messages.values(), key=lambda m: (m.received, m.id))
                    if m.folder_id == folder.id
                ]
                folders.append(
                    {
                        "id": folder.id,
                        "name": folder.name,
                        "well_known": folder.well_known,
                        "path": self.folder_path(address, folder.id),
                        "area": folder.area,
                        "messages": messages,
                    }
                )
            return {
                "address": mailbox.address,
                "location": mailbox.location,
                "tenant_id": mailbox.tenant_id,
                "org": mailbox.org,
                "has_archive": mailbox.has_archive,
                "folders": folders,
                "deliveries": [
                    delivery_summary(d)
                    for d in self.deliveries
                    if d.sender.lower() == mailbox.address.lower() or d.recipient.lower() == mailbox.address.lower()
                ],
            }


def message_size(message: Message) -> int:
    """Return the size a send counts: attachments as base64 (as MIME carries them), body and overhead."""
    attachments = sum((a.size + 2) // 3 * 4 for a in message.attachments)
    return attachments + len(message.body.encode("utf-8")) + MESSAGE_OVERHEAD


def message_summary(message: Message) -> dict:
    """Return the fields of a message that inspection shows (no body, no attachment bytes)."""
    return {
        "id": message.id,
        "internet_message_id": message.internet_message_id,
        "from": message.sender.address,
        "to": [r.address for r in message.to],
        "subject": message.subject,
        "received": message.received.isoformat().replace("+00:00", "Z"),
        "is_draft": message.is_draft,
        "forwarded_from": message.forwarded_from,
        "attachments": [
            {"name": a.name, "size": a.size, "sha256": a.sha256, "content_type": a.content_type}
            for a in message.attachments
        ],
    }


def delivery_summary(delivery: Delivery) -> dict:
    return {
        "from": delivery.sender,
        "to": delivery.recipient,
        "internet_message_id": delivery.internet_message_id,
        "subject": delivery.subject,
        "attachment_sha256": list(delivery.attachment_sha256),
        "delivered": delivery.delivered,
        "message_id": delivery.message_id,
        "sent_at": delivery.sent_at.isoformat().replace("+00:00", "Z"),
    }
