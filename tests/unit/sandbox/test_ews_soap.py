"""SOAP parsing and the response, fault and version shapes, read back with exchangelib's own parsers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from exchangelib.errors import ErrorImpersonateUserDenied, ErrorSchemaValidation, ErrorServerBusy
from exchangelib.services import GetFolder
from exchangelib.version import Build, Version

from mar_sandbox.ews.soap import SOAP_NS, SoapFault, envelope, fault_envelope, operation_response, parse_request, schema_error
from mar_sandbox.ews.versions import PROFILES, profile_for

REQUEST = b"""<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
  xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
  xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
  <s:Header>
    <t:RequestServerVersion Version="Exchange2013_SP1"/>
    <t:ExchangeImpersonation><t:ConnectingSID>%s</t:ConnectingSID></t:ExchangeImpersonation>
  </s:Header>
  <s:Body><m:GetFolder/></s:Body>
</s:Envelope>"""


def parts(xml: bytes) -> tuple[ET.Element | None, ET.Element]:
    root = ET.fromstring(xml)
    return root.find(f"{{{SOAP_NS}}}Header"), root.find(f"{{{SOAP_NS}}}Body")


@pytest.mark.parametrize("tag", ["PrimarySmtpAddress", "SmtpAddress", "PrincipalName"])
def test_parse_impersonated_address(tag):
    request = parse_request(REQUEST % f"<t:{tag}> Alice@Corp.example </t:{tag}>".encode())
    assert request.name == "GetFolder"
    assert request.requested_version == "Exchange2013_SP1"
    assert request.impersonated_address == "Alice@Corp.example"


def test_parse_impersonation_without_address():
    with pytest.raises(SoapFault) as raised:
        parse_request(REQUEST % b"<t:SID>S-1-5-21</t:SID>")
    assert raised.value.code == "ErrorSchemaValidation"
    assert raised.value.schema_violation[2] == (
        "The element 'ConnectingSID' has no PrimarySmtpAddress, SmtpAddress or PrincipalName."
    )


def test_parse_rejects_doctype():
    with pytest.raises(SoapFault) as raised:
        parse_request(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert raised.value.schema_violation[2] == "DTD is prohibited in this XML document."


def test_parse_rejects_other_root():
    with pytest.raises(SoapFault) as raised:
        parse_request(b"<Envelope/>")
    assert raised.value.schema_violation[2] == "The root element 'Envelope' is not a SOAP 1.1 Envelope."


def test_parse_rejects_body_outside_messages_namespace():
    body = f'<s:Envelope xmlns:s="{SOAP_NS}"><s:Body><GetFolder/></s:Body></s:Envelope>'.encode()
    with pytest.raises(SoapFault) as raised:
        parse_request(body)
    assert "has invalid child element 'GetFolder'" in raised.value.schema_violation[2]


@pytest.mark.parametrize(
    ("name", "build", "api_version"),
    [
        ("exchange2013", Build(15, 0, 1497, 2), "Exchange2013_SP1"),
        ("exchange2016", Build(15, 1, 2507, 6), "Exchange2016"),
        ("exchange2019", Build(15, 2, 1118, 7), "Exchange2016"),
    ],
)
def test_server_version_read_by_exchangelib(name, build, api_version):
    header, _ = parts(envelope(PROFILES[name], operation_response("GetFolder", [])))
    version = Version.from_soap_header(requested_api_version=api_version, header=header)
    assert version.build == build
    assert version.api_version == api_version


def test_fault_carries_server_version():
    header, _ = parts(fault_envelope(PROFILES["exchange2016"], SoapFault("ErrorServerBusy", "busy")))
    assert Version.from_soap_header(requested_api_version="Exchange2016", header=header).build == Build(15, 1, 2507, 6)


def test_server_busy_fault_back_off():
    fault = SoapFault(
        "ErrorServerBusy",
        "The server cannot service this request right now. Try again later.",
        values={"BackOffMilliseconds": "1500"},
    )
    _, body = parts(fault_envelope(PROFILES["exchange2016"], fault))
    with pytest.raises(ErrorServerBusy) as raised:
        GetFolder._raise_soap_errors(body.find(f"{{{SOAP_NS}}}Fault"))
    assert raised.value.back_off == 1.5
    assert str(raised.value) == "The server cannot service this request right now. Try again later."


def test_impersonation_fault_read_by_exchangelib():
    fault = SoapFault("ErrorImpersonateUserDenied", "The account does not have permission to impersonate the requested user.")
    _, body = parts(fault_envelope(PROFILES["exchange2013"], fault))
    with pytest.raises(ErrorImpersonateUserDenied) as raised:
        GetFolder._raise_soap_errors(body.find(f"{{{SOAP_NS}}}Fault"))
    assert str(raised.value) == "The account does not have permission to impersonate the requested user."


def test_schema_fault_names_position():
    _, body = parts(fault_envelope(PROFILES["exchange2016"], schema_error("Bad element.", 3, 7)))
    with pytest.raises(ErrorSchemaValidation) as raised:
        GetFolder._raise_soap_errors(body.find(f"{{{SOAP_NS}}}Fault"))
    assert str(raised.value) == "The request failed schema validation. Bad element. (line: 3 position: 7)"


def test_fault_text_is_escaped():
    xml = fault_envelope(PROFILES["exchange2016"], SoapFault("ErrorInvalidRequest", "a < b & c"))
    assert b"a &lt; b &amp; c" in xml


@pytest.mark.parametrize(
    ("requested", "accepted"),
    [(None, True), ("Exchange2010_SP2", True), ("Exchange2013_SP1", True), ("Exchange2015", False), ("Exchange2099", False)],
)
def test_exchange2013_accepted_versions(requested, accepted):
    assert profile_for("exchange2013").accepts(requested) is accepted


def test_unknown_release_rejected():
    with pytest.raises(ValueError) as raised:
        profile_for("exchange2010")
    assert str(raised.value) == "unknown Exchange version 'exchange2010': use exchange2013, exchange2016 or exchange2019"
