"""The outcome record: what happened to one recipient of one message for one verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

STATUSES = ("success", "failed", "skipped", "in_progress")
ACTIONS = ("forward", "delete", "forward_and_delete")


def utc_now() -> str:
    """Return the current UTC time in ISO 8601 with a Z suffix and milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Attempt:
    """One try through one profile: when, with what result and reason."""

    profile: str
    time: str
    result: str  # "success" or "failed"
    reason: str | None = None
    message: str | None = None  # the server's own text, never a token or body
    retries: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the attempt as stored, without empty optional fields."""
        data = asdict(self)
        return {key: value for key, value in data.items() if value is not None}


@dataclass
class Outcome:
    """One outcome per verdict, message and recipient (see schemas/outcome.schema.json)."""

    verdict_id: str
    sha256: str
    recipient: str
    mids: list[str] = field(default_factory=list)
    message_id: str | None = None
    message_key: str | None = None
    policy: str | None = None
    action: str | None = None
    delete_mode: str | None = None
    forward_to: str | None = None
    status: str = "in_progress"
    reason: str | None = None
    profile: str | None = None
    profiles_tried: list[str] = field(default_factory=list)
    copies: int = 0
    folders: list[str] = field(default_factory=list)
    found_by: str | None = None  # "message_id" or "fallback"
    attempts: list[Attempt] = field(default_factory=list)
    dry_run: bool = False
    replayed: bool = False  # True when the ledger already held a final result
    changed: bool = False  # True when this run changed the mailbox or sent a forward
    started_at: str = field(default_factory=utc_now)
    finished_at: str | None = None

    def finish(self, status: str, reason: str | None = None) -> "Outcome":
        """Set the final status and reason and stamp the finish time."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
        self.status = status
        self.reason = reason
        self.finished_at = utc_now()
        return self

    def to_dict(self) -> dict[str, Any]:
        """Return the record as the JSON Schema describes it."""
        data = asdict(self)
        data["attempts"] = [attempt.to_dict() for attempt in self.attempts]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Outcome":
        """Rebuild an outcome from its stored form; unknown keys are ignored."""
        known = {name for name in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in known}
        values["attempts"] = [Attempt(**attempt) for attempt in data.get("attempts", [])]
        return cls(**values)
