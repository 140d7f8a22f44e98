"""A real replay whose outcomes and logs the report tests read.

The tracking index is filled through its own writer, the engine's
pipeline runs against the mail store stub of the engine tests, and the log
handlers write the files. The message carries a subject and a file name
with markup, quotes, CR/LF and ANSI escapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from mar_runner.engine import replay
from mar_runner.engine.run import ReplayResult
from mar_runner.logs import install_log_handlers
from mar_runner.state import open_db
from mar_runner.tracking.schema import ensure_schema
from mar_runner.tracking.store import IndexWriter, MessageRecord, RecipientRecord
from mar_runner.tracking.index import TrackingIndex
from tests.plugins.engine import SHA, VERDICT_TIME, StubBackend, StubMailServer, StubVerdict, make_config

MESSAGE_ID = "<evil-1@attacker.example>"
EVIL_SUBJECT = "Pay now <script>alert('s')</script> \"urgent\"\r\nINFO fake\x1b[31m"
EVIL_FILE_NAME = "<script>alert(\"f\")</script>'.docm"
RECIPIENTS = {
    "ok@example.com": "delivered",
    "gone@example.com": "delivered",
    "user5@example.org": "delivered",
    "bounced@example.com": "bounced",
}


@dataclass
class ReplayData:
    """The state directory of a finished replay and what it returned."""

    state_dir: Path
    result: ReplayResult


def _write_tracking(conn) -> None:
    ensure_schema(conn)
    writer = IndexWriter(conn)
    writer.write(
        MessageRecord(
            message_key="gw:1",
            source="jsonl",
            mids=[100],
            message_id=MESSAGE_ID,
            message_id_raw=MESSAGE_ID,
            sender="attacker@evil.example",
            subject=EVIL_SUBJECT,
            received_at=(VERDICT_TIME - timedelta(hours=2)).timestamp(),
            recipients=[RecipientRecord(address=address, mid=100, status=status) for address, status in RECIPIENTS.items()],
            attachments=[(EVIL_FILE_NAME, SHA)],
        )
    )
    writer.flush()


def run_replay(folder: Path) -> ReplayData:
    """Import the tracking record, replay one malicious verdict, and return the state."""
    state_dir = folder / "state"
    conn = open_db(state_dir)
    try:
        _write_tracking(conn)
    finally:
        conn.close()

    server = StubMailServer()
    server.add("ok@example.com", MESSAGE_ID, "Inbox")
    server.add("gone@example.com", "<other@example.com>", "Inbox")
    config = make_config("delete")
    installed = install_log_handlers(state_dir, config["mar_settings"])
    tracking_conn = open_db(state_dir)
    try:
        result = replay(
            state_dir,
            [],
            config=config,
            tracking=TrackingIndex(tracking_conn),
            verdicts=[StubVerdict("v1", file_name=EVIL_FILE_NAME, source="amp")],
            backend_factory=lambda profile: StubBackend(profile["name"], server),
        )
    finally:
        tracking_conn.close()
        installed.close()
    return ReplayData(state_dir=state_dir, result=result)
