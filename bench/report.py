"""Time the remediation report for 10,000 recipients in every format.

Stores 10,000 outcomes (100 files with 100 recipients each, a mix of every
status and reason) in a fresh state database, then for each format measures
reading them back with OutcomeStore.query, building the report and
rendering it. Each format runs three times and the best wall time counts,
as timeit does, because other load on the machine then weighs less. The CPU
time of that run is printed beside it. Prints one line per format and exits 1
when any takes 2 s or more. Run: .venv/bin/python bench/report.py [--recipients N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from mar_runner.engine.outcome import Attempt, Outcome
from mar_runner.engine.store import OutcomeStore
from mar_runner.report import FORMATS, build_report, render
from mar_runner.state import open_db

LIMIT_SECONDS = 2.0
RUNS = 3
PER_FILE = 100
STATUSES = (
    ("success", None),
    ("success", None),
    ("success", None),
    ("failed", "permission_denied"),
    ("failed", "no_profile_mapped"),
    ("skipped", "policy_disabled"),
    ("in_progress", None),
)


def _outcome(index: int) -> Outcome:
    file_number = index // PER_FILE
    status, reason = STATUSES[index % len(STATUSES)]
    outcome = Outcome(
        verdict_id=f"v{file_number}",
        sha256=f"{file_number:064x}",
        recipient=f"user{index}@example.com",
        mids=[str(1000 + file_number)],
        message_id=f"<m{file_number}@example.net>",
        message_key=f"k{file_number}",
        policy="inbound",
        action=("delete", "forward", "forward_and_delete")[file_number % 3],
        profiles_tried=["ews-onprem", "graph-main"],
        attempts=[
            Attempt(profile="ews-onprem", time="2026-12-04T10:00:00.000Z", result="failed", reason="authentication_failed"),
            Attempt(profile="graph-main", time="2026-12-04T10:00:01.000Z", result="success" if status == "success" else "failed", reason=reason),
        ],
        started_at=f"2026-12-04T10:{index % 60:02d}:00.000Z",
    )
    if status != "in_progress":
        outcome.finish(status, reason)
    if status == "success":
        outcome.profile = "graph-main"
        outcome.copies = 1
    return outcome


def populate(state_dir: Path, recipients: int) -> None:
    """Store ``recipients`` outcomes in one transaction."""
    conn = open_db(state_dir)
    try:
        store = OutcomeStore(conn)
        conn.execute("BEGIN")
        for index in range(recipients):
            store.save(_outcome(index), run_id="bench")
        conn.execute("COMMIT")
    finally:
        conn.close()


def measure(state_dir: Path, fmt: str) -> tuple[float, float, int]:
    """Return the wall and CPU seconds to query, build and render one format, and the output size."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    conn = open_db(state_dir, create=False)
    try:
        outcomes = OutcomeStore(conn).query()
    finally:
        conn.close()
    text = render(build_report(outcomes, lang="en"), fmt)
    return time.perf_counter() - started, time.process_time() - cpu_started, len(text.encode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="number of recipient outcomes (default 10000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        state_dir = Path(folder) / "state"
        populate(state_dir, args.recipients)
        slow = False
        for fmt in FORMATS:
            seconds, cpu_seconds, size = min(measure(state_dir, fmt) for _run in range(RUNS))
            slow = slow or seconds >= LIMIT_SECONDS
            print(
                f"report {fmt:5} {args.recipients} recipients: {seconds:.2f} s wall, "
                f"{cpu_seconds:.2f} s CPU, {size / 1024:.0f} KiB"
            )
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
