"""Mail log, remediation log and JSON Lines written from engine events."""

from __future__ import annotations

import json
import logging
import socket
import stat

import pytest

from mar_runner import events
from mar_runner.logs import JSON_LINES_LOG, MAIL_LOG, REMEDIATION_LOG, install_log_handlers
from mar_runner.logs.escape import escape_text, format_value
from mar_runner.logs.handlers import parse_syslog_address

EVIL_SUBJECT = "Invoice\r\n2026-12-04T00:00:00.000Z INFO recipient_outcome status=success\x1b[31mred\x1b[0m\u2028end"


@pytest.fixture
def logs(tmp_path):
    installed = install_log_handlers(tmp_path, {"logs": {"max_bytes": 1_000_000, "backups": 2}})
    yield installed
    installed.close()


def _lines(path):
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def _emit_run():
    events.emit("run_started", "run started", run_id="r1", verdicts=1, dry_run=False)
    events.emit(
        "profile_attempt",
        "attempt",
        run_id="r1",
        mid=100,
        message_id="<a@example.com>",
        recipient="user@example.com",
        profile="graph-main",
        status="failed",
        reason="permission_denied",
    )
    events.emit(
        "recipient_outcome",
        "outcome",
        run_id="r1",
        mid=100,
        message_id="<a@example.com>",
        recipient="user@example.com",
        action="delete",
        status="success",
        reason=None,
        profile="graph-backup",
        subject=EVIL_SUBJECT,
    )
    events.emit("run_finished", "run finished", run_id="r1", succeeded=1, failed=0, skipped=0)


def test_mail_log_lines(logs):
    _emit_run()
    lines = _lines(logs.directory / MAIL_LOG)
    assert [line.split(" ")[2] for line in lines] == ["run_started", "recipient_outcome", "run_finished"]
    assert " INFO recipient_outcome run_id=r1 mid=100 message_id=<a@example.com> recipient=user@example.com " in lines[1]
    assert "profile=graph-backup action=delete status=success reason=- " in lines[1]
    assert lines[2].endswith("run_finished run_id=r1 failed=0 skipped=0 succeeded=1")


def test_remediation_log_lines(logs):
    _emit_run()
    lines = _lines(logs.directory / REMEDIATION_LOG)
    assert [line.split(" ")[2] for line in lines] == ["run_started", "profile_attempt", "run_finished"]
    assert lines[1].endswith(
        "profile_attempt run_id=r1 mid=100 message_id=<a@example.com> recipient=user@example.com "
        "profile=graph-main status=failed reason=permission_denied"
    )


def test_subject_cannot_forge_line(logs):
    _emit_run()
    mail_lines = _lines(logs.directory / MAIL_LOG)
    assert len(mail_lines) == 3
    outcome = mail_lines[1]
    assert "\x1b" not in outcome
    assert "\r" not in outcome
    assert "\u2028" not in outcome
    assert outcome.endswith(
        'subject="Invoice\\r\\n2026-12-04T00:00:00.000Z INFO recipient_outcome '
        'status=success\\x1b[31mred\\x1b[0m\\u2028end"'
    )
    json_lines = _lines(logs.directory / JSON_LINES_LOG)
    assert len(json_lines) == 4
    assert json.loads(json_lines[2])["subject"] == EVIL_SUBJECT


def test_json_lines_fields(logs):
    _emit_run()
    documents = [json.loads(line) for line in _lines(logs.directory / JSON_LINES_LOG)]
    assert [doc["event"] for doc in documents] == ["run_started", "profile_attempt", "recipient_outcome", "run_finished"]
    assert documents[2]["recipient"] == "user@example.com"
    assert documents[2]["mid"] == 100
    assert documents[2]["level"] == "INFO"
    assert documents[0]["time"].endswith("Z")


