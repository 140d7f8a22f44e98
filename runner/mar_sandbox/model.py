"""State objects of the sandbox: tenants, on-premises organisations, mailboxes, folders, messages.

Messages and attachments are frozen: an operation that changes a message
(move, delete, send) stores a new object, so a front end that read a message
under the store lock can keep using it after the lock is released.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime

MAIL_ROLES = ("Mail.Read", "Mail.ReadWrite", "Mail.Send")

# Folder areas: "ipm" is the visible mail tree under msgfolderroot (what Graph
# /messages and an EWS walk of msgfolderroot cover); "recoverable" is the
# Recoverable Items dumpster; "archive" is the online archive; "root" is the
# non-IPM subtree root.
AREA_ROOT = "root"
AREA_IPM = "ipm"
AREA_RECOVERABLE = "recoverable"
AREA_ARCHIVE = "archive"

# (well-known name, display name, parent well-known name, area)
STANDARD_FOLDERS: tuple[tuple[str, str, str | None, str], ...] = (
    ("root", "Root", None, AREA_ROOT),
    ("msgfolderroot", "Top of Information Store", "root", AREA_IPM),
    ("inbox", "Inbox", "msgfolderroot", AREA_IPM),
    ("drafts", "Drafts", "msgfolderroot", AREA_IPM),
    ("sentitems", "Sent Items", "msgfolderroot", AREA_IPM),
    ("deleteditems", "Deleted Items", "msgfolderroot", AREA_IPM),
    ("junkemail", "Junk Email", "msgfolderroot", AREA_IPM),
    ("outbox", "Outbox", "msgfolderroot", AREA_IPM),
    ("archive", "Archive", "msgfolderroot", AREA_IPM),
    ("recoverableitemsroot", "Recoverable Items", "root", AREA_RECOVERABLE),
    ("recoverableitemsdeletions", "Deletions", "recoverableitemsroot", AREA_RECOVERABLE),
    ("recoverableitemspurges", "Purges", "recoverableitemsroot", AREA_RECOVERABLE),
    ("recoverableitemsversions", "Versions", "recoverableitemsroot", AREA_RECOVERABLE),
)

# Created only for mailboxes with an online archive.
ARCHIVE_FOLDERS: tuple[tuple[str, str, str | None, str], ...] = (
    ("archiveroot", "Archive Root", None, AREA_ARCHIVE),
    ("archivemsgfolderroot", "Top of Information Store", "archiveroot", AREA_ARCHIVE),
    ("archiveinbox", "Inbox", "archivemsgfolderroot", AREA_ARCHIVE),
    ("archivedeleteditems", "Deleted Items", "archivemsgfolderroot", AREA_ARCHIVE),
    ("archiverecoverableitemsroot", "Recoverable Items", "archiveroot", AREA_ARCHIVE),
    ("archiverecoverableitemsdeletions", "Deletions", "archiverecoverableitemsroot", AREA_ARCHIVE),
    ("archiverecoverableitemspurges", "Purges", "archiverecoverableitemsroot", AREA_ARCHIVE),
)


def opaque_id(prefix: str, *parts: object) -> str:
    """Return a deterministic, URL-safe opaque id shaped like an Exchange item or folder id."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return prefix + base64.urlsafe_b64encode(digest[:33]).decode().rstrip("=")


def object_guid(*parts: object) -> str:
    """Return a deterministic GUID string (directory object ids, tenant-scoped ids)."""
    return str(uuid.UUID(bytes=hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:16]))


@dataclass(frozen=True)
class Attachment:
    """A file attachment with its bytes; ``sha256`` is the lowercase hex digest of ``content``."""

    id: str
    name: str
    content_type: str
    content: bytes
    sha256: str
    is_inline: bool = False
    content_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class Recipient:
    """A mail address with an optional display name."""

    address: str
    name: str = ""


@dataclass(frozen=True)
class Message:
    """One mail item in one folder of one mailbox."""

    id: str
    change_key: str
    mailbox: str
    folder_id: str
    internet_message_id: str
    sender: Recipient
    to: tuple[Recipient, ...]
    subject: str
    received: datetime
    sent: datetime
    body: str = ""
    body_type: str = "text"
    cc: tuple[Recipient, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    is_draft: bool = False
    is_read: bool = False
    created: datetime | None = None
    # For forward drafts and forwarded copies: the id of the message forwarded.
    forwarded_from: str | None = None

    @property
    def has_attachments(self) -> bool:
        return any(not a.is_inline for a in self.attachments)


@dataclass
class Folder:
    """A mail folder; ``well_known`` is the distinguished name (Graph well-known name, EWS DistinguishedFolderId) or None."""

    id: str
    name: str
    parent_id: str | None
    area: str
    well_known: str | None = None
    change_key: str = ""


@dataclass
class Mailbox:
    """A mailbox in a tenant (Exchange Online) or in an on-premises organisation."""

    address: str
    display_name: str
    tenant_id: str | None = None
    org: str | None = None
    has_archive: bool = False
    object_id: str = ""
    folders: dict[str, Folder] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    sequence: int = 0

    @property
    def location(self) -> str:
        return "tenant" if self.tenant_id else "onprem"


@dataclass(frozen=True)
class AppCertificate:
    """A certificate registered on an app registration; thumbprints are uppercase hex."""

    pem: str
    sha1: str
    sha256: str
    not_before: datetime
    not_after: datetime


@dataclass
class AppRegistration:
    """An Entra ID app registration with its certificates, granted mail roles and optional mailbox scope."""

    client_id: str
    name: str = ""
    certificates: list[AppCertificate] = field(default_factory=list)
    roles: frozenset[str] = frozenset()
    # None means every mailbox of the tenant; a set limits access as an
    # application access policy or an RBAC scope does.
    scope: frozenset[str] | None = None
    # "rbac" (RBAC for Applications) or "access_policy" (Application Access
    # Policy); they deny with different texts.
    scope_kind: str = "rbac"


@dataclass
class Tenant:
    """An Entra ID tenant: verified domains and app registrations keyed by lowercase client id."""

    tenant_id: str
    name: str = ""
    domains: tuple[str, ...] = ()
    apps: dict[str, AppRegistration] = field(default_factory=dict)


@dataclass
class ServiceAccount:
    """An on-premises account the engine signs in with over EWS."""

    username: str
    password: str
    domain: str = ""
    impersonation: bool = False


@dataclass
class OnPremOrg:
    """An on-premises Exchange organisation with its own EWS endpoint."""

    name: str
    host: str = "localhost"
    version: str = "exchange2016"
    domains: tuple[str, ...] = ()
    auth: tuple[str, ...] = ("ntlm", "basic")
    netbios_domain: str = ""
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)

    def find_account(self, username: str) -> ServiceAccount | None:
        """Return the account for ``user``, ``DOMAIN\\user`` or ``user@domain`` (case-insensitive)."""
        name = username.lower()
        if "\\" in name:
            name = name.split("\\", 1)[1]
        account = self.service_accounts.get(name)
        if account is None and "@" in name:
            account = self.service_accounts.get(name.split("@", 1)[0])
        return account
