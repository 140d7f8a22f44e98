"""The ledger and the outcome store, in the ``eng_`` tables of the state database.

The ledger is keyed by (SHA-256, message reference, recipient, action): the
message reference is the normalised Message-ID, or ``key:<message_key>`` for
a message without one. A row is ``in_progress`` from the moment an intent is
recorded until its result is; ``step`` and ``draft_id`` say how far a forward
got, so that a rerun after a crash finishes the work without sending twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any, Iterator

from mar_runner.engine.outcome import Outcome, utc_now

SCHEMA = """
CREATE TABLE IF NOT EXISTS eng_verdicts (
    verdict_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    verdict TEXT NOT NULL,
    previous_verdict TEXT,
    file_name TEXT,
    threat_name TEXT,
    observed_at TEXT,
    source TEXT,
    origin TEXT,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS eng_ledger (
    sha256 TEXT NOT NULL,
    message_ref TEXT NOT NULL,
    recipient TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    step TEXT NOT NULL,
    reason TEXT,
    profile TEXT,
    draft_id TEXT,
    draft_profile TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (sha256, message_ref, recipient, action)
);
CREATE TABLE IF NOT EXISTS eng_outcomes (
    verdict_id TEXT NOT NULL,
    message_ref TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    message_id TEXT,
    mids TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    run_id TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    record TEXT NOT NULL,
    PRIMARY KEY (verdict_id, message_ref, recipient)
);
CREATE INDEX IF NOT EXISTS eng_outcomes_sha256 ON eng_outcomes (sha256);
CREATE INDEX IF NOT EXISTS eng_outcomes_recipient ON eng_outcomes (recipient);
CREATE INDEX IF NOT EXISTS eng_outcomes_finished ON eng_outcomes (finished_at);
CREATE TABLE IF NOT EXISTS eng_runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    dry_run INTEGER NOT NULL,
    counters TEXT
);
"""

FINAL = ("success", "failed", "skipped")


def message_ref(message_id: str | None, message_key: str | None) -> str:
    """Return the ledger's reference to a message: its Message-ID, else its tracking key."""
    if message_id:
        return message_id
    return f"key:{message_key}"


@dataclass(frozen=True)
class LedgerKey:
    """The identity of one remediation: file, message, recipient and action."""

    sha256: str
    message_ref: str
    recipient: str
    action: str


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row."""

    key: LedgerKey
    status: str
    step: str
    reason: str | None
    profile: str | None
    draft_id: str | None
    draft_profile: str | None
    updated_at: str


def create_tables(conn: sqlite3.Connection) -> None:
    """Create the engine's tables when they are missing."""
    conn.executescript(SCHEMA)


