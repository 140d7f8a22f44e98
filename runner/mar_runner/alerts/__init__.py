"""Alerts to administrators: a profile that cannot reach its mailboxes, and a
clean verdict after a remediation.

``dispatch_alert`` is the one entry point the engine calls. An alert of one
kind goes out at most once per profile (``profile_unreachable``) or per file
(``clean_after_remediation``) per ``mar_settings.alerts.interval``. The limit
is kept in the shared database, so every worker and replay shares it.
A sent alert is logged as an ``alert`` event and, when
``mar_settings.alerts.smtp`` is set, emailed through that relay. A relay that
fails is logged and never raises, so remediation goes on.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mar_runner import events
from mar_runner.alerts.message import compose
from mar_runner.alerts.ratelimit import AlertRateLimiter, parse_interval
from mar_runner.alerts.smtp import AlertDeliveryError, send_alert_email
from mar_runner.state import open_db

log = logging.getLogger(__name__)

KINDS = ("profile_unreachable", "clean_after_remediation")
_OWN_FIELDS = frozenset({"kind", "profile", "reason", "sha256", "suppressed_before", "restorable_count", "level"})


@dataclass(frozen=True)
class Alert:
    """One alert: its kind, level, the profile or file it concerns, and details."""

    kind: str
    level: str  # "info" for profile_unreachable, "warning" for clean_after_remediation
    profile: str | None = None
    reason: str | None = None
    sha256: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _subject_key(alert: Alert) -> str:
    if alert.kind == "profile_unreachable":
        return alert.profile or ""
    return alert.sha256 or ""


def _allowed(state_dir: Path | str | None, settings: dict[str, Any], alert: Alert, now: datetime | None) -> tuple[bool, int]:
    if state_dir is None:
        # Without a state directory there is nowhere to keep the limit.
        return True, 0
    try:
        interval = parse_interval((settings.get("alerts") or {}).get("interval"))
        conn = open_db(state_dir)
        try:
            decision = AlertRateLimiter(conn).check_and_record(alert.kind, _subject_key(alert), interval, now)
        finally:
            conn.close()
    except (sqlite3.Error, OSError, ValueError) as exc:
        # An alert must never stop remediation; without the stored limit it
        # is sent, because a missed alert costs more than a repeated one.
        log.error("alert rate limit not checked for %s profile=%s sha256=%s: %s", alert.kind, alert.profile, alert.sha256, exc)
        return True, 0
    return decision.send, decision.suppressed_before


def _restorable(state_dir: Path | str, sha256: str) -> list[dict[str, Any]]:
    """Return the recipients whose copy of the file was deleted or forwarded, from the stored outcomes."""
    from mar_runner.engine.store import OutcomeStore

    conn = open_db(state_dir)
    try:
        outcomes = OutcomeStore(conn).query(sha256=sha256)
    finally:
        conn.close()
    return [
        {
            "recipient": outcome["recipient"],
            "action": outcome.get("action"),
            "message_id": outcome.get("message_id"),
            "finished_at": outcome.get("finished_at"),
            "folders": outcome.get("folders") or [],
        }
        for outcome in outcomes
        if outcome.get("status") == "success" and not outcome.get("dry_run")
    ]


def _with_restorable(state_dir: Path | str | None, alert: Alert) -> Alert:
    # The engine may leave the list out, and the stored outcomes record what was done.
    if alert.kind != "clean_after_remediation" or "restorable" in alert.details or not alert.sha256 or state_dir is None:
        return alert
    details = dict(alert.details)
    try:
        details["restorable"] = _restorable(state_dir, alert.sha256)
    except (sqlite3.Error, OSError) as exc:
        log.error("restorable messages of sha256 %s not read: %s", alert.sha256, exc)
        return alert
    return replace(alert, details=details)


def _email(smtp: dict[str, Any], alert: Alert, suppressed_before: int) -> None:
    subject, body = compose(alert, suppressed_before)
    try:
        send_alert_email(smtp, subject, body)
    except AlertDeliveryError as exc:
        log.error("%s (alert %s profile=%s sha256=%s)", exc, alert.kind, alert.profile, alert.sha256)
        events.emit(
            "error",
            f"alert email failed: {exc}",
            level=logging.ERROR,
            kind="alert_delivery_failed",
            alert=alert.kind,
            profile=alert.profile,
            sha256=alert.sha256,
            error=str(exc),
        )


def dispatch_alert(
    state_dir: Path | str | None,
    settings: dict[str, Any] | None,
    alert: Alert,
    *,
    now: datetime | None = None,
) -> bool:
    """Log ``alert`` and email it when configured; return False when the interval suppressed it."""
    if alert.kind not in KINDS:
        raise ValueError(f"unknown alert kind {alert.kind!r}: use one of {', '.join(KINDS)}")
    settings = settings or {}
    send, suppressed_before = _allowed(state_dir, settings, alert, now)
    if not send:
        log.info("alert %s for profile=%s sha256=%s suppressed by the interval", alert.kind, alert.profile, alert.sha256)
        return False

    alert = _with_restorable(state_dir, alert)
    level = logging.WARNING if alert.level == "warning" else logging.INFO
    fields: dict[str, Any] = {
        name: value for name, value in alert.details.items() if name not in _OWN_FIELDS and name != "restorable"
    }
    fields.update(kind=alert.kind, profile=alert.profile, reason=alert.reason, sha256=alert.sha256)
    fields["suppressed_before"] = suppressed_before
    if alert.kind == "clean_after_remediation":
        fields["restorable_count"] = len(alert.details.get("restorable") or [])
    events.emit("alert", f"alert {alert.kind} profile={alert.profile} reason={alert.reason}", level=level, **fields)

    smtp = (settings.get("alerts") or {}).get("smtp")
    if smtp:
        _email(smtp, alert, suppressed_before)
    return True
