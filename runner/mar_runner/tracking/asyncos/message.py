"""A message that the gateway is still handling, as the AsyncOS reader assembles it."""

from __future__ import annotations

from mar_runner.tracking.model import normalize_message_id
from mar_runner.tracking.store import MessageRecord, RecipientRecord

TERMINAL = ("delivered", "bounced")


class OpenMessage:
    """State of one message between its first and last log line.

    ``rcpts`` maps (MID, RID) to ``[address, policy, status, delivered_at]``.
    ``open_mids`` are the MIDs whose ``Message finished`` line has not come
    yet; the message is written as complete when the set becomes empty.
    """

    __slots__ = (
        "key",
        "mids",
        "open_mids",
        "message_id_raw",
        "sender",
        "subject",
        "received_at",
        "rcpts",
        "policies",
        "attachments",
        "removed",
        "written",
    )

    def __init__(self, key: str, mid: int, received_at: float | None) -> None:
        self.key = key
        self.mids: list[int] = [mid]
        self.open_mids: set[int] = {mid}
        self.message_id_raw: str | None = None
        self.sender: str | None = None
        self.subject: str | None = None
        self.received_at = received_at
        self.rcpts: dict[tuple[int, int], list] = {}
        self.policies: dict[int, str] = {}
        self.attachments: list[tuple[str, str]] = []
        self.removed: list[tuple[int, str]] = []
        self.written = False

    def add_mid(self, mid: int) -> None:
        if mid not in self.mids:
            self.mids.append(mid)
        self.open_mids.add(mid)

    def set_status(self, mid: int, status: str, *, unless: tuple[str, ...] = TERMINAL) -> None:
        """Set the status of every recipient of ``mid`` whose status is not in ``unless``."""
        for (rcpt_mid, _rid), rcpt in self.rcpts.items():
            if rcpt_mid == mid and rcpt[2] not in unless:
                rcpt[2] = status

    def move_recipients(self, old_mid: int, new_mid: int) -> None:
        """Move the recipients of ``old_mid`` to ``new_mid``, as a MID rewrite does."""
        for (rcpt_mid, rid) in [k for k in self.rcpts if k[0] == old_mid]:
            rcpt = self.rcpts.pop((rcpt_mid, rid))
            self.rcpts[(new_mid, rid)] = rcpt
            if self.written and rcpt[0]:
                self.removed.append((old_mid, rcpt[0]))
        if old_mid in self.policies:
            self.policies.setdefault(new_mid, self.policies[old_mid])

    def add_attachment(self, name: str, sha256: str | None) -> None:
        item = (name, sha256 or "")
        if item not in self.attachments:
            self.attachments.append(item)

    def record(self) -> MessageRecord:
        """Return the message as a record for the index writer."""
        recipients = [
            RecipientRecord(
                address=rcpt[0],
                mid=mid,
                rid=rid,
                policy=rcpt[1] or self.policies.get(mid),
                status=rcpt[2],
                delivered_at=rcpt[3],
            )
            for (mid, rid), rcpt in self.rcpts.items()
            if rcpt[0]
        ]
        return MessageRecord(
            message_key=self.key,
            source="asyncos",
            mids=list(self.mids),
            message_id=normalize_message_id(self.message_id_raw),
            message_id_raw=self.message_id_raw,
            sender=self.sender,
            subject=self.subject,
            received_at=self.received_at,
            complete=not self.open_mids,
            recipients=recipients,
            attachments=list(self.attachments),
            removed=list(self.removed),
        )

    def to_state(self) -> dict:
        """Return the message as JSON-compatible data for the stored reader state."""
        return {
            "key": self.key,
            "mids": self.mids,
            "open": sorted(self.open_mids),
            "message_id": self.message_id_raw,
            "sender": self.sender,
            "subject": self.subject,
            "received_at": self.received_at,
            "rcpts": [[mid, rid, *rcpt] for (mid, rid), rcpt in self.rcpts.items()],
            "policies": [[mid, name] for mid, name in self.policies.items()],
            "attachments": [list(a) for a in self.attachments],
            "removed": [list(r) for r in self.removed],
            "written": self.written,
        }

    @classmethod
    def from_state(cls, data: dict) -> "OpenMessage":
        """Rebuild a message from ``to_state()`` data."""
        message = cls(data["key"], data["mids"][0], data.get("received_at"))
        message.mids = list(data["mids"])
        message.open_mids = set(data["open"])
        message.message_id_raw = data.get("message_id")
        message.sender = data.get("sender")
        message.subject = data.get("subject")
        message.rcpts = {(r[0], r[1]): list(r[2:6]) for r in data.get("rcpts", [])}
        message.policies = {int(mid): name for mid, name in data.get("policies", [])}
        message.attachments = [(a[0], a[1]) for a in data.get("attachments", [])]
        message.removed = [(r[0], r[1]) for r in data.get("removed", [])]
        message.written = bool(data.get("written"))
        return message
