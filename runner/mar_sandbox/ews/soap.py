"""SOAP envelopes: request parsing, response and fault building in the shapes Exchange sends."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.parsers.expat import ErrorString
from xml.sax.saxutils import escape, quoteattr

from .versions import ServerProfile

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MESSAGES_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
TYPES_NS = "http://schemas.microsoft.com/exchange/services/2006/types"
ERRORS_NS = "http://schemas.microsoft.com/exchange/services/2006/errors"

_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'


def m(name: str) -> str:
    """Return the Clark name of an element in the messages namespace."""
    return f"{{{MESSAGES_NS}}}{name}"


def t(name: str) -> str:
    """Return the Clark name of an element in the types namespace."""
    return f"{{{TYPES_NS}}}{name}"


class SoapFault(Exception):
    """An EWS error sent as a SOAP fault (HTTP 500) instead of a response message."""

    def __init__(
        self,
        code: str,
        message: str,
        values: dict[str, str] | None = None,
        fault_string: str | None = None,
        with_version: bool = True,
        schema_violation: tuple[int, int, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.values = values or {}
        self.fault_string = fault_string or message
        self.with_version = with_version
        self.schema_violation = schema_violation


@dataclass(frozen=True)
class SoapRequest:
    """The parts of a request envelope the operations read."""

    operation: ET.Element
    requested_version: str | None
    impersonated_address: str | None

    @property
    def name(self) -> str:
        return self.operation.tag.split("}", 1)[-1]


def schema_error(violation: str, line: int = 1, column: int = 1) -> SoapFault:
    return SoapFault(
        "ErrorSchemaValidation",
        "The request failed schema validation.",
        fault_string=f"The request failed schema validation: {violation}",
        schema_violation=(line, column, violation),
        with_version=False,
    )


def invalid_attribute(attribute: str, value: str) -> SoapFault:
    """Return the schema-validation fault for an attribute value outside its enumeration."""
    return schema_error(f"The '{attribute}' attribute is invalid - The value '{value}' is invalid according to its datatype.")


def parse_request(body: bytes) -> SoapRequest:
    """Parse a request envelope, raising the fault Exchange sends for XML it cannot read."""
    if b"<!DOCTYPE" in body[:2048].upper():
        raise schema_error("DTD is prohibited in this XML document.")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        line, column = exc.position
        reason = ErrorString(exc.code)
        raise schema_error(f"The XML is not well formed: {reason}. Line {line}, position {column + 1}.", line, column + 1) from None
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise schema_error(f"The root element '{root.tag}' is not a SOAP 1.1 Envelope.")
    soap_body = root.find(f"{{{SOAP_NS}}}Body")
    if soap_body is None or len(soap_body) == 0:
        raise schema_error("The SOAP Body is missing or empty.")
    operation = soap_body[0]
    if not operation.tag.startswith(f"{{{MESSAGES_NS}}}"):
        raise schema_error(
            f"The element 'Body' in namespace '{SOAP_NS}' has invalid child element '{operation.tag}'."
        )

    requested_version = None
    impersonated = None
    header = root.find(f"{{{SOAP_NS}}}Header")
    if header is not None:
        version_elem = header.find(t("RequestServerVersion"))
        if version_elem is not None:
            requested_version = version_elem.get("Version")
        impersonation = header.find(t("ExchangeImpersonation"))
        if impersonation is not None:
            impersonated = _impersonated_address(impersonation)
    return SoapRequest(operation, requested_version, impersonated)


def _impersonated_address(impersonation: ET.Element) -> str:
    sid = impersonation.find(t("ConnectingSID"))
    if sid is None:
        raise schema_error("The element 'ExchangeImpersonation' is missing its child element 'ConnectingSID'.")
    for name in ("PrimarySmtpAddress", "SmtpAddress", "PrincipalName"):
        value = sid.findtext(t(name))
        if value and value.strip():
            return value.strip()
    raise schema_error("The element 'ConnectingSID' has no PrimarySmtpAddress, SmtpAddress or PrincipalName.")


def element(tag: str, attrs: dict[str, object] | None = None, *children: str, text: str | None = None) -> str:
    """Serialise one element; `tag` carries its prefix (m:, t:), children are serialised strings."""
    attr_text = "".join(f" {key}={quoteattr(str(value))}" for key, value in (attrs or {}).items() if value is not None)
    inner = escape(text) if text is not None else "".join(children)
    if not inner:
        return f"<{tag}{attr_text}/>"
    return f"<{tag}{attr_text}>{inner}</{tag}>"


def _version_header(profile: ServerProfile) -> str:
    build = profile.build
    return (
        "<s:Header>"
        f'<h:ServerVersionInfo MajorVersion="{build[0]}" MinorVersion="{build[1]}" '
        f'MajorBuildNumber="{build[2]}" MinorBuildNumber="{build[3]}" Version="{profile.version_attribute}" '
        f'xmlns:h="{TYPES_NS}" xmlns="{TYPES_NS}" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
        "</s:Header>"
    )


def envelope(profile: ServerProfile, body_content: str) -> bytes:
    """Wrap a response body in an envelope carrying ServerVersionInfo."""
    return (
        f'{_DECLARATION}<s:Envelope xmlns:s="{SOAP_NS}">{_version_header(profile)}'
        f'<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"{body_content}</s:Body></s:Envelope>"
    ).encode("utf-8")


def operation_response(operation: str, messages: list[str]) -> str:
    """Wrap response messages in `m:<Operation>Response/m:ResponseMessages`."""
    return (
        f'<m:{operation}Response xmlns:m="{MESSAGES_NS}" xmlns:t="{TYPES_NS}">'
        f"<m:ResponseMessages>{''.join(messages)}</m:ResponseMessages></m:{operation}Response>"
    )


def success_message(operation: str, *children: str) -> str:
    return element(
        f"m:{operation}ResponseMessage",
        {"ResponseClass": "Success"},
        element("m:ResponseCode", text="NoError"),
        *children,
    )


def error_message(operation: str, code: str, text: str, values: dict[str, str] | None = None) -> str:
    """Build a per-item error, as Exchange reports a failure of one item among several."""
    parts = [element("m:MessageText", text=text), element("m:ResponseCode", text=code), element("m:DescriptiveLinkKey", text="0")]
    if values:
        parts.append(
            element("m:MessageXml", None, *(element("t:Value", {"Name": key}, text=value) for key, value in values.items()))
        )
    return element(f"m:{operation}ResponseMessage", {"ResponseClass": "Error"}, *parts)


def fault_envelope(profile: ServerProfile, fault: SoapFault) -> bytes:
    """Build the SOAP fault Exchange sends with HTTP 500."""
    message_xml = ""
    if fault.schema_violation is not None:
        line, column, violation = fault.schema_violation
        message_xml = (
            f'<t:MessageXml xmlns:t="{TYPES_NS}">'
            f"{element('t:LineNumber', text=str(line))}{element('t:LinePosition', text=str(column))}"
            f"{element('t:Violation', text=violation)}</t:MessageXml>"
        )
    elif fault.values:
        values = "".join(element("t:Value", {"Name": key}, text=value) for key, value in fault.values.items())
        message_xml = f'<t:MessageXml xmlns:t="{TYPES_NS}">{values}</t:MessageXml>'
    body = (
        "<s:Fault>"
        f'<faultcode xmlns:a="{TYPES_NS}">a:{escape(fault.code)}</faultcode>'
        f'<faultstring xml:lang="en-US">{escape(fault.fault_string)}</faultstring>'
        "<detail>"
        f'<e:ResponseCode xmlns:e="{ERRORS_NS}">{escape(fault.code)}</e:ResponseCode>'
        f'<e:Message xmlns:e="{ERRORS_NS}">{escape(fault.message)}</e:Message>'
        f"{message_xml}</detail></s:Fault>"
    )
    header = _version_header(profile) if fault.with_version else ""
    return f'{_DECLARATION}<s:Envelope xmlns:s="{SOAP_NS}">{header}<s:Body>{body}</s:Body></s:Envelope>'.encode("utf-8")
