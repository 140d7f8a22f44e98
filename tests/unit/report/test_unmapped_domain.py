"""One hundred recipients in a domain without a profile: one failure each, no call, no alert flood."""

from __future__ import annotations

import logging

from mar_runner.engine import replay
from mar_runner.report import build_report, render
from mar_runner.report.source import query_outcomes
from mar_runner.state import open_db
from tests.plugins.engine import StubBackend, StubDelivery, StubRecipient, StubTracking, StubVerdict, make_config

RECIPIENTS = [f"user{number}@example.org" for number in range(100)]


def test_hundred_unmapped_recipients(state_dir, mail_server, caplog):
    caplog.set_level(logging.INFO, logger="mar")
    tracking = StubTracking([StubDelivery("k1", "<m@evil.example>", [StubRecipient(address) for address in RECIPIENTS])])
    replay(
        state_dir,
        [],
        config=make_config("delete"),
        tracking=tracking,
        verdicts=[StubVerdict("v1")],
        backend_factory=lambda profile: StubBackend(profile["name"], mail_server),
    )
    conn = open_db(state_dir)
    try:
        report = build_report(query_outcomes(conn))
    finally:
        conn.close()

    assert mail_server.calls == []
    assert report.counters.failed == 100
    assert len(report.files[0].no_profile) == 100
    assert report.files[0].failed == []
    assert {row.reason for row in report.files[0].no_profile} == {"no_profile_mapped"}
    assert [reason["code"] for reason in report.reasons] == ["no_profile_mapped"]
    alerts = [record for record in caplog.records if getattr(record, "mar_event", None) == "alert"]
    assert len(alerts) <= 1
    assert "Recipients whose domain has no profile: 100" in render(report, "table")
