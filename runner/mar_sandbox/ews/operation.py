"""The request context every EWS operation receives, and the registry the handler dispatches through."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from .backend import FolderInfo, MailboxBackend, ServiceAccount
from .soap import SoapFault, SoapRequest, schema_error, t

NO_MAILBOX = "The SMTP address has no mailbox associated with it."
ACCESS_DENIED = "Access is denied. Check credentials and try again."


@dataclass
class OperationContext:
    """One authenticated request: the account, the mailbox it acts on and the store view."""

    backend: MailboxBackend
    account: ServiceAccount
    request: SoapRequest
    mailbox: str | None
    _folder_cache: dict[str, list[FolderInfo]] = field(default_factory=dict, repr=False)

    def folders(self, address: str) -> list[FolderInfo]:
        """Return a mailbox's folders, read once per request (a GetFolder may name about 30 of them)."""
        if address not in self._folder_cache:
            self._folder_cache[address] = self.backend.folders(address)
        return self._folder_cache[address]

    def mailbox_for_id(self, object_id: str | None) -> str:
        """Return the mailbox an item, folder or attachment id is read from.

        Under impersonation that is the impersonated mailbox; with delegate access, the mailbox
        holding the id (Exchange ids carry their mailbox).
        """
        if self.mailbox or not object_id:
            return self.require_mailbox()
        return self.require_mailbox(self.backend.locate(object_id))

    def require_mailbox(self, explicit: str | None = None) -> str:
        """Return the mailbox the request acts on: the impersonated one, else one named in a folder id.

        Without impersonation the request uses delegate access, which the sandbox grants to the
        accounts that hold the impersonation right.
        """
        if self.mailbox:
            return self.mailbox
        if not explicit:
            names = self.account.user_principal_names()
            explicit = names[-1] if names else self.account.username
        address = explicit.lower()
        if self.backend.mailbox_location(address) != "here":
            raise SoapFault("ErrorNonExistentMailbox", NO_MAILBOX, values={"SmtpAddress": address})
        if not self.account.can_impersonate:
            raise SoapFault("ErrorAccessDenied", ACCESS_DENIED)
        return address


Operation = Callable[[OperationContext], str]
OPERATIONS: dict[str, Operation] = {}
# Operations that act on a mailbox and therefore check the impersonation header first.
MAILBOX_OPERATIONS: set[str] = set()


def operation(name: str, mailbox: bool = True) -> Callable[[Operation], Operation]:
    def register(func: Operation) -> Operation:
        OPERATIONS[name] = func
        if mailbox:
            MAILBOX_OPERATIONS.add(name)
        return func

    return register


def invalid_request(text: str) -> SoapFault:
    return SoapFault("ErrorInvalidRequest", text, with_version=True)


def required_child(parent: ET.Element, tag: str, label: str) -> ET.Element:
    child = parent.find(tag)
    if child is None:
        name = parent.tag.split("}")[-1]
        raise schema_error(f"The element '{name}' has incomplete content. List of possible elements expected: '{label}'.")
    return child


def requested_fields(shape: ET.Element | None) -> tuple[str, set[str]]:
    """Return the base shape and the FieldURIs of an ItemShape or FolderShape."""
    if shape is None:
        return "Default", set()
    base = (shape.findtext(t("BaseShape")) or "Default").strip()
    fields = set()
    additional = shape.find(t("AdditionalProperties"))
    if additional is not None:
        for field in additional.findall(t("FieldURI")):
            uri = field.get("FieldURI")
            if uri:
                fields.add(uri)
    return base, fields
