"""FindItem restrictions evaluated on messages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

from mar_sandbox.ews.backend import AttachmentInfo, MessageInfo
from mar_sandbox.ews.restrictions import matches, validate
from mar_sandbox.ews.soap import SoapFault

TYPES = "http://schemas.microsoft.com/exchange/services/2006/types"

MESSAGE = MessageInfo(
    message_key="AAMkAG1",
    change_key="CQAAABYA1",
    folder_key="AAMkAF1",
    internet_message_id="<Invoice-1@Evil.example>",
    subject="Invoice",
    sender="eve@evil.example",
    to_recipients=("alice@corp.example",),
    received_at=datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc),
    attachments=(AttachmentInfo("AAMkAtt1", "a.pdf", "application/pdf", b"x"),),
)


def restriction(xml: str) -> ET.Element:
    return ET.fromstring(f'<r xmlns:t="{TYPES}">{xml}</r>')[0]


def compare(operator: str, uri: str, value: str) -> ET.Element:
    return restriction(
        f'<t:{operator}><t:FieldURI FieldURI="{uri}"/>'
        f'<t:FieldURIOrConstant><t:Constant Value="{value}"/></t:FieldURIOrConstant></t:{operator}>'
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("&lt;invoice-1@evil.example&gt;", True), ("invoice-1@evil.example", False), ("&lt;other@x&gt;", False)],
)
def test_message_id_equality(value, expected):
    assert matches(compare("IsEqualTo", "message:InternetMessageId", value), MESSAGE) is expected


def test_received_range():
    inside = restriction(
        '<t:And>'
        '<t:IsGreaterThanOrEqualTo><t:FieldURI FieldURI="item:DateTimeReceived"/>'
        '<t:FieldURIOrConstant><t:Constant Value="2026-11-20T09:00:00Z"/></t:FieldURIOrConstant></t:IsGreaterThanOrEqualTo>'
        '<t:IsLessThan><t:FieldURI FieldURI="item:DateTimeReceived"/>'
        '<t:FieldURIOrConstant><t:Constant Value="2026-11-20T10:00:00+01:00"/></t:FieldURIOrConstant></t:IsLessThan>'
        '</t:And>'
    )
    assert matches(inside, MESSAGE) is False
    assert matches(compare("IsLessThan", "item:DateTimeReceived", "2026-11-20T10:00:00Z"), MESSAGE) is True


@pytest.mark.parametrize("uri", ["message:From", "message:Sender"])
def test_sender_fields(uri):
    assert matches(compare("IsEqualTo", uri, "Eve@Evil.example"), MESSAGE) is True
    assert matches(compare("IsNotEqualTo", uri, "eve@evil.example"), MESSAGE) is False


def test_has_attachments_and_not():
    assert matches(compare("IsEqualTo", "item:HasAttachments", "true"), MESSAGE) is True
    negated = restriction(
        '<t:Not><t:IsEqualTo><t:FieldURI FieldURI="item:HasAttachments"/>'
        '<t:FieldURIOrConstant><t:Constant Value="true"/></t:FieldURIOrConstant></t:IsEqualTo></t:Not>'
    )
    assert matches(negated, MESSAGE) is False


def test_or_and_contains():
    either = restriction(
        '<t:Or>'
        '<t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase">'
        '<t:FieldURI FieldURI="item:Subject"/><t:Constant Value="VOIC"/></t:Contains>'
        '<t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/>'
        '<t:FieldURIOrConstant><t:Constant Value="nothing"/></t:FieldURIOrConstant></t:IsEqualTo>'
        '</t:Or>'
    )
    assert matches(either, MESSAGE) is True


def test_unsupported_path_fault():
    with pytest.raises(SoapFault) as raised:
        validate(compare("IsEqualTo", "calendar:Start", "x"))
    assert raised.value.code == "ErrorUnsupportedPathForQuery"
    assert raised.value.message == "The property path for this query is not supported."
    assert raised.value.values == {"FieldURI": "calendar:Start"}


def test_invalid_date_fault():
    with pytest.raises(SoapFault) as raised:
        validate(compare("IsGreaterThan", "item:DateTimeReceived", "yesterday"))
    assert raised.value.code == "ErrorInvalidValueForProperty"
    assert raised.value.values == {"PropertyName": "item:DateTimeReceived", "PropertyValue": "yesterday"}
