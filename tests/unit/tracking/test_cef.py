"""Consolidated event (CEF) lines: escaping, empty Message-ID, attachment details as a literal."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from mar_runner.tracking import TrackingIndex, import_paths
from mar_runner.tracking.asyncos.cef import CefError, attachments, parse_extension, split_header, unescape

LOGS = Path(__file__).parents[2] / "fixtures" / "logs"
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=timezone.utc)


@pytest.fixture
def cef(tracking_conn):
    summary = import_paths(tracking_conn, [LOGS / "consolidated.log"], now=NOW)
    return summary, TrackingIndex(tracking_conn)


def test_escaped_message_id_unescaped(cef):
    _summary, index = cef
    [delivery] = index.lookup(message_id="<CAKEaRS+qOfSncg8ppnitd=jqiqDs28@mail.gmail.com>")
    assert delivery.mids == [1054]
    assert delivery.message_id_raw == "<CAKEaRS+qOfSncg8ppnitd=jqiqDs28@mail.gmail.com>"
    assert delivery.subject == "Demande d'achat 42"
    assert [(r.address, r.status) for r in delivery.recipients] == [
        ("a@example.com", "delivered"),
        ("b@example.com", "delivered"),
    ]


def test_attachment_details_give_hashes(cef):
    _summary, index = cef
    [delivery] = index.lookup(mid=1053)
    assert sorted((a.name, a.sha256) for a in delivery.attachments) == [
        ("Report, Q1: final=v2.pdf", "f27e95e90d2e1aab70ed3a0308045196ffc59cb599468eea89184bfba7ea8043"),
        ("test.txt", "dcc3a01598fe1c5a7ac13f8e70d8bbf75705230b3b77a2f8df8fc6f2968f3c44"),
    ]
    assert delivery.message_id == "<id-1053@example.com>"
    assert delivery.sender == "sender@example.com"
    assert [(r.address, r.status) for r in delivery.recipients] == [("user@example.com", "quarantined")]
    assert delivery.received_at == datetime(2026, 9, 16, 16, 56, 6, tzinfo=timezone.utc)


def test_empty_message_id_is_none(cef):
    _summary, index = cef
    [delivery] = index.lookup(mid=1055)
    assert delivery.message_id is None
    assert delivery.message_id_raw is None
    assert delivery.recipients[0].status == "quarantined"


def test_bad_lines_reported_not_run(cef):
    summary, index = cef
    assert [(p.line, p.reason) for p in summary.problems] == [
        (4, "ESAAttachmentDetails is not a Python dict literal"),
        (5, "CEF event without a numeric ESAMID: not a message event"),
    ]
    assert index.lookup(mid=1056) == []


def test_unescape_rules():
    assert unescape(r"'<a\=b\\c@x>'") == "<a=b\\c@x>"
    assert unescape(r"line1\nline2") == "line1\nline2"
    assert unescape('"Demande d\'achat"') == "Demande d'achat"


def test_header_with_escaped_pipe():
    header, extension = split_header(r"CEF:0|Cisco|ESA\|x|14|ID|Name|5|ESAMID=1")
    assert header[2] == "ESA|x"
    assert extension == "ESAMID=1"


def test_truncated_header_rejected():
    with pytest.raises(CefError, match="fewer than 7 fields"):
        split_header("CEF:0|Cisco|ESA")


def test_extension_value_with_spaces():
    fields = parse_extension("ESAFinalActionDetails=To POLICY cs4Label=ExternalMsgID cs4='' act=DQ")
    assert fields == {"ESAFinalActionDetails": "To POLICY", "cs4Label": "ExternalMsgID", "cs4": "", "act": "DQ"}


def test_truncated_attachment_details_rejected():
    with pytest.raises(CefError, match="ESAAttachmentDetails is not closed"):
        parse_extension("ESAMID=1 ESAAttachmentDetails={'a.txt': {'AMP': ")


def test_attachment_without_hash_kept_by_name():
    assert attachments("{'a.txt': {'BodyScanner': {'fsize': 1}}}") == [("a.txt", "")]
