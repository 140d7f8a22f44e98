"""Outcome records shaped as the engine stores them, for renderer tests."""

from __future__ import annotations

from typing import Any

SHA_EVIL = "a" * 64
SHA_OTHER = "b" * 64
EVIL_NAME = "<script>alert(\"x\")</script>'.pdf"
EVIL_SUBJECT = "Invoice <script>alert('s')</script> \"due\""


def outcome(recipient: str, status: str, **fields: Any) -> dict[str, Any]:
    """Return one outcome record with the required fields filled in."""
    record: dict[str, Any] = {
        "verdict_id": "v1",
        "sha256": SHA_EVIL,
        "mids": ["100"],
        "message_id": "<m1@example.com>",
        "message_key": "k1",
        "recipient": recipient,
        "policy": "inbound",
        "action": "delete",
        "status": status,
        "reason": None,
        "profile": None,
        "profiles_tried": [],
        "copies": 0,
        "folders": [],
        "attempts": [],
        "dry_run": False,
        "started_at": "2026-12-04T10:00:00.000Z",
        "finished_at": "2026-12-04T10:00:01.000Z",
        "verdict_source": "amp",
        "verdict_time": "2026-12-04T09:59:00+00:00",
        "file_name": EVIL_NAME,
        "run_id": "r1",
    }
    record.update(fields)
    return record


def sample_outcomes() -> list[dict[str, Any]]:
    """Return outcomes covering every status and the no-profile case, for two files."""
    return [
        outcome(
            "ok@example.com",
            "success",
            profile="graph-main",
            profiles_tried=["ews-onprem", "graph-main"],
            copies=2,
            folders=["Inbox", "Deleted Items"],
            attempts=[
                {"profile": "ews-onprem", "time": "2026-12-04T10:00:00.100Z", "result": "failed", "reason": "authentication_failed"},
                {"profile": "graph-main", "time": "2026-12-04T10:00:00.500Z", "result": "success"},
            ],
        ),
        outcome(
            "denied@example.com",
            "failed",
            reason="permission_denied",
            profiles_tried=["graph-main"],
            attempts=[{"profile": "graph-main", "time": "2026-12-04T10:00:00.600Z", "result": "failed", "reason": "permission_denied"}],
        ),
        outcome("user5@example.org", "failed", reason="no_profile_mapped"),
        outcome("late@example.com", "in_progress", finished_at=None, profiles_tried=["graph-main"]),
        outcome("off@example.com", "skipped", reason="policy_disabled"),
        outcome(
            "fwd@example.com",
            "success",
            sha256=SHA_OTHER,
            action="forward_and_delete",
            profile="graph-main",
            message_id="<m2@example.com>",
            mids=["200"],
            file_name="report.xlsx",
            started_at="2026-12-04T11:00:00.000Z",
        ),
        outcome("dry@example.com", "success", dry_run=True, sha256=SHA_OTHER, message_id="<m2@example.com>"),
    ]


DELIVERIES = {
    "<m1@example.com>": {"subject": EVIL_SUBJECT, "sender": "bad@example.net", "received_at": "2026-12-04T08:00:00Z"},
}
