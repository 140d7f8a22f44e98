"""An import killed with SIGKILL half-way and run again gives the same index as one clean import."""

from __future__ import annotations

import importlib.util
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mar_runner.state import open_db
from tests.unit.tracking.test_incremental import dump

BENCH = Path(__file__).parents[3] / "bench" / "ingest.py"


def _generator():
    spec = importlib.util.spec_from_file_location("bench_ingest", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _import(state_dir, log):
    return subprocess.Popen(
        [sys.executable, "-m", "mar_runner.cli.main", "--state-dir", str(state_dir), "import", "--no-progress", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _committed_offset(state_dir) -> int:
    try:
        conn = sqlite3.connect(f"file:{state_dir / 'mar.db'}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute("SELECT max(offset) FROM trk_files").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return row[0] or 0


@pytest.mark.slow
def test_sigkill_then_rerun_matches_clean_import(tmp_path):
    log = tmp_path / "mail.log"
    _generator().generate(log, 12 << 20, seed=7)
    killed_state = tmp_path / "killed"
    process = _import(killed_state, log)
    deadline = time.monotonic() + 60
    while _committed_offset(killed_state) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    offset_at_kill = _committed_offset(killed_state)
    assert 0 < offset_at_kill < log.stat().st_size, "the import was not stopped half-way"

    rerun = _import(killed_state, log)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert "continued from the last import" in out

    clean_state = tmp_path / "clean"
    clean = _import(clean_state, log)
    _out, err = clean.communicate(timeout=300)
    assert clean.returncode == 0, err

    killed_conn, clean_conn = open_db(killed_state), open_db(clean_state)
    try:
        assert dump(killed_conn) == dump(clean_conn)
        assert len(dump(clean_conn)["messages"]) > 1000
    finally:
        killed_conn.close()
        clean_conn.close()
