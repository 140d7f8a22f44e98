"""MailboxBackend over the sandbox store, for one on-premises organisation."""

from __future__ import annotations

from mar_sandbox.model import Folder, Message, OnPremOrg, Recipient
from mar_sandbox.store import (
    DELETE_HARD,
    DELETE_SOFT,
    DELETE_TO_DELETED_ITEMS,
    InvalidOperation,
    ItemNotFound,
    MailboxNotFound,
    MessageTooLarge,
    Store,
)

from .backend import (
    MESSAGE_TOO_LARGE,
    AttachmentInfo,
    DeleteMode,
    FolderInfo,
    MailboxError,
    MailboxLocation,
    MessageInfo,
    ServiceAccount,
)

_DELETE_MODES = {"hard": DELETE_HARD, "soft": DELETE_SOFT, "trash": DELETE_TO_DELETED_ITEMS}
NO_MAILBOX = "The SMTP address has no mailbox associated with it."
ITEM_NOT_FOUND = "The specified object was not found in the store."


def _message_info(message: Message) -> MessageInfo:
    return MessageInfo(
        message_key=message.id,
        change_key=message.change_key,
        folder_key=message.folder_id,
        internet_message_id=message.internet_message_id,
        subject=message.subject,
        sender=message.sender.address,
        to_recipients=tuple(recipient.address for recipient in message.to),
        received_at=message.received,
        is_draft=message.is_draft,
        sent_at=message.sent,
        is_read=message.is_read,
        body=message.body,
        body_type="HTML" if message.body_type.lower() == "html" else "Text",
        attachments=tuple(
            AttachmentInfo(attachment.id, attachment.name, attachment.content_type, attachment.content)
            for attachment in message.attachments
        ),
    )


def _folder_class(folder: Folder) -> str | None:
    # Exchange's root folders (the mailbox root, Recoverable Items, the archive root) have no FolderClass.
    if folder.parent_id is None or folder.well_known in ("recoverableitemsroot", "archiverecoverableitemsroot"):
        return None
    return "IPF.Note"


class StoreBackend:
    """The EWS view of one organisation's mailboxes; the organisation is looked up per call because a reset replaces it."""

    def __init__(self, store: Store, org_name: str) -> None:
        self.store = store
        self.org_name = org_name

    def _org(self) -> OnPremOrg | None:
        return self.store.orgs.get(self.org_name)

    def server_version(self) -> str | None:
        org = self._org()
        return org.version if org else None

    def auth_methods(self) -> tuple[str, ...]:
        org = self._org()
        return tuple(method.lower() for method in org.auth) if org else ()

    def service_accounts(self) -> list[ServiceAccount]:
        org = self._org()
        if org is None:
            return []
        methods = self.auth_methods()
        return [
            ServiceAccount(
                account.domain or org.netbios_domain,
                account.username,
                account.password,
                account.impersonation,
                methods,
                tuple(org.domains),
            )
            for account in org.service_accounts.values()
        ]

    def service_account(self, login: str) -> ServiceAccount | None:
        return next((account for account in self.service_accounts() if account.matches(login)), None)

    def mailbox_location(self, address: str) -> MailboxLocation:
        mailbox = self.store.find_mailbox(address)
        if mailbox is None:
            return "none"
        if mailbox.tenant_id:
            org = self._org()
            domain = address.rsplit("@", 1)[-1].lower()
            if org is not None and domain in (d.lower() for d in org.domains):
                return "migrated"
            return "cloud"
        return "here" if mailbox.org == self.org_name else "other_org"

    def locate(self, object_id: str) -> str | None:
        address = self.store.locate_item(object_id) or self.store.locate_folder(object_id)
        if address is not None:
            return address
        with self.store.lock:
            for mailbox in self.store.mailboxes.values():
                if mailbox.org != self.org_name:
                    continue
                for message in mailbox.messages.values():
                    if any(attachment.id == object_id for attachment in message.attachments):
                        return mailbox.address.lower()
        return None

    def _require_here(self, address: str) -> None:
        if self.mailbox_location(address) != "here":
            raise MailboxError("ErrorNonExistentMailbox", NO_MAILBOX)

    def folders(self, address: str) -> list[FolderInfo]:
        self._require_here(address)
        with self.store.lock:
            mailbox = self.store.mailbox(address)
            counts: dict[str, int] = {}
            for message in mailbox.messages.values():
                counts[message.folder_id] = counts.get(message.folder_id, 0) + 1
            children: dict[str, int] = {}
            for folder in mailbox.folders.values():
                if folder.parent_id:
                    children[folder.parent_id] = children.get(folder.parent_id, 0) + 1
            return [
                FolderInfo(
                    key=folder.id,
                    change_key=folder.change_key,
                    display_name=folder.name,
                    parent_key=folder.parent_id,
                    distinguished_id=folder.well_known,
                    total_count=counts.get(folder.id, 0),
                    child_folder_count=children.get(folder.id, 0),
                    folder_class=_folder_class(folder),
                )
                for folder in mailbox.folders.values()
            ]

    def messages(self, address: str, folder_key: str) -> list[MessageInfo]:
        self._require_here(address)
        return [_message_info(message) for message in self.store.list_messages(address, [folder_key], area=None)]

    def message(self, address: str, message_key: str) -> MessageInfo | None:
        self._require_here(address)
        try:
            return _message_info(self.store.get_message(address, message_key))
        except (ItemNotFound, MailboxNotFound):
            return None

    def attachment(self, address: str, attachment_id: str) -> AttachmentInfo | None:
        self._require_here(address)
        with self.store.lock:
            for message in self.store.mailbox(address).messages.values():
                for attachment in message.attachments:
                    if attachment.id == attachment_id:
                        return AttachmentInfo(attachment.id, attachment.name, attachment.content_type, attachment.content)
        return None

    def delete(self, address: str, message_key: str, mode: DeleteMode) -> None:
        self._require_here(address)
        try:
            self.store.delete_message(address, message_key, _DELETE_MODES[mode])
        except ItemNotFound:
            raise MailboxError("ErrorItemNotFound", ITEM_NOT_FOUND) from None

    def forward(
        self, address: str, message_key: str, to_recipients: list[str], subject: str | None, comment: str, disposition: str
    ) -> str | None:
        self._require_here(address)
        recipients = [Recipient(recipient) for recipient in to_recipients]
        try:
            if disposition == "SaveOnly":
                draft = self.store.create_forward_draft(address, message_key, recipients, comment, subject=subject)
                return draft.id
            self.store.forward(
                address, message_key, recipients, comment, subject=subject, save_copy=disposition == "SendAndSaveCopy"
            )
        except ItemNotFound:
            raise MailboxError("ErrorItemNotFound", ITEM_NOT_FOUND) from None
        except MessageTooLarge:
            raise MailboxError("ErrorMessageSizeExceeded", MESSAGE_TOO_LARGE) from None
        except InvalidOperation:
            raise MailboxError("ErrorInvalidRequest", "The request is invalid.") from None
        return None

    def send_draft(self, address: str, draft_key: str, save_copy: bool) -> None:
        self._require_here(address)
        try:
            self.store.send_draft(address, draft_key, save_copy=save_copy)
        except ItemNotFound:
            raise MailboxError("ErrorItemNotFound", ITEM_NOT_FOUND) from None
        except MessageTooLarge:
            raise MailboxError("ErrorMessageSizeExceeded", MESSAGE_TOO_LARGE) from None
        except InvalidOperation:
            raise MailboxError("ErrorInvalidRequest", "The request is invalid.") from None