def test_secret_fields_redacted(logs):
    events.emit("error", "failed", profile="p", password="hunter2", access_token="eyJ", body="hello")
    text = (logs.directory / REMEDIATION_LOG).read_text() + (logs.directory / JSON_LINES_LOG).read_text()
    assert "hunter2" not in text
    assert "eyJ" not in text
    assert "hello" not in text
    assert text.count("<redacted>") == 6


def test_files_are_private(logs):
    _emit_run()
    for name in (MAIL_LOG, REMEDIATION_LOG, JSON_LINES_LOG):
        assert stat.S_IMODE((logs.directory / name).stat().st_mode) == 0o600


def test_rotation_by_size_and_count(tmp_path):
    installed = install_log_handlers(tmp_path, {"logs": {"max_bytes": 300, "backups": 2}})
    try:
        for number in range(40):
            events.emit("recipient_outcome", "outcome", run_id="r", recipient=f"user{number}@example.com", status="success")
    finally:
        installed.close()
    names = sorted(path.name for path in installed.directory.glob("mail.log*"))
    assert names == ["mail.log", "mail.log.1", "mail.log.2"]
    assert stat.S_IMODE((installed.directory / "mail.log.1").stat().st_mode) == 0o600
    assert "user39@example.com" in (installed.directory / "mail.log").read_text()


def test_install_twice_writes_once(tmp_path):
    install_log_handlers(tmp_path, None)
    installed = install_log_handlers(tmp_path, None)
    try:
        events.emit("run_started", "run started", run_id="r2")
    finally:
        installed.close()
    assert len(_lines(installed.directory / MAIL_LOG)) == 1
    assert logging.getLogger("mar.events").handlers == []


def test_syslog_over_udp(tmp_path):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    installed = install_log_handlers(tmp_path, {"logs": {"syslog": f"udp://127.0.0.1:{port}"}})
    try:
        events.emit("run_started", "run started", run_id="r3", subject="a\nb")
        datagram = receiver.recv(65535).decode("utf-8")
    finally:
        installed.close()
        receiver.close()
    assert datagram.startswith("<22>mar: ")
    assert datagram.endswith(' run_started run_id=r3 subject=a\\nb\x00')


def test_bad_syslog_address_skipped(tmp_path, caplog):
    installed = install_log_handlers(tmp_path, {"logs": {"syslog": "http://x"}})
    handler_types = [type(handler).__name__ for handler in installed.handlers]
    installed.close()
    assert handler_types == ["PrivateRotatingFileHandler"] * 3
    assert "syslog handler not installed for address 'http://x': invalid syslog address 'http://x'" in caplog.text


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("/dev/log", ("/dev/log", socket.SOCK_DGRAM)),
        ("127.0.0.1:5514", (("127.0.0.1", 5514), socket.SOCK_DGRAM)),
        ("tcp://log.example.net:601", (("log.example.net", 601), socket.SOCK_STREAM)),
        ("[::1]:514", (("::1", 514), socket.SOCK_DGRAM)),
        ("loghost", (("loghost", 514), socket.SOCK_DGRAM)),
    ],
)
def test_syslog_address_forms(address, expected):
    assert parse_syslog_address(address) == expected


def test_syslog_bad_port():
    with pytest.raises(ValueError, match=r"^invalid syslog address 'h:99999': use host:port with a port from 1 to 65535$"):
        parse_syslog_address("h:99999")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("a b", '"a b"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("", '""'),
        (None, "-"),
        ("-", '"-"'),
        (True, "true"),
        (["p1", "p2"], "p1,p2"),
        ("件名", "件名"),
        ("back\\slash", "back\\\\slash"),
        ("\u202eevil", "\\u202eevil"),
        ("\x7f", "\\x7f"),
    ],
)
def test_format_value(value, expected):
    assert format_value(value) == expected


def test_escape_text_one_line():
    assert escape_text("a\r\nb\x1b[0m\x85c") == "a\\r\\nb\\x1b[0m\\u0085c"
