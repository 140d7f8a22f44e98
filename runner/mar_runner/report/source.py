"""Read outcomes and deliveries from the state database for reports and tracking."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from mar_runner.engine.store import OutcomeStore, message_ref
from mar_runner.tracking.index import TrackingIndex
from mar_runner.tracking.model import Delivery


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def delivery_summary(delivery: Delivery) -> dict[str, Any]:
    """Return the fields of a delivery that reports and tracking show."""
    return {
        "message_key": delivery.message_key,
        "message_id": delivery.message_id,
        "mids": [str(mid) for mid in delivery.mids],
        "subject": delivery.subject,
        "sender": delivery.sender,
        "received_at": _iso(delivery.received_at),
        "attachments": [{"name": item.name, "sha256": item.sha256} for item in delivery.attachments],
        "recipients": [
            {
                "address": recipient.address,
                "mid": recipient.mid,
                "policy": recipient.policy,
                "status": recipient.status,
                "delivered_at": _iso(recipient.delivered_at),
            }
            for recipient in delivery.recipients
        ],
    }


def query_outcomes(conn: sqlite3.Connection, **criteria: Any) -> list[dict[str, Any]]:
    """Return stored outcomes matching ``criteria`` (see ``OutcomeStore.query``)."""
    return OutcomeStore(conn).query(**criteria)


def deliveries_for(conn: sqlite3.Connection, sha256s: set[str]) -> dict[str, Mapping[str, Any]]:
    """Return the deliveries carrying any of ``sha256s``, keyed by the engine's message reference."""
    index = TrackingIndex(conn)
    found: dict[str, Mapping[str, Any]] = {}
    for sha256 in sorted(sha256s):
        for delivery in index.deliveries_by_sha256(sha256):
            found[message_ref(delivery.message_id, delivery.message_key)] = delivery_summary(delivery)
    return found


_VERDICT_NOTES = """
SELECT v.sha256, v.verdict, v.file_name, v.source, v.observed_at, v.first_seen,
       EXISTS (SELECT 1 FROM eng_outcomes o WHERE o.sha256 = v.sha256) AS has_outcomes,
       EXISTS (SELECT 1 FROM eng_outcomes o WHERE o.sha256 = v.sha256 AND o.status = 'success') AS remediated
FROM eng_verdicts v
"""


def verdict_notes(
    conn: sqlite3.Connection, *, since: str | None = None, until: str | None = None, sha256: str | None = None
) -> list[dict[str, Any]]:
    """Return the verdicts a report must mention although no recipient row shows them.

    A malicious verdict that found no delivery gets ``no_delivery_found``; a
    clean verdict for a file with remediated recipients gets
    ``clean_after_remediation``. The period applies to the time the engine
    first handled the verdict. Reads the engine's ``eng_verdicts`` table,
    which stores the verdicts of every replay that was not a dry run.
    """
    clauses: list[str] = []
    params: list[Any] = []
    if since:
        clauses.append("v.first_seen >= ?")
        params.append(since)
    if until:
        clauses.append("v.first_seen < ?")
        params.append(until)
    if sha256:
        clauses.append("v.sha256 = ?")
        params.append(sha256.lower())
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    OutcomeStore(conn)  # creates the engine's tables in a state without any replay
    notes: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for row in conn.execute(_VERDICT_NOTES + where + " ORDER BY v.first_seen", params):
        if row["verdict"] == "malicious" and not row["has_outcomes"]:
            code = "no_delivery_found"
        elif row["verdict"] == "clean" and row["remediated"]:
            code = "clean_after_remediation"
        else:
            continue
        if (row["sha256"], code) in seen:
            continue
        seen.add((row["sha256"], code))
        notes.append(
            {
                "sha256": row["sha256"],
                "code": code,
                "file_name": row["file_name"],
                "verdict_source": row["source"],
                "verdict_time": row["observed_at"],
            }
        )
    return notes
