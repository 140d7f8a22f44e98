"""Report data built from outcome records."""

from __future__ import annotations

from mar_runner.report import build_report

from .samples import DELIVERIES, EVIL_NAME, SHA_EVIL, SHA_OTHER, outcome, sample_outcomes


def test_counters_count_recipients():
    report = build_report(sample_outcomes(), deliveries=DELIVERIES)
    assert report.counters.as_dict() == {
        "deleted": 1,
        "forwarded": 0,
        "forwarded_and_deleted": 1,
        "failed": 2,
        "in_progress": 1,
        "skipped": 1,
    }


def test_failures_first():
    report = build_report(sample_outcomes())
    assert [section.sha256 for section in report.files] == [SHA_EVIL, SHA_OTHER]


def test_rows_by_status():
    section = build_report(sample_outcomes()).files[0]
    assert [row.recipient for row in section.failed] == ["denied@example.com"]
    assert [row.recipient for row in section.no_profile] == ["user5@example.org"]
    assert [row.recipient for row in section.in_progress] == ["late@example.com"]
    assert [row.recipient for row in section.remediated] == ["ok@example.com"]
    assert [row.recipient for row in section.skipped] == ["off@example.com"]
    assert section.remediated[0].profile == "graph-main"
    assert section.failed[0].profiles_tried == ["graph-main"]
    assert section.file_names == [EVIL_NAME]
    assert section.verdict_sources == ["amp"]


def test_failure_reason_explained():
    row = build_report(sample_outcomes()).files[0].failed[0]
    assert row.reason == "permission_denied"
    assert row.reason_text == "The profile has no permission to access this mailbox."
    assert row.fix.startswith("Grant the application Mail.ReadWrite and Mail.Send (Graph)")


def test_reason_in_japanese():
    row = build_report(sample_outcomes(), lang="ja").files[0].failed[0]
    assert row.reason_text != "The profile has no permission to access this mailbox."
    assert any("\u3040" <= char <= "\u30ff" or "\u4e00" <= char <= "\u9fff" for char in row.reason_text)


def test_dry_run_left_out_by_default():
    report = build_report(sample_outcomes())
    recipients = [row.recipient for section in report.files for row in section.remediated]
    assert "dry@example.com" not in recipients
    with_dry_run = build_report(sample_outcomes(), include_dry_run=True)
    assert with_dry_run.counters.deleted == 2


def test_latest_outcome_per_recipient_counts_once():
    older = outcome("x@example.com", "failed", reason="timed_out", verdict_id="v1", started_at="2026-12-04T10:00:00.000Z")
    newer = outcome("x@example.com", "success", profile="graph-main", verdict_id="v2", started_at="2026-12-04T12:00:00.000Z")
    report = build_report([older, newer])
    assert report.counters.failed == 0
    assert report.counters.deleted == 1


def test_tracking_links_messages():
    section = build_report(sample_outcomes(), deliveries=DELIVERIES).files[0]
    assert len(section.messages) == 1
    message = section.messages[0]
    assert message.anchor == f"sha-{SHA_EVIL}-m1"
    assert message.subject == DELIVERIES["<m1@example.com>"]["subject"]
    assert [row.recipient for row in message.recipients] == [
        "denied@example.com",
        "late@example.com",
        "off@example.com",
        "ok@example.com",
        "user5@example.org",
    ]


def test_reasons_listed_once():
    report = build_report(sample_outcomes())
    assert [reason["code"] for reason in report.reasons] == ["no_profile_mapped", "permission_denied", "policy_disabled"]


def test_unknown_reason_explained():
    report = build_report([outcome("u@example.com", "failed", reason="brand_new_code")])
    assert report.files[0].failed[0].reason_text == "Unknown reason brand_new_code."
