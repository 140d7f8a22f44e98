"""The view of the sandbox store the EWS operations work on.

The operations never touch the store directly: `MailboxBackend` is the narrow set of
queries and changes they need, so the SOAP layer can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

# Exchange's text for ErrorMessageSizeExceeded.
MESSAGE_TOO_LARGE = "The message exceeds the maximum supported size., Size is larger than maximum size allowed."

DeleteMode = Literal["hard", "soft", "trash"]
# Where a mailbox lives, seen from one organisation:
# - "here": a mailbox of this organisation.
# - "migrated": a mailbox in an Exchange Online tenant with an address in this organisation's domains (hybrid).
# - "cloud": any other mailbox in a tenant.
# - "other_org": a mailbox of another on-premises organisation.
# - "none": no such mailbox.
MailboxLocation = Literal["here", "migrated", "cloud", "other_org", "none"]


@dataclass(frozen=True)
class ServiceAccount:
    """A service account of an on-premises organisation."""

    domain: str
    username: str
    password: str
    can_impersonate: bool
    auth_methods: tuple[str, ...] = ("basic", "ntlm")
    # Mail domains of the organisation, accepted in user principal names (user@domain).
    upn_domains: tuple[str, ...] = ()

    def user_principal_names(self) -> list[str]:
        return [f"{self.username}@{domain}" for domain in (self.domain, *self.upn_domains) if domain]

    def matches(self, login: str) -> bool:
        """Tell whether a login name (DOMAIN\\user, user@domain or user) names this account."""
        login = login.strip().lower()
        user = self.username.lower()
        candidates = {user, f"{self.domain.lower()}\\{user}"}
        candidates.update(name.lower() for name in self.user_principal_names())
        return login in candidates


@dataclass(frozen=True)
class FolderInfo:
    """One folder of a mailbox; `key` is the store's folder id, which EWS uses as FolderId."""

    key: str
    change_key: str
    display_name: str
    parent_key: str | None
    distinguished_id: str | None
    total_count: int = 0
    child_folder_count: int = 0
    folder_class: str | None = "IPF.Note"


@dataclass(frozen=True)
class AttachmentInfo:
    """A file attachment; `attachment_id` is the store's id, which EWS uses as AttachmentId."""

    attachment_id: str
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class MessageInfo:
    """One message as EWS shows it; `message_key` is the store's message id, which EWS uses as ItemId."""

    message_key: str
    change_key: str
    folder_key: str
    internet_message_id: str
    subject: str
    sender: str
    to_recipients: tuple[str, ...]
    received_at: datetime
    is_draft: bool = False
    attachments: tuple[AttachmentInfo, ...] = field(default_factory=tuple)
    sent_at: datetime | None = None
    is_read: bool = False
    body: str = ""
    # "Text" or "HTML", as EWS names the body types.
    body_type: str = "Text"

    @property
    def size(self) -> int:
        return 1024 + sum(len(attachment.content) for attachment in self.attachments)


class MailboxError(Exception):
    """A store operation failed; `code` is the EWS response code to report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class MailboxBackend(Protocol):
    """The store operations EWS needs, for one on-premises organisation.
    """

    def server_version(self) -> str | None:
        """Return the release the organisation runs: exchange2013, exchange2016 or exchange2019."""
        ...

    def auth_methods(self) -> tuple[str, ...]:
        """Return the authentication methods the organisation offers: basic, ntlm."""
        ...

    def service_accounts(self) -> list[ServiceAccount]: ...

    def service_account(self, login: str) -> ServiceAccount | None: ...

    def mailbox_location(self, address: str) -> MailboxLocation: ...

    def locate(self, object_id: str) -> str | None:
        """Return the address of the mailbox holding an item, folder or attachment id, or None."""
        ...

    def folders(self, address: str) -> list[FolderInfo]: ...

    def messages(self, address: str, folder_key: str) -> list[MessageInfo]: ...

    def message(self, address: str, message_key: str) -> MessageInfo | None: ...

    def attachment(self, address: str, attachment_id: str) -> AttachmentInfo | None: ...

    def delete(self, address: str, message_key: str, mode: DeleteMode) -> None: ...

    def forward(
        self,
        address: str,
        message_key: str,
        to_recipients: list[str],
        subject: str | None,
        comment: str,
        disposition: str,
    ) -> str | None:
        """Forward a message as CreateItem's MessageDisposition requests.

        SaveOnly stores a draft in Drafts and returns its key; SendOnly and SendAndSaveCopy
        send at once (the latter keeping a copy in Sent Items) and return None.
        """
        ...

    def send_draft(self, address: str, draft_key: str, save_copy: bool) -> None: ...
