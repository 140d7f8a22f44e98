"""AsyncOS mail and AMP logs assembled into deliveries: recipients, rewrites, bcc copies, statuses."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from mar_runner.tracking import TrackingIndex, import_paths

LOGS = Path(__file__).parents[2] / "fixtures" / "logs"
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=timezone.utc)
SHA_INVOICE = "52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786"
SHA_ZIP = "4a70fe9aa6436e02c2dea340fbd1e352e4ef2d8ce6ca52ad25d4b95471fc8bf2"
SHA_MEMBER = "e31ab643c44f7a0ec824b59d1194d60dac334200d845e61d2d289daa0f087ea4"
SHA_REPORT = "845e91831319e89c4d656bdb80c278ac09a7230d61e5dfd2e1b1fbb436ac8917"
SHA_MOD6 = "27c606e5e9939f393387932b8713dee8d7ab865b8dfd4f166955fd303d72f43f"
SHA_TQPS = "57a2339105487ee6477b46d927f4d5267a3e6dcd6f1ff041cf32aae00177c4b7"


@pytest.fixture
def native(tracking_conn):
    summary = import_paths(tracking_conn, [LOGS / "mail_native.log"], now=NOW)
    assert summary.problem_count == 0
    return TrackingIndex(tracking_conn)


def _one(index, **criteria):
    found = index.lookup(**criteria)
    assert len(found) == 1, found
    return found[0]


def _statuses(delivery):
    return {(r.address, r.mid, r.rid): r.status for r in delivery.recipients}


def test_multi_recipient_delivery_maps_rids(native):
    delivery = _one(native, mid=9)
    assert _statuses(delivery) == {
        ("usera@example.com", 9, 0): "delivered",
        ("userb@example.com", 9, 1): "delivered",
        ("userc@example.com", 9, 2): "delivered",
    }
    assert {r.policy for r in delivery.recipients} == {"DEFAULT"}
    assert delivery.recipients[0].delivered_at == datetime(2007, 2, 14, 12, 11, 43, tzinfo=timezone.utc)


def test_message_fields_read(native):
    delivery = _one(native, mid=9)
    assert delivery.message_id == "<W1TH0002@mail.example.com>"
    assert delivery.message_id_raw == "<W1TH0002@mail.example.com>"
    assert delivery.sender == "sender@example.com"
    assert delivery.subject == "Invoice 1187"
    assert delivery.received_at == datetime(2007, 2, 14, 12, 11, 40, tzinfo=timezone.utc)
    assert delivery.source == "asyncos"


def test_amp_line_ties_sha256_to_attachment(native):
    delivery = _one(native, sha256=SHA_INVOICE)
    assert [(a.name, a.sha256) for a in delivery.attachments] == [("invoice.xlsm", SHA_INVOICE)]


def test_quoted_printable_names_decoded(native):
    rewritten = _one(native, mid=44)
    assert sorted((a.name, a.sha256) for a in rewritten.attachments) == [
        ("Banner.gif", "8c7ed2d9be59e21cf7cfc7da75c6c0cb7dd751f4a870f0f9236f0f35cbaf584e"),
        ("тест.rst", None),
    ]
    spaced = _one(native, mid=100)
    assert [(a.name, a.sha256) for a in spaced.attachments] == [("Test Attachment.docx", SHA_REPORT)]


def test_rewrite_moves_recipients_to_new_mid(native):
    delivery = _one(native, mid=45)
    assert delivery.mids == [44, 45]
    assert _statuses(delivery) == {
        ("sales1@example.com", 45, 0): "delivered",
        ("sales2@example.com", 45, 1): "delivered",
    }
    assert {r.policy for r in delivery.recipients} == {"SALES"}


def test_unquoted_subject_with_folding(native):
    assert _one(native, mid=44).subject == "Re: [example: #129226] FW: Quote for EXAMPLE AFRICA (PTY) LTD | Autoprice"


def test_bcc_copy_delivered_recipient_found(native):
    delivery = _one(native, sha256=SHA_ZIP)
    assert delivery.mids == [13, 14]
    assert _statuses(delivery) == {
        ("ceo@example.com", 13, 0): "delivered",
        ("auditor@example.com", 14, 0): "delivered",
    }


def test_archive_member_sha_finds_nothing(native):
    assert native.lookup(sha256=SHA_MEMBER) == []


def test_bounce_marks_only_that_rid(native):
    delivery = _one(native, mid=15232)
    assert _statuses(delivery) == {
        ("gone@example.com", 15232, 0): "bounced",
        ("present@example.com", 15232, 1): "delivered",
    }
    assert [r.address for r in delivery.delivered_recipients] == ["present@example.com"]


def test_amp_drop_marks_aborted(native):
    delivery = _one(native, sha256=SHA_MOD6)
    assert _statuses(delivery) == {("victim@example.com", 1653, 0): "aborted"}
    assert delivery.delivered_recipients == []


def test_quarantine_without_release_stays_quarantined(native):
    assert _statuses(_one(native, mid=482)) == {("held@example.com", 482, 0): "quarantined"}


@pytest.mark.parametrize("mid", [483, 484])
def test_release_then_delivery_is_delivered(native, mid):
    [status] = _statuses(_one(native, mid=mid)).values()
    assert status == "delivered"


def test_message_id_with_plus_and_equals_kept(native):
    delivery = _one(native, message_id="<CAKEaRS+qOfSncg8ppnitd=jqiqDs28@mail.gmail.com>")
    assert delivery.mids == [100]
    assert delivery.subject == "redacted subject"


def test_retrospective_case_delivery_found(native):
    delivery = _one(native, sha256=SHA_REPORT)
    assert [(r.address, r.status) for r in delivery.delivered_recipients] == [("user@example.com", "delivered")]
    assert delivery.recipients[0].policy == "Finance-Inbound"


@pytest.fixture
def syslog(tracking_conn):
    summary = import_paths(tracking_conn, [LOGS / "mail_syslog.log"], now=NOW)
    assert summary.problem_count == 0
    return TrackingIndex(tracking_conn)


@pytest.mark.parametrize(
    ("mid", "address", "received"),
    [
        (7, "user@example.com", datetime(2026, 3, 17, 18, 24, 37, tzinfo=timezone.utc)),
        (204841507, "buyer@example.com", datetime(2026, 11, 24, 14, 22, 57, tzinfo=timezone.utc)),
        (6509657, "fwd@example.com", datetime(2019, 9, 28, 16, 13, 51, tzinfo=timezone.utc)),
        (77, "audit@example.com", datetime(2026, 8, 3, 7, 26, 33, tzinfo=timezone.utc)),
        (88, "nopri@example.com", datetime(2026, 9, 16, 16, 56, 6, tzinfo=timezone.utc)),
    ],
)
def test_syslog_prefix_forms(syslog, mid, address, received):
    delivery = _one(syslog, mid=mid)
    assert [r.address for r in delivery.delivered_recipients] == [address]
    assert delivery.received_at == received


def test_rewrite_form_with_mid_word(syslog):
    delivery = _one(syslog, mid=6)
    assert delivery.mids == [6, 7]
    assert _statuses(delivery) == {("user@example.com", 7, 0): "delivered"}


def test_response_with_six_rids_delivers_all(syslog):
    delivery = _one(syslog, mid=1416566008)
    assert sorted(r.rid for r in delivery.delivered_recipients) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("order", [["amp.log", "mail_for_amp.log"], ["mail_for_amp.log", "amp.log"]])
def test_amp_log_imported_apart(tracking_conn, order):
    summary = import_paths(tracking_conn, [LOGS / name for name in order], now=NOW)
    assert summary.problem_count == 0
    index = TrackingIndex(tracking_conn)
    delivery = _one(index, mid=5)
    assert sorted((a.name, a.sha256) for a in delivery.attachments) == [
        ("Report,Final Draft: Revenue (Q1),Approved.pdf", SHA_REPORT),
        ("mod-6.exe", SHA_MOD6),
    ]
    assert [r.address for r in _one(index, sha256=SHA_TQPS).delivered_recipients] == ["target@example.com"]


def test_amp_log_counts_retrospective_lines(tracking_conn):
    summary = import_paths(tracking_conn, [LOGS / "amp.log"], now=NOW)
    assert summary.verdict_lines == 3


def test_log_starting_mid_message(tracking_conn, tmp_path):
    path = tmp_path / "tail.log"
    path.write_text(
        "Wed Feb 14 12:11:42 2007 Info: Delivery start DCID 8 MID 9 to RID [0, 1]\n"
        "Wed Feb 14 12:11:43 2007 Info: Message done DCID 8 MID 9 to RID [0, 1]\n"
        "Wed Feb 14 12:11:43 2007 Info: Message finished MID 9 done\n"
    )
    summary = import_paths(tracking_conn, [path], now=NOW)
    assert summary.unknown_recipients == 2
    assert summary.problem_count == 0


def test_rotated_halves_join(tracking_conn, tmp_path):
    lines = (LOGS / "mail_native.log").read_text().splitlines(keepends=True)
    first, second = tmp_path / "mail.log.1", tmp_path / "mail.log"
    first.write_text("".join(lines[:8]))
    second.write_text("".join(lines[8:]))
    import_paths(tracking_conn, [first], now=NOW)
    import_paths(tracking_conn, [second], now=NOW)
    delivery = _one(TrackingIndex(tracking_conn), mid=9)
    assert len(delivery.delivered_recipients) == 3
    assert delivery.attachments[0].sha256 == SHA_INVOICE
