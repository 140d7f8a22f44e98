"""Deliveries as the tracking index returns them.

A ``Delivery`` is one message as the gateway saw it: every MID it had
(rewrites and bcc copies included), its RFC Message-ID, sender, subject,
attachments and recipients. Only recipients whose status is ``delivered``
are remediation targets. The others stay in the index, so reports can show
why nothing was done for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STATUSES = ("delivered", "bounced", "aborted", "quarantined", "pending")
DELIVERED = "delivered"


# Not frozen: a frozen dataclass takes about four times as long to build, and a
# lookup builds thousands of these. Treat them as read-only all the same.
@dataclass(slots=True)
class Attachment:
    """A file attached to a message: its decoded name and lowercase SHA-256 (None when unknown)."""

    name: str | None
    sha256: str | None


@dataclass(slots=True)
class Recipient:
    """One envelope recipient of a message and what happened to its copy."""

    address: str
    rid: int | None
    mid: int | None
    policy: str | None
    status: str
    delivered_at: datetime | None = None

    @property
    def is_target(self) -> bool:
        """True when the copy reached the mailbox, so remediation may act on it."""
        return self.status == DELIVERED


@dataclass(slots=True)
class Delivery:
    """A message in the tracking index with its recipients and attachments.

    ``message_id`` is normalised to one pair of angle brackets and
    ``message_id_raw`` keeps the text as logged. ``received_at`` and each
    recipient's ``delivered_at`` are aware UTC datetimes (or None).
    ``source`` names the reader that filled the record: ``asyncos``,
    ``cef`` or ``jsonl``.
    """

    message_key: str
    mids: list[int]
    message_id: str | None
    message_id_raw: str | None
    sender: str | None
    subject: str | None
    received_at: datetime | None
    attachments: list[Attachment] = field(default_factory=list)
    recipients: list[Recipient] = field(default_factory=list)
    source: str = "jsonl"

    @property
    def delivered_recipients(self) -> list[Recipient]:
        """The recipients whose copy was delivered: the remediation targets."""
        return [r for r in self.recipients if r.status == DELIVERED]

    @property
    def sha256s(self) -> set[str]:
        """The SHA-256 values of the attachments whose hash is known."""
        return {a.sha256 for a in self.attachments if a.sha256}


def normalize_message_id(value: str | None) -> str | None:
    """Return ``value`` with surrounding quotes and spaces removed and exactly one pair of angle brackets.

    Returns None for an empty value. The case is kept because the part before
    the ``@`` is case-sensitive.
    """
    if value is None:
        return None
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    text = text.lstrip("<").rstrip(">").strip()
    if not text:
        return None
    return f"<{text}>"


def normalize_address(value: str | None) -> str | None:
    """Return an envelope address without angle brackets or spaces, in lower case (None when empty)."""
    if value is None:
        return None
    text = value.strip().strip("<>").strip().lower()
    return text or None