class Ledger:
    """Read and write ledger rows; safe to share between worker threads."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock | None = None) -> None:
        self.conn = conn
        self.lock = lock or threading.Lock()
        with self.lock:
            create_tables(conn)

    def get(self, key: LedgerKey) -> LedgerEntry | None:
        """Return the row of ``key``, or None."""
        with self.lock:
            row = self.conn.execute(
                "SELECT * FROM eng_ledger WHERE sha256=? AND message_ref=? AND recipient=? AND action=?",
                (key.sha256, key.message_ref, key.recipient, key.action),
            ).fetchone()
        if row is None:
            return None
        return LedgerEntry(
            key=key,
            status=row["status"],
            step=row["step"],
            reason=row["reason"],
            profile=row["profile"],
            draft_id=row["draft_id"],
            draft_profile=row["draft_profile"],
            updated_at=row["updated_at"],
        )

    def record(
        self,
        key: LedgerKey,
        *,
        status: str,
        step: str,
        reason: str | None = None,
        profile: str | None = None,
        draft_id: str | None = None,
        draft_profile: str | None = None,
    ) -> None:
        """Write the row of ``key`` and commit at once (each step must survive a crash).

        A recorded draft id and its profile are kept when ``draft_id`` is None.
        """
        with self.lock:
            self.conn.execute(
                "INSERT INTO eng_ledger "
                "(sha256, message_ref, recipient, action, status, step, reason, profile, "
                "draft_id, draft_profile, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (sha256, message_ref, recipient, action) DO UPDATE SET "
                "status=excluded.status, step=excluded.step, reason=excluded.reason, profile=excluded.profile, "
                "draft_id=COALESCE(excluded.draft_id, eng_ledger.draft_id), "
                "draft_profile=COALESCE(excluded.draft_profile, eng_ledger.draft_profile), "
                "updated_at=excluded.updated_at",
                (
                    key.sha256,
                    key.message_ref,
                    key.recipient,
                    key.action,
                    status,
                    step,
                    reason,
                    profile,
                    draft_id,
                    draft_profile,
                    utc_now(),
                ),
            )

    def remediated(self, sha256: str) -> list[LedgerEntry]:
        """Return the successful rows for ``sha256`` (used when a clean verdict arrives)."""
        with self.lock:
            rows = self.conn.execute(
                "SELECT * FROM eng_ledger WHERE sha256=? AND status='success'", (sha256,)
            ).fetchall()
        return [
            LedgerEntry(
                key=LedgerKey(row["sha256"], row["message_ref"], row["recipient"], row["action"]),
                status=row["status"],
                step=row["step"],
                reason=row["reason"],
                profile=row["profile"],
                draft_id=row["draft_id"],
                draft_profile=row["draft_profile"],
                updated_at=row["updated_at"],
            )
            for row in rows
        ]


class OutcomeStore:
    """Store outcomes and read them back for reports and message tracking."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock | None = None) -> None:
        self.conn = conn
        self.lock = lock or threading.Lock()
        with self.lock:
            create_tables(conn)

    def save_verdict(self, verdict: Any) -> None:
        """Record a verdict once (its first sighting wins), for the report's columns."""
        observed = getattr(verdict, "observed_at", None)
        with self.lock:
            self.conn.execute(
                "INSERT OR IGNORE INTO eng_verdicts (verdict_id, sha256, verdict, previous_verdict, "
                "file_name, threat_name, observed_at, source, origin, first_seen) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    verdict.verdict_id,
                    verdict.sha256,
                    verdict.verdict,
                    getattr(verdict, "previous_verdict", None),
                    getattr(verdict, "file_name", None),
                    getattr(verdict, "threat_name", None),
                    observed.isoformat() if observed is not None else None,
                    getattr(verdict, "source", None),
                    getattr(verdict, "origin", None),
                    utc_now(),
                ),
            )

    def save(self, outcome: Outcome, run_id: str | None = None) -> None:
        """Insert or replace the outcome of (verdict, message, recipient)."""
        record = outcome.to_dict()
        record["run_id"] = run_id
        with self.lock:
            self.conn.execute(
                "INSERT OR REPLACE INTO eng_outcomes (verdict_id, message_ref, recipient, sha256, "
                "message_id, mids, status, reason, run_id, started_at, finished_at, record) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    outcome.verdict_id,
                    message_ref(outcome.message_id, outcome.message_key),
                    outcome.recipient,
                    outcome.sha256,
                    outcome.message_id,
                    json.dumps(outcome.mids),
                    outcome.status,
                    outcome.reason,
                    run_id,
                    outcome.started_at,
                    outcome.finished_at,
                    json.dumps(record, sort_keys=True),
                ),
            )

    def get(self, verdict_id: str, ref: str, recipient: str) -> dict[str, Any] | None:
        """Return one stored outcome, or None."""
        with self.lock:
            row = self.conn.execute(
                "SELECT record FROM eng_outcomes WHERE verdict_id=? AND message_ref=? AND recipient=?",
                (verdict_id, ref, recipient),
            ).fetchone()
        return json.loads(row["record"]) if row else None

    def query(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        sha256: str | None = None,
        recipient: str | None = None,
        mid: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Return stored outcomes, oldest first, with the verdict's source, time and file name.

        ``since`` and ``until`` are ISO 8601 UTC times compared with the
        outcome's start time (``since`` inclusive, ``until`` exclusive).
        """
        clauses: list[str] = []
        params: list[Any] = []
        if since:
            clauses.append("o.started_at >= ?")
            params.append(since)
        if until:
            clauses.append("o.started_at < ?")
            params.append(until)
        if sha256:
            clauses.append("o.sha256 = ?")
            params.append(sha256.lower())
        if recipient:
            clauses.append("o.recipient = ?")
            params.append(recipient.lower())
        if message_id:
            clauses.append("o.message_id = ?")
            params.append(message_id)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            "SELECT o.record, v.source, v.observed_at, v.file_name, v.verdict "
            "FROM eng_outcomes o LEFT JOIN eng_verdicts v ON v.verdict_id = o.verdict_id "
            f"{where} ORDER BY o.started_at, o.recipient"
        )
        with self.lock:
            rows = self.conn.execute(sql, params).fetchall()
        results: list[dict[str, Any]] = []
        for row in rows:
            record = json.loads(row["record"])
            if mid and str(mid) not in record.get("mids", []):
                continue
            record["verdict_source"] = row["source"]
            record["verdict_time"] = row["observed_at"]
            record["file_name"] = row["file_name"]
            results.append(record)
        return results

    def iter_all(self) -> Iterator[dict[str, Any]]:
        """Yield every stored outcome."""
        yield from self.query()

    def start_run(self, run_id: str, dry_run: bool) -> None:
        """Record the start of a run."""
        with self.lock:
            self.conn.execute(
                "INSERT INTO eng_runs (run_id, started_at, dry_run) VALUES (?,?,?)",
                (run_id, utc_now(), int(dry_run)),
            )

    def finish_run(self, run_id: str, counters: dict[str, int]) -> None:
        """Record the end of a run with its counters."""
        with self.lock:
            self.conn.execute(
                "UPDATE eng_runs SET finished_at=?, counters=? WHERE run_id=?",
                (utc_now(), json.dumps(counters, sort_keys=True), run_id),
            )
