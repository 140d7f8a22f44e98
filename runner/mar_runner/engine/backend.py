"""The interface every mailbox backend implements (Graph, EWS, test stubs).

A backend serves one account profile. Its methods raise
``mar_runner.engine.errors.BackendError`` with a reason code; retries of
transient failures happen inside the backend, under its retry policy, so
an error that reaches the pipeline is final for this profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Target:
    """What to look for in a mailbox: the message and the file it must carry."""

    sha256: str
    message_id: str | None  # normalised: one pair of angle brackets
    sender: str | None = None
    subject: str | None = None
    received_at: datetime | None = None
    attachment_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Copy:
    """One copy of the message in the mailbox, confirmed to carry the file."""

    item_id: str
    folder: str
    change_key: str | None = None


@dataclass
class FindResult:
    """The copies found and how: by Message-ID or by the fallback search."""

    copies: list[Copy] = field(default_factory=list)
    found_by: str | None = None  # "message_id" or "fallback"


class Backend(Protocol):
    """Mailbox operations of one account profile."""

    profile_name: str
    kind: str  # "graph" or "ews"

    def find(self, mailbox: str, target: Target) -> FindResult:
        """Return every copy in any folder that carries ``target.sha256``."""

    def delete(self, mailbox: str, copy: Copy, mode: str) -> None:
        """Delete ``copy`` (``mode`` "hard" or "soft"); a copy already gone raises message_not_found."""

    def create_forward(self, mailbox: str, copy: Copy, to: str) -> str:
        """Create a forward of ``copy`` to ``to`` as a draft, with its attachment; return the draft id."""

    def draft_state(self, mailbox: str, draft_id: str) -> str:
        """Return "draft" (not sent), "sent" or "missing" for a draft created earlier."""

    def send_draft(self, mailbox: str, draft_id: str) -> None:
        """Send a draft created by ``create_forward``."""

    def check(self, mailbox: str) -> None:
        """Reach the mailbox with a read-only call; raise BackendError when that fails."""

    def close(self) -> None:
        """Release connections."""
