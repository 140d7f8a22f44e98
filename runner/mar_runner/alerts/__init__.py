"""Alerts to administrators: a profile that cannot reach its mailboxes, and a
clean verdict after a remediation.

``dispatch_alert`` is the one entry point the engine calls. It records the
alert as an ``alert`` event; rate limiting per profile and interval and SMTP
delivery build on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mar_runner import events

KINDS = ("profile_unreachable", "clean_after_remediation")


@dataclass(frozen=True)
class Alert:
    """One alert: its kind, level, the profile or file it concerns, and details."""

    kind: str
    level: str  # "info" for profile_unreachable, "warning" for clean_after_remediation
    profile: str | None = None
    reason: str | None = None
    sha256: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def dispatch_alert(state_dir: Path | str | None, settings: dict[str, Any] | None, alert: Alert) -> bool:
    """Send ``alert`` to the log; return True when it was sent."""
    if alert.kind not in KINDS:
        raise ValueError(f"unknown alert kind {alert.kind!r}: use one of {', '.join(KINDS)}")
    level = logging.WARNING if alert.level == "warning" else logging.INFO
    events.emit(
        "alert",
        f"alert {alert.kind} profile={alert.profile} reason={alert.reason}",
        level=level,
        kind=alert.kind,
        profile=alert.profile,
        reason=alert.reason,
        sha256=alert.sha256,
        **alert.details,
    )
    return True
