"""The report's data: counters for a period and one section per SHA-256."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COUNTER_NAMES = ("deleted", "forwarded", "forwarded_and_deleted", "failed", "in_progress", "skipped")


@dataclass(slots=True)
class Counters:
    """Recipients per result; a recipient with several copies counts once."""

    deleted: int = 0
    forwarded: int = 0
    forwarded_and_deleted: int = 0
    failed: int = 0
    in_progress: int = 0
    skipped: int = 0

    def add(self, status: str, action: str | None) -> None:
        """Count one recipient outcome."""
        if status == "success":
            if action == "delete":
                self.deleted += 1
            elif action == "forward":
                self.forwarded += 1
            elif action == "forward_and_delete":
                self.forwarded_and_deleted += 1
        elif status == "failed":
            self.failed += 1
        elif status == "in_progress":
            self.in_progress += 1
        elif status == "skipped":
            self.skipped += 1

    def as_dict(self) -> dict[str, int]:
        """Return the counters in report order."""
        return {name: getattr(self, name) for name in COUNTER_NAMES}


@dataclass(slots=True)
class AttemptRow:
    """One try through one profile for one recipient."""

    time: str | None
    profile: str
    result: str
    reason: str | None
    reason_text: str | None
    message: str | None
    result_text: str = ""


@dataclass(slots=True)
class RecipientRow:
    """One recipient of one message, with its result and, on failure, the reason and fix."""

    recipient: str
    message_id: str | None
    mids: list[str]
    action: str | None
    status: str
    reason: str | None
    reason_text: str | None
    fix: str | None
    profile: str | None
    profiles_tried: list[str]
    copies: int
    folders: list[str]
    started_at: str | None
    finished_at: str | None
    dry_run: bool
    attempts: list[AttemptRow] = field(default_factory=list)
    # Translated labels, computed once so that templates call no function per row.
    action_text: str = ""
    status_text: str = ""


@dataclass(slots=True)
class MessageTrack:
    """One message carrying the file: its delivery and the recipients' remediation."""

    anchor: str
    message_id: str | None
    mids: list[str]
    subject: str | None
    sender: str | None
    received_at: str | None
    recipients: list[RecipientRow] = field(default_factory=list)


@dataclass(slots=True)
class FileSection:
    """Everything the report shows for one SHA-256."""

    sha256: str
    anchor: str
    file_names: list[str]
    verdict_sources: list[str]
    verdict_time: str | None
    actions: list[str]
    counters: Counters
    failed: list[RecipientRow] = field(default_factory=list)
    no_profile: list[RecipientRow] = field(default_factory=list)
    in_progress: list[RecipientRow] = field(default_factory=list)
    remediated: list[RecipientRow] = field(default_factory=list)
    skipped: list[RecipientRow] = field(default_factory=list)
    messages: list[MessageTrack] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    """A remediation report for a period, optionally for one SHA-256."""

    generated_at: str
    since: str | None
    until: str | None
    sha256: str | None
    lang: str
    counters: Counters
    files: list[FileSection]
    reasons: list[dict[str, Any]]
    # Conditions of the whole engine host, such as remediation being disabled
    # in the settings: each a dict with ``code``, ``text`` and ``fix``.
    notices: list[dict[str, Any]] = field(default_factory=list)
    # Verdicts without recipient rows: ``sha256``, ``code`` (no_delivery_found
    # or clean_after_remediation), ``file_name``, ``verdict_source``,
    # ``verdict_time``, and the translated ``text`` and ``fix``.
    verdict_notes: list[dict[str, Any]] = field(default_factory=list)
