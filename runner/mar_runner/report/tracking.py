"""Message tracking with remediation: a delivery and every attempt made on it.

``track`` looks messages up by MID, Message-ID, recipient or SHA-256 in the
tracking index and joins each recipient's remediation attempts from the
stored outcomes. ``render_track`` prints the result as a table, JSON, CSV or
HTML, like the report. ``marctl track`` calls both.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from mar_runner.engine.store import OutcomeStore, message_ref
from mar_runner.i18n import current_language
from mar_runner.report.reasons import describe_reason
from mar_runner.report.source import delivery_summary
from mar_runner.tracking.index import TrackingIndex
from mar_runner.tracking.model import normalize_address


@dataclass
class AttemptLine:
    """One remediation step on one recipient's copy: a profile attempt or the final outcome."""

    recipient: str
    time: str | None
    profile: str | None
    action: str | None
    result: str
    reason: str | None
    reason_text: str | None
    verdict_id: str
    sha256: str


@dataclass
class TrackedMessage:
    """A message from the tracking index (or only known from outcomes) and its remediation."""

    message_ref: str
    delivery: dict[str, Any] | None
    attempts: list[AttemptLine] = field(default_factory=list)


@dataclass
class TrackResult:
    """The messages matching the search criteria, in the output language."""

    criteria: dict[str, str]
    lang: str
    messages: list[TrackedMessage]


def _attempt_lines(outcome: dict[str, Any], lang: str) -> list[AttemptLine]:
    def reason_text(code: str | None) -> str | None:
        described = describe_reason(code, lang)
        return described.text if described else None

    common = {"recipient": outcome["recipient"], "action": outcome.get("action"), "verdict_id": outcome["verdict_id"], "sha256": outcome["sha256"]}
    lines = [
        AttemptLine(
            time=attempt.get("time"),
            profile=attempt.get("profile"),
            result=attempt.get("result") or "",
            reason=attempt.get("reason"),
            reason_text=reason_text(attempt.get("reason")),
            **common,
        )
        for attempt in outcome.get("attempts") or []
    ]
    # Outcomes without a profile attempt (skipped, no profile mapped, still in
    # progress) and failures whose last attempt does not carry the final reason
    # get one line with the outcome itself.
    final_reason = outcome.get("reason")
    if not lines or outcome["status"] in ("skipped", "in_progress") or (lines[-1].reason != final_reason and final_reason):
        lines.append(
            AttemptLine(
                time=outcome.get("finished_at") or outcome.get("started_at"),
                profile=outcome.get("profile"),
                result=outcome["status"],
                reason=final_reason,
                reason_text=reason_text(final_reason),
                **common,
            )
        )
    return lines


def _outcomes_for(store: OutcomeStore, delivery: Any) -> list[dict[str, Any]]:
    if delivery.message_id:
        return store.query(message_id=delivery.message_id)
    found: list[dict[str, Any]] = []
    for mid in delivery.mids[:1]:
        found = [outcome for outcome in store.query(mid=str(mid)) if outcome.get("message_key") == delivery.message_key]
    return found


def track(
    conn: sqlite3.Connection,
    *,
    sha256: str | None = None,
    message_id: str | None = None,
    mid: int | None = None,
    recipient: str | None = None,
    lang: str | None = None,
) -> TrackResult:
    """Return the messages matching every criterion given, with their remediation attempts.

    Raises ValueError when no criterion is given.
    """
    criteria = {name: str(value) for name, value in (("sha256", sha256), ("message_id", message_id), ("mid", mid), ("recipient", recipient)) if value is not None}
    if not criteria:
        raise ValueError("track needs at least one of sha256, message_id, mid, recipient")
    language = lang or current_language()
    wanted_recipient = normalize_address(recipient) if recipient else None
    wanted_sha256 = sha256.lower() if sha256 else None
    store = OutcomeStore(conn)
    messages: dict[str, TrackedMessage] = {}

    for delivery in TrackingIndex(conn).lookup(sha256=wanted_sha256, message_id=message_id, mid=mid, recipient=wanted_recipient):
        ref = message_ref(delivery.message_id, delivery.message_key)
        tracked = messages.setdefault(ref, TrackedMessage(message_ref=ref, delivery=delivery_summary(delivery)))
        for outcome in _outcomes_for(store, delivery):
            tracked.attempts.extend(_attempt_lines(outcome, language))

    # Outcomes whose message is no longer in the tracking index are still shown.
    for outcome in store.query(sha256=wanted_sha256, message_id=message_id, recipient=wanted_recipient, mid=str(mid) if mid is not None else None):
        ref = message_ref(outcome.get("message_id"), outcome.get("message_key"))
        if ref in messages:
            continue
        tracked = messages.setdefault(ref, TrackedMessage(message_ref=ref, delivery=None))
        tracked.attempts.extend(_attempt_lines(outcome, language))

    for tracked in messages.values():
        if wanted_recipient:
            tracked.attempts = [line for line in tracked.attempts if line.recipient == wanted_recipient]
        if wanted_sha256:
            tracked.attempts = [line for line in tracked.attempts if line.sha256 == wanted_sha256]
        tracked.attempts.sort(key=lambda line: (line.recipient, line.time or ""))
    return TrackResult(criteria=criteria, lang=language, messages=list(messages.values()))
