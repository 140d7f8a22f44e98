"""marctl import, verdicts and track run as a user runs them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mar_runner.state import open_db
from mar_runner.tracking import TrackingIndex, import_paths

LOGS = Path(__file__).parents[2] / "fixtures" / "logs"
SHA_INVOICE = "52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786"


def marctl(state_dir, *args, lang=None):
    command = [sys.executable, "-m", "mar_runner.cli.main", "--state-dir", str(state_dir)]
    if lang:
        command += ["--lang", lang]
    return subprocess.run(command + list(args), capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def imported_state(tmp_path_factory):
    """A state directory whose index contains the native mail log, imported in-process to save a marctl start."""
    state = tmp_path_factory.mktemp("imported") / "state"
    conn = open_db(state)
    import_paths(conn, [LOGS / "mail_native.log"])
    conn.close()
    return state


def test_import_summary_then_nothing_new(state_dir, tmp_path):
    log = tmp_path / "mail.log"
    shutil.copy(LOGS / "mail_native.log", log)
    first = marctl(state_dir, "import", str(log))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "Files read: 1; new lines: 103; messages written to the tracking index: 9.",
        f"  {log}: lines 1 to 103 (asyncos)",
    ]
    assert first.stderr == ""
    second = marctl(state_dir, "import", str(log))
    assert second.returncode == 0
    assert second.stdout.splitlines() == [
        "Files read: 1; new lines: 0; messages written to the tracking index: 0.",
        f"  {log}: nothing new (asyncos, read up to line 103)",
    ]


def test_import_japanese_summary(state_dir):
    result = marctl(state_dir, "import", str(LOGS / "tracking.jsonl"), lang="ja")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "読み込んだファイル: 1、新しい行: 2、トラッキングインデックスに書き込んだメッセージ: 2。"


def test_import_reports_bad_lines(state_dir):
    result = marctl(state_dir, "import", str(LOGS / "consolidated.log"))
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "Lines that could not be read: 2",
        f"  {LOGS / 'consolidated.log'}:4: ESAAttachmentDetails is not a Python dict literal",
        f"  {LOGS / 'consolidated.log'}:5: CEF event without a numeric ESAMID: not a message event",
    ]


def test_import_missing_file(state_dir, tmp_path):
    missing = tmp_path / "absent.log"
    result = marctl(state_dir, "import", str(missing))
    assert result.returncode == 2
    assert result.stderr.strip() == f"File not found: {missing}"
    assert not (state_dir / "mar.db").exists()


def test_import_directory_rejected(state_dir, tmp_path):
    result = marctl(state_dir, "import", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path} is a directory: give the log files in it"


def test_import_bad_timezone(state_dir):
    result = marctl(state_dir, "import", "--timezone", "Mars/Olympus", str(LOGS / "mail_native.log"))
    assert result.returncode == 2
    assert result.stderr.strip() == "unknown time zone 'Mars/Olympus': use an IANA name such as UTC or Asia/Tokyo"


def test_import_timezone_applies(state_dir):
    result = marctl(state_dir, "import", "--timezone", "Asia/Tokyo", str(LOGS / "mail_native.log"))
    assert result.returncode == 0, result.stderr
    conn = open_db(state_dir)
    try:
        [delivery] = TrackingIndex(conn).lookup(mid=9)
    finally:
        conn.close()
    assert delivery.received_at == datetime(2007, 2, 14, 3, 11, 40, tzinfo=timezone.utc)


def test_track_shows_index_content(imported_state):
    result = marctl(imported_state, "track", "--sha256", SHA_INVOICE, "--format", "json")
    assert result.returncode == 0, result.stderr
    [message] = json.loads(result.stdout)["messages"]
    delivery = message["delivery"]
    assert delivery["mids"] == ["9"]
    assert delivery["message_id"] == "<W1TH0002@mail.example.com>"
    assert delivery["attachments"] == [{"name": "invoice.xlsm", "sha256": SHA_INVOICE}]
    assert [(r["address"], r["status"], r["policy"]) for r in delivery["recipients"]] == [
        ("usera@example.com", "delivered", "DEFAULT"),
        ("userb@example.com", "delivered", "DEFAULT"),
        ("userc@example.com", "delivered", "DEFAULT"),
    ]


def test_track_table_lists_recipients(imported_state):
    result = marctl(imported_state, "track", "--mid", "15232")
    assert result.returncode == 0, result.stderr
    assert "gone@example.com" in result.stdout
    assert "bounced" in result.stdout


def test_track_nothing_found(imported_state):
    result = marctl(imported_state, "track", "--mid", "424242", "--format", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["messages"] == []


def test_verdicts_json_output(state_dir):
    result = marctl(state_dir, "verdicts", "--format", "json", str(LOGS / "secure_endpoint_events.json"))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert [(v["sha256"][:8], v["verdict"], v["event_id"]) for v in data["verdicts"]] == [
        ("12081e6c", "malicious", "6411425813945647105"),
        ("ad9a67fe", "clean", "6411425813945647001"),
    ]
    assert data["skipped_events"] == 1
    assert result.stderr.strip() == (
        f"{LOGS / 'secure_endpoint_events.json'}:16: Secure Endpoint event 553648147 has no file.identity.sha256, "
        "so no file can be matched"
    )


def test_verdicts_table_clean_file(state_dir):
    result = marctl(state_dir, "verdicts", str(LOGS / "verdicts.csv"))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SHA-256", "Verdict", "Previous", "File", "name", "Threat", "Observed", "(UTC)", "Source", "Origin"]
    assert lines[1].split()[:3] == ["27c606e5e9939f393387932b8713dee8d7ab865b8dfd4f166955fd303d72f43f", "malicious", "unknown"]
    assert lines[-1] == "Verdicts: 2 (1 malicious); invalid records: 0; events that are not verdicts: 0."
