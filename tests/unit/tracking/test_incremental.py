"""Incremental imports: nothing added twice, rotation recognised, a crash half-way leaves a consistent index."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mar_runner.state import open_db
from mar_runner.tracking import TrackingIndex, import_paths
from mar_runner.tracking import importer

LOGS = Path(__file__).parents[2] / "fixtures" / "logs"
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=timezone.utc)
TABLES = ("trk_messages", "trk_mids", "trk_recipients", "trk_attachments", "trk_pending_files")


def dump(conn) -> dict[str, list]:
    """Return the index content without row ids, so two imports can be compared."""
    return {
        "messages": sorted(
            tuple(r) for r in conn.execute(
                "SELECT message_key, source, message_id, message_id_raw, sender, subject, received_at, complete FROM trk_messages"
            )
        ),
        "mids": sorted(
            tuple(r) for r in conn.execute("SELECT m.message_key, t.mid FROM trk_mids t JOIN trk_messages m ON m.id = t.message")
        ),
        "recipients": sorted(
            tuple(r)
            for r in conn.execute(
                "SELECT m.message_key, r.mid, r.address, r.rid, r.policy, r.status, r.delivered_at "
                "FROM trk_recipients r JOIN trk_messages m ON m.id = r.message"
            )
        ),
        "attachments": sorted(
            tuple(r)
            for r in conn.execute(
                "SELECT m.message_key, a.name, a.sha256 FROM trk_attachments a JOIN trk_messages m ON m.id = a.message"
            )
        ),
        "pending": sorted(tuple(r) for r in conn.execute("SELECT mid, name, sha256 FROM trk_pending_files")),
    }


ALL_LOGS = ["mail_native.log", "mail_syslog.log", "amp.log", "mail_for_amp.log", "consolidated.log", "tracking.jsonl"]


def _copy_logs(tmp_path):
    paths = []
    for name in ALL_LOGS:
        target = tmp_path / name
        shutil.copy(LOGS / name, target)
        paths.append(target)
    return paths


def test_second_import_adds_nothing(tracking_conn, tmp_path):
    paths = _copy_logs(tmp_path)
    import_paths(tracking_conn, paths, now=NOW)
    before = dump(tracking_conn)
    summary = import_paths(tracking_conn, paths, now=NOW)
    assert summary.lines_read == 0
    assert summary.messages_written == 0
    assert dump(tracking_conn) == before


def test_reimport_of_copy_changes_nothing(tracking_conn, tmp_path):
    paths = _copy_logs(tmp_path)
    import_paths(tracking_conn, paths, now=NOW)
    before = dump(tracking_conn)
    copies = tmp_path / "copies"
    copies.mkdir()
    for path in paths:
        shutil.copy(path, copies / path.name)
    summary = import_paths(tracking_conn, sorted(copies.iterdir()), now=NOW)
    assert summary.lines_read == 0
    assert dump(tracking_conn) == before


def test_appended_lines_resume(tracking_conn, tmp_path):
    lines = (LOGS / "mail_native.log").read_text().splitlines(keepends=True)
    path = tmp_path / "mail.log"
    path.write_text("".join(lines[:30]))
    first = import_paths(tracking_conn, [path], now=NOW)
    with path.open("a") as handle:
        handle.write("".join(lines[30:]))
    second = import_paths(tracking_conn, [path], now=NOW)
    assert second.files[0].resumed
    assert second.files[0].first_line == 30
    assert first.lines_read + second.lines_read == len(lines)

    other = open_db(tmp_path / "clean")
    import_paths(other, [LOGS / "mail_native.log"], now=NOW)
    assert dump(tracking_conn) == dump(other)


def test_renamed_file_recognised(tracking_conn, tmp_path):
    lines = (LOGS / "mail_native.log").read_text().splitlines(keepends=True)
    path = tmp_path / "mail.log"
    path.write_text("".join(lines[:40]))
    import_paths(tracking_conn, [path], now=NOW)
    with path.open("a") as handle:
        handle.write("".join(lines[40:60]))
    rotated = tmp_path / "mail.log.1"
    os.rename(path, rotated)
    path.write_text("".join(lines[60:]))
    summary = import_paths(tracking_conn, [rotated, path], now=NOW)
    assert [(f.resumed, f.first_line, f.last_line) for f in summary.files] == [(True, 40, 60), (False, 0, len(lines) - 60)]

    other = open_db(tmp_path / "clean")
    import_paths(other, [LOGS / "mail_native.log"], now=NOW)
    assert dump(tracking_conn) == dump(other)


def test_copy_truncate_rotation(tracking_conn, tmp_path):
    lines = (LOGS / "mail_native.log").read_text().splitlines(keepends=True)
    path = tmp_path / "mail.log"
    path.write_text("".join(lines[:50]))
    import_paths(tracking_conn, [path], now=NOW)
    rotated = tmp_path / "mail.log.1"
    shutil.copy(path, rotated)
    with rotated.open("a") as handle:
        handle.write("".join(lines[50:70]))
    path.write_text("".join(lines[70:]))
    summary = import_paths(tracking_conn, [rotated, path], now=NOW)
    assert [(f.resumed, f.first_line) for f in summary.files] == [(True, 50), (False, 0)]

    other = open_db(tmp_path / "clean")
    import_paths(other, [LOGS / "mail_native.log"], now=NOW)
    assert dump(tracking_conn) == dump(other)


class Crash(Exception):
    """Stands in for the process dying between two commits."""


@pytest.mark.parametrize("crash_after", [1, 3, 7])
def test_crash_half_way_then_rerun(tracking_conn, tmp_path, monkeypatch, crash_after):
    paths = _copy_logs(tmp_path)
    monkeypatch.setattr(importer, "BATCH_LINES", 5)
    commits = 0
    original = importer._Run.commit

    def crashing_commit(self, state, reader):
        nonlocal commits
        commits += 1
        if commits > crash_after:
            raise Crash()
        original(self, state, reader)

    monkeypatch.setattr(importer._Run, "commit", crashing_commit)
    with pytest.raises(Crash):
        import_paths(tracking_conn, paths, now=NOW)
    monkeypatch.setattr(importer._Run, "commit", original)
    import_paths(tracking_conn, paths, now=NOW)

    other = open_db(tmp_path / "clean")
    import_paths(other, paths, now=NOW)
    assert dump(tracking_conn) == dump(other)
    assert dump(other)["messages"]


def test_index_readable_after_crash(tracking_conn, tmp_path, monkeypatch):
    paths = _copy_logs(tmp_path)
    monkeypatch.setattr(importer, "BATCH_LINES", 10)
    calls = 0
    original = importer._Run.commit

    def crashing_commit(self, state, reader):
        nonlocal calls
        calls += 1
        if calls == 5:
            raise Crash()
        original(self, state, reader)

    monkeypatch.setattr(importer._Run, "commit", crashing_commit)
    with pytest.raises(Crash):
        import_paths(tracking_conn, paths, now=NOW)
    assert not tracking_conn.in_transaction
    offsets = [r[0] for r in tracking_conn.execute("SELECT line_no FROM trk_files")]
    assert offsets and all(n % 10 == 0 for n in offsets)
    assert TrackingIndex(tracking_conn).count_messages() >= 1


def test_truncated_file_read_from_start(tracking_conn, tmp_path):
    lines = (LOGS / "mail_native.log").read_text().splitlines(keepends=True)
    path = tmp_path / "mail.log"
    path.write_text("".join(lines[:50]))
    import_paths(tracking_conn, [path], now=NOW)
    path.write_text("".join(lines[60:70]))
    summary = import_paths(tracking_conn, [path], now=NOW)
    assert [(f.resumed, f.first_line, f.last_line) for f in summary.files] == [(False, 0, 10)]


def test_gzip_rotated_file_read(tracking_conn, tmp_path):
    import gzip

    lines = (LOGS / "mail_native.log").read_bytes()
    path = tmp_path / "mail.log.1.gz"
    path.write_bytes(gzip.compress(lines))
    summary = import_paths(tracking_conn, [path], now=NOW)
    assert summary.problem_count == 0
    assert summary.files[0].format == "asyncos"
    other = open_db(tmp_path / "clean")
    import_paths(other, [LOGS / "mail_native.log"], now=NOW)
    assert dump(tracking_conn) == dump(other)
    again = import_paths(tracking_conn, [path], now=NOW)
    assert again.lines_read == 0


def test_truncated_gzip_reported(tracking_conn, tmp_path):
    import gzip

    data = gzip.compress((LOGS / "mail_native.log").read_bytes())
    path = tmp_path / "mail.log.2.gz"
    path.write_bytes(data[: len(data) // 2])
    summary = import_paths(tracking_conn, [path], now=NOW)
    assert summary.problem_count == 1
    assert summary.problems[0].reason.startswith("compressed file is damaged or truncated (")


def test_concurrent_imports_read_each_line_once(tmp_path):
    import threading

    log = tmp_path / "mail.log"
    shutil.copy(LOGS / "mail_native.log", log)
    state = tmp_path / "state"
    open_db(state).close()
    summaries = []

    def run():
        conn = open_db(state)
        try:
            summaries.append(import_paths(conn, [log], now=NOW))
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(s.lines_read for s in summaries) == [0, 103]

    clean = open_db(tmp_path / "clean")
    import_paths(clean, [log], now=NOW)
    conn = open_db(state)
    try:
        assert dump(conn) == dump(clean)
    finally:
        conn.close()
