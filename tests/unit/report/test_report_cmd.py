"""marctl report: option errors, a missing state, and the output file."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

# Ansible, which the config commands import, patches sys.stdout and sys.stderr
# when it is first imported; import it here, before any stream is redirected.
import mar_runner.config.sources  # noqa: F401, E402
from mar_runner.cli.main import main
from mar_runner.engine.outcome import Outcome
from mar_runner.i18n import set_language
from mar_runner.engine.store import OutcomeStore
from mar_runner.report.period import parse_time
from mar_runner.state import open_db

from .samples import SHA_EVIL


@dataclass
class Completed:
    """Exit code and output of one marctl run."""

    returncode: int
    stdout: str
    stderr: str


def marctl(*args):
    """Run marctl's main() in this process, as the child process would, and capture its output."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(args))
    set_language(None)
    return Completed(code, stdout.getvalue(), stderr.getvalue())


def marctl_process(*args):
    """Run marctl as a child process, the way an operator does."""
    return subprocess.run(
        [sys.executable, "-m", "mar_runner.cli.main", *args], capture_output=True, text=True, timeout=60, check=False
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
    completed = marctl_process("--state-dir", str(stored), "report", "--since", "yesterday")
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
    completed = marctl_process("--state-dir", str(stored), "report", "--format", "json", "--output", str(output))
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


def test_disabled_remediation_noted(stored):
    from mar_runner.config.store import ConfigStore

    ConfigStore(stored).apply(
        {
            "mar_settings": {"enabled": False, "max_attempts": 3, "cloud_timeout": 30, "onprem_timeout": 30, "lookback": "30d"},
            "mar_account_profiles": [],
            "mar_chained_profiles": [],
            "mar_domain_mappings": [],
            "mar_policies": [],
        }
    )
    completed = marctl("--state-dir", str(stored), "report")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[3] == "Note: Remediation is turned off in the settings (mar_settings.enabled is false)."
    assert lines[4] == "  Fix: Set mar_settings.enabled to true and apply the configuration."
    document = json.loads(marctl("--state-dir", str(stored), "report", "--format", "json").stdout)
    assert [notice["code"] for notice in document["notices"]] == ["remediation_disabled"]


def test_language_from_locale(stored, monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    completed = marctl("--state-dir", str(stored), "report")
    assert completed.returncode == 0
    assert completed.stdout.splitlines()[0].startswith("修復レポート 作成日時 ")


def test_lang_option_wins_over_locale(stored, monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    completed = marctl("--state-dir", str(stored), "report", "--lang", "en")
    assert completed.stdout.splitlines()[0].startswith("Remediation report generated ")


def test_unreadable_database(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "mar.db").write_bytes(b"this is not a SQLite database, just text long enough" * 40)
    completed = marctl("--state-dir", str(state), "report")
    assert completed.returncode == 1
    assert completed.stderr == (
        f"Cannot read the state database in {state}: file is not a database. "
        "Check that it is writable by this user and that no other program holds it.\n"
    )
