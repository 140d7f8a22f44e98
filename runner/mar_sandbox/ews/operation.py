"""What every EWS operation receives, and the registry the handler dispatches through."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from .backend import MailboxBackend, ServiceAccount
from .soap import SoapFault, SoapRequest, t


@dataclass
class OperationContext:
    """One authenticated request: the account, the mailbox it acts on and the store view."""

    backend: MailboxBackend
    account: ServiceAccount
    request: SoapRequest
    mailbox: str | None

    def require_mailbox(self, explicit: str | None = None) -> str:
        """Return the mailbox the request acts on: the impersonated one, else one named in an id."""
        address = self.mailbox or explicit
        if not address:
            address = f"{self.account.username}@{self.account.domain}"
        return address.lower()


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
        raise SoapFault(
            "ErrorSchemaValidation",
            "The request failed schema validation.",
            fault_string=f"The request failed schema validation: The element '{parent.tag.split('}')[-1]}' "
            f"has incomplete content. List of possible elements expected: '{label}'.",
            schema_violation=(1, 1, f"The element '{parent.tag.split('}')[-1]}' has incomplete content. "
                              f"List of possible elements expected: '{label}'."),
            with_version=False,
        )
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
