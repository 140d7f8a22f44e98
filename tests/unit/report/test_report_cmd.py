"""marctl report: option errors, a missing state, and the output file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mar_runner.engine.outcome import Outcome
from mar_runner.engine.store import OutcomeStore
from mar_runner.report.period import parse_time
from mar_runner.state import open_db

from .samples import SHA_EVIL


def marctl(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "mar_runner.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )


@pytest.fixture
def stored(tmp_path):
    state = tmp_path / "state"
    conn = open_db(state)
    try:
        outcome = Outcome(verdict_id="v1", sha256=SHA_EVIL, recipient="a@example.com", message_id="<m@example.com>", action="delete")
        outcome.profile = "graph-main"
        outcome.finish("success")
        OutcomeStore(conn).save(outcome, run_id="r1")
    finally:
        conn.close()
    return state


def test_invalid_since(stored):
    completed = marctl("--state-dir", str(stored), "report", "--since", "yesterday")
    assert completed.returncode == 2
    assert completed.stderr == (
        "Invalid --since value 'yesterday': use an ISO 8601 time such as 2026-12-04T09:00:00Z, "
        "a date such as 2026-12-04, or a duration back from now such as 24h or 7d.\n"
    )


def test_invalid_sha256(stored):
    completed = marctl("--state-dir", str(stored), "report", "--sha256", "abc")
    assert completed.returncode == 2
    assert completed.stderr == "Invalid --sha256 value 'abc': give the file's SHA-256 as 64 hexadecimal digits.\n"


def test_empty_period(stored):
    completed = marctl("--state-dir", str(stored), "report", "--since", "2026-12-05", "--until", "2026-12-04")
    assert completed.returncode == 2
    assert completed.stderr == (
        "The period is empty: --since 2026-12-05T00:00:00.000Z is not before --until 2026-12-04T00:00:00.000Z.\n"
    )


def test_missing_state(tmp_path):
    completed = marctl("--state-dir", str(tmp_path / "none"), "report")
    assert completed.returncode == 1
    assert completed.stderr == (
        f"No state database in {tmp_path / 'none'}: apply a configuration and run marctl replay first, "
        "or pass --state-dir.\n"
    )
    assert not (tmp_path / "none").exists()


def test_error_in_japanese(stored):
    completed = marctl("--state-dir", str(stored), "report", "--lang", "ja", "--sha256", "abc")
    assert completed.stderr == "--sha256 の値 'abc' は無効です。ファイルの SHA-256 を 16 進数 64 桁で指定してください。\n"


def test_output_file_private(stored, tmp_path):
    output = tmp_path / "out.json"
    completed = marctl("--state-dir", str(stored), "report", "--format", "json", "--output", str(output))
    assert completed.returncode == 0
    assert completed.stdout == ""
    assert json.loads(output.read_text())["counters"]["deleted"] == 1
    assert (output.stat().st_mode & 0o777) == 0o600


def test_output_directory_missing(stored, tmp_path):
    target = tmp_path / "missing" / "out.csv"
    completed = marctl("--state-dir", str(stored), "report", "--format", "csv", "--output", str(target))
    assert completed.returncode == 1
    assert completed.stderr == (
        f"Cannot write {target}: No such file or directory. Choose a writable file for --output.\n"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-04", "2026-12-04T00:00:00.000Z"),
        ("2026-12-04T09:30:00Z", "2026-12-04T09:30:00.000Z"),
        ("2026-12-04T18:30:00+09:00", "2026-12-04T09:30:00.000Z"),
    ],
)
def test_period_forms(value, expected):
    assert parse_time(value) == expected


def test_relative_period():
    from datetime import datetime, timezone

    now = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
    assert parse_time("24h", now) == "2026-12-03T12:00:00.000Z"
    assert parse_time("7d", now) == "2026-11-27T12:00:00.000Z"
