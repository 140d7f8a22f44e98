"""Tracking index: lookups over records imported from native JSON Lines."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mar_runner.tracking import TrackingIndex
from mar_runner.tracking.model import normalize_message_id

SHA_A = "a" * 64
SHA_B = "b" * 64


def _record(**overrides):
    record = {
        "mids": [100],
        "message_id": "<m1@example.com>",
        "sender": "Sender@Example.com",
        "subject": "Invoice",
        "received_at": "2026-12-01T09:00:00Z",
        "recipients": [
            {"address": "User1@example.com", "policy": "DEFAULT", "rid": 0},
            {"address": "user2@example.com", "status": "bounced", "rid": 1},
        ],
        "attachments": [{"name": "invoice.xlsm", "sha256": SHA_A.upper()}],
    }
    record.update(overrides)
    return record


def test_lookup_by_sha256_returns_recipients(fill_tracking, tracking_conn):
    summary = fill_tracking([_record()])
    assert summary.problem_count == 0
    [delivery] = TrackingIndex(tracking_conn).deliveries_by_sha256(SHA_A)
    assert delivery.mids == [100]
    assert delivery.message_id == "<m1@example.com>"
    assert delivery.sender == "sender@example.com"
    assert delivery.received_at == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    assert [(r.address, r.status, r.mid, r.rid) for r in delivery.recipients] == [
        ("user1@example.com", "delivered", 100, 0),
        ("user2@example.com", "bounced", 100, 1),
    ]
    assert [r.address for r in delivery.delivered_recipients] == ["user1@example.com"]
    assert delivery.attachments[0].sha256 == SHA_A


@pytest.mark.parametrize(
    "criteria",
    [
        {"message_id": "m1@example.com"},
        {"message_id": "'<<m1@example.com>>'"},
        {"mid": 100},
        {"recipient": "USER2@example.com"},
        {"sha256": SHA_A, "recipient": "user1@example.com"},
    ],
)
def test_lookup_each_criterion(fill_tracking, tracking_conn, criteria):
    other = _record(
        mids=[200],
        message_id="<m2@example.com>",
        recipients=[{"address": "user3@example.com"}],
        attachments=[{"sha256": SHA_B}],
    )
    fill_tracking([_record(), other])
    found = TrackingIndex(tracking_conn).lookup(**criteria)
    assert [d.mids for d in found] == [[100]]


def test_lookup_criteria_combine_with_and(fill_tracking, tracking_conn):
    fill_tracking([_record()])
    assert TrackingIndex(tracking_conn).lookup(sha256=SHA_A, mid=999) == []


def test_lookup_without_criteria_rejected(tracking_conn):
    with pytest.raises(ValueError, match="lookup needs at least one of"):
        TrackingIndex(tracking_conn).lookup()


def test_same_record_twice_changes_nothing(fill_tracking, tracking_conn):
    fill_tracking([_record()])
    before = TrackingIndex(tracking_conn).lookup(mid=100)
    fill_tracking([_record()])
    assert TrackingIndex(tracking_conn).lookup(mid=100) == before


def test_later_record_updates_status(fill_tracking, tracking_conn):
    fill_tracking([_record()])
    fill_tracking([_record(recipients=[{"address": "user2@example.com", "status": "delivered", "rid": 1}])])
    [delivery] = TrackingIndex(tracking_conn).lookup(mid=100)
    assert {r.address: r.status for r in delivery.recipients} == {
        "user1@example.com": "delivered",
        "user2@example.com": "delivered",
    }


def test_schema_violation_reported_with_line(fill_tracking, tracking_conn):
    summary = fill_tracking([_record(), {"mids": [5], "recipients": [{"address": "not-an-address"}]}])
    assert summary.problem_count == 1
    problem = summary.problems[0]
    assert problem.line == 2
    assert problem.reason == (
        "invalid tracking record: recipients[0].address: 'not-an-address' does not match '^[^@\\\\s]+@[^@\\\\s]+$'"
    )
    assert len(TrackingIndex(tracking_conn).lookup(mid=100)) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<a@b>", "<a@b>"),
        ("a@b", "<a@b>"),
        ("<<a@b>>", "<a@b>"),
        ("'<A@b>'", "<A@b>"),
        ("  ", None),
        ("''", None),
    ],
)
def test_message_id_normalised(raw, expected):
    assert normalize_message_id(raw) == expected
