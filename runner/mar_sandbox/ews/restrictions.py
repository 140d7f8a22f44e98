"""Evaluation of FindItem restrictions on the fields the sandbox stores."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from .backend import MessageInfo
from .soap import SoapFault, schema_error, t

_COMPARISONS = {
    "IsEqualTo": lambda a, b: a == b,
    "IsNotEqualTo": lambda a, b: a != b,
    "IsGreaterThan": lambda a, b: a > b,
    "IsGreaterThanOrEqualTo": lambda a, b: a >= b,
    "IsLessThan": lambda a, b: a < b,
    "IsLessThanOrEqualTo": lambda a, b: a <= b,
}

_DATETIME_FIELDS = {"item:DateTimeReceived", "item:DateTimeSent", "item:DateTimeCreated"}
_STRING_FIELDS = {
    "message:InternetMessageId",
    "message:From",
    "message:Sender",
    "item:Subject",
    "item:ItemClass",
}


def unsupported_path(uri: str) -> SoapFault:
    return SoapFault(
        "ErrorUnsupportedPathForQuery",
        "The property path for this query is not supported.",
        values={"FieldURI": uri},
    )


def _field_value(message: MessageInfo, uri: str) -> object:
    if uri in _DATETIME_FIELDS:
        value = message.received_at
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if uri == "message:InternetMessageId":
        return message.internet_message_id.lower()
    if uri in ("message:From", "message:Sender"):
        return message.sender.lower()
    if uri == "item:Subject":
        return message.subject.lower()
    if uri == "item:ItemClass":
        return "ipm.note"
    if uri == "item:HasAttachments":
        return bool(message.attachments)
    if uri == "item:IsDraft":
        return message.is_draft
    raise unsupported_path(uri)


def _constant(uri: str, text: str) -> object:
    if uri in _DATETIME_FIELDS:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise SoapFault(
                "ErrorInvalidValueForProperty",
                "The value is invalid for property.",
                values={"PropertyName": uri, "PropertyValue": text},
            ) from None
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if uri in ("item:HasAttachments", "item:IsDraft"):
        return text.strip().lower() in ("true", "1")
    return text.lower()


def _field_uri(node: ET.Element) -> str:
    field = node.find(t("FieldURI"))
    if field is None:
        raise unsupported_path(node.tag.split("}")[-1])
    uri = field.get("FieldURI") or ""
    if uri not in _DATETIME_FIELDS | _STRING_FIELDS | {"item:HasAttachments", "item:IsDraft"}:
        raise unsupported_path(uri)
    return uri


def matches(node: ET.Element, message: MessageInfo) -> bool:
    """Tell whether a message satisfies one restriction node (And, Or, Not or a comparison)."""
    name = node.tag.split("}")[-1]
    if name == "And":
        return all(matches(child, message) for child in node)
    if name == "Or":
        return any(matches(child, message) for child in node)
    if name == "Not":
        return not all(matches(child, message) for child in node)
    if name == "Exists":
        _field_uri(node)
        return True
    uri = _field_uri(node)
    if name == "Contains":
        constant = node.find(t("Constant"))
        needle = (constant.get("Value") if constant is not None else "") or ""
        value = _field_value(message, uri)
        mode = node.get("ContainmentMode", "FullString")
        if mode == "FullString":
            return value == needle.lower()
        if mode == "Prefixed":
            return str(value).startswith(needle.lower())
        return needle.lower() in str(value)
    if name in _COMPARISONS:
        constant = node.find(f"{t('FieldURIOrConstant')}/{t('Constant')}")
        if constant is None:
            raise unsupported_path(uri)
        return _COMPARISONS[name](_field_value(message, uri), _constant(uri, constant.get("Value") or ""))
    raise schema_error(f"The element '{name}' is not a restriction.")


def validate(node: ET.Element) -> None:
    """Check a restriction once before any folder is searched, so an invalid one fails the whole request."""
    name = node.tag.split("}")[-1]
    if name in ("And", "Or", "Not"):
        for child in node:
            validate(child)
        return
    uri = _field_uri(node)
    if name in _COMPARISONS:
        constant = node.find(f"{t('FieldURIOrConstant')}/{t('Constant')}")
        if constant is not None:
            _constant(uri, constant.get("Value") or "")
