"""Bad lines are counted and reported with file, line and reason; good lines around them still count."""

from __future__ import annotations

from datetime import datetime, timezone

from mar_runner.tracking import TrackingIndex, import_paths
from mar_runner.tracking import importer

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=timezone.utc)
HEAD = (
    b"Wed Feb 14 12:11:40 2007 Info: Start MID 9 ICID 5\n"
    b"Wed Feb 14 12:11:40 2007 Info: MID 9 ICID 5 RID 0 To: <a@example.com>\n"
)
TAIL = (
    b"Wed Feb 14 12:11:43 2007 Info: Message done DCID 8 MID 9 to RID [0]\n"
    b"Wed Feb 14 12:11:43 2007 Info: Message finished MID 9 done\n"
)


def _import(conn, tmp_path, middle: bytes, name="bad.log"):
    path = tmp_path / name
    path.write_bytes(HEAD + middle + TAIL)
    return path, import_paths(conn, [path], now=NOW)


def test_binary_line_reported(tracking_conn, tmp_path):
    path, summary = _import(tracking_conn, tmp_path, b"\x00\x01\x02garbage\n")
    assert [(p.path, p.line, p.reason) for p in summary.problems] == [
        (str(path), 3, "binary data (NUL byte) in a text log line")
    ]
    [delivery] = TrackingIndex(tracking_conn).lookup(mid=9)
    assert delivery.recipients[0].status == "delivered"


def test_invalid_utf8_reported(tracking_conn, tmp_path):
    _path, summary = _import(tracking_conn, tmp_path, b"Wed Feb 14 12:11:41 2007 Info: MID 9 Subject '\xff\xfe'\n")
    assert [(p.line, p.reason) for p in summary.problems] == [(3, "not UTF-8 text (invalid byte at column 47)")]


def test_overlong_line_skipped(tracking_conn, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_LINE_BYTES", 1000)
    _path, summary = _import(tracking_conn, tmp_path, b"Wed Feb 14 12:11:41 2007 Info: MID 9 Subject '" + b"x" * 5000 + b"'\n")
    assert [(p.line, p.reason) for p in summary.problems] == [(3, "line longer than 1000 bytes")]
    assert summary.files[0].last_line == 5
    assert TrackingIndex(tracking_conn).lookup(mid=9)[0].recipients[0].status == "delivered"


def test_truncated_delivery_line_reported(tracking_conn, tmp_path):
    _path, summary = _import(tracking_conn, tmp_path, b"Wed Feb 14 12:11:42 2007 Info: Message done DCID 8 MID 9 to RID [0,\n")
    assert [(p.line, p.reason) for p in summary.problems] == [
        (3, "malformed line: Message done DCID 8 MID 9 to RID [0,")
    ]


def test_line_without_level_reported(tracking_conn, tmp_path):
    _path, summary = _import(tracking_conn, tmp_path, b"this is not a log line\n")
    assert [(p.line, p.reason) for p in summary.problems] == [
        (3, "not an AsyncOS log line: no log level such as 'Info:' found")
    ]


def test_bad_timestamp_reported(tracking_conn, tmp_path):
    _path, summary = _import(tracking_conn, tmp_path, b"Someday 99 Info: MID 9 Subject 'x'\n")
    assert [(p.line, p.reason) for p in summary.problems] == [
        (3, "unrecognised timestamp 'Someday 99' before the log level")
    ]


def test_invalid_mid_reported(tracking_conn, tmp_path):
    _path, summary = _import(tracking_conn, tmp_path, b"Wed Feb 14 12:11:41 2007 Info: MID 9x Subject 'x'\n")
    assert [(p.line, p.reason) for p in summary.problems] == [(3, "invalid MID '9x': a MID is a whole number")]


def test_incomplete_last_line_held_back(tracking_conn, tmp_path):
    path = tmp_path / "live.log"
    path.write_bytes(HEAD + b"Wed Feb 14 12:11:43 2007 Info: Message done DCID 8 MID 9 to RID [0")
    summary = import_paths(tracking_conn, [path], now=NOW)
    assert summary.files[0].held_back
    assert [(p.line, p.reason) for p in summary.problems] == [
        (
            3,
            "incomplete last line (no line end): malformed line: Message done DCID 8 MID 9 to RID [0; "
            "it is read again by the next import",
        )
    ]
    with path.open("ab") as handle:
        handle.write(b"]\n" + TAIL[len(b"Wed Feb 14 12:11:43 2007 Info: Message done DCID 8 MID 9 to RID [0]\n") :])
    summary = import_paths(tracking_conn, [path], now=NOW)
    assert summary.problem_count == 0
    [delivery] = TrackingIndex(tracking_conn).lookup(mid=9)
    assert delivery.recipients[0].status == "delivered"


def test_complete_last_line_without_newline_read(tracking_conn, tmp_path):
    path = tmp_path / "no-eol.log"
    path.write_bytes(HEAD + TAIL.rstrip(b"\n"))
    summary = import_paths(tracking_conn, [path], now=NOW)
    assert summary.problem_count == 0
    assert summary.files[0].last_line == 4


def test_problems_kept_up_to_limit(tracking_conn, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_KEPT_PROBLEMS", 3)
    _path, summary = _import(tracking_conn, tmp_path, b"bad\n" * 10)
    assert summary.problem_count == 10
    assert len(summary.problems) == 3


def test_jsonl_bad_json_reported(tracking_conn, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"mids": [1], "recipients": [{"address": "a@example.com"}]}\n{"mids": [2],\n')
    summary = import_paths(tracking_conn, [path], fmt="jsonl", now=NOW)
    assert [(p.line, p.reason) for p in summary.problems] == [(2, "not valid JSON: Expecting property name enclosed in double quotes")]
    assert len(TrackingIndex(tracking_conn).lookup(mid=1)) == 1


def test_import_inside_transaction_rejected(tracking_conn, tmp_path):
    import pytest

    tracking_conn.execute("BEGIN")
    try:
        with pytest.raises(RuntimeError, match="not inside a transaction"):
            import_paths(tracking_conn, [tmp_path / "x.log"])
    finally:
        tracking_conn.execute("ROLLBACK")
