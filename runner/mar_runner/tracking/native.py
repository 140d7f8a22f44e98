"""Reader of native JSON Lines tracking records (schemas/tracking-record.schema.json)."""

from __future__ import annotations

import json
from datetime import tzinfo

from mar_runner.i18n import _
from mar_runner.tracking.lines import decode_line
from mar_runner.tracking.model import normalize_address, normalize_message_id
from mar_runner.tracking.schemas import first_error
from mar_runner.tracking.store import IndexWriter, MessageRecord, RecipientRecord
from mar_runner.tracking.times import parse_iso

SCHEMA = "tracking-record.schema.json"


class RecordError(ValueError):
    """A JSON Lines record that cannot be imported, with the reason as its text."""


def record_from_json(data: object, zone: tzinfo) -> MessageRecord:
    """Turn one decoded JSON record into a MessageRecord; raise RecordError."""
    problem = first_error(SCHEMA, data)
    if problem:
        raise RecordError(_("invalid tracking record: {detail}").format(detail=problem))
    assert isinstance(data, dict)
    mids = [int(m) for m in data.get("mids", [])]
    raw_id = data.get("message_id")
    message_id = normalize_message_id(raw_id)
    key = data.get("message_key")
    if not key and message_id:
        key = f"jsonl:{message_id}"
    if not key and mids:
        key = f"jsonl:mid:{mids[0]}"
    if not key:
        raise RecordError(_("invalid tracking record: give message_key, message_id or mids"))

    try:
        received = parse_iso(data["received_at"], zone) if data.get("received_at") else None
        recipients = [
            RecipientRecord(
                address=normalize_address(r["address"]) or r["address"],
                mid=r.get("mid", mids[0] if mids else None),
                rid=r.get("rid"),
                policy=r.get("policy"),
                status=r.get("status", "delivered"),
                delivered_at=parse_iso(r["delivered_at"], zone) if r.get("delivered_at") else None,
            )
            for r in data["recipients"]
        ]
    except ValueError as exc:
        raise RecordError(
            _("invalid time in tracking record: {detail}; use ISO 8601 such as 2026-01-31T09:30:00Z").format(
                detail=str(exc)
            )
        ) from None
    return MessageRecord(
        message_key=key,
        source="jsonl",
        mids=mids,
        message_id=message_id,
        message_id_raw=raw_id,
        sender=normalize_address(data.get("sender")),
        subject=data.get("subject"),
        received_at=received,
        recipients=recipients,
        attachments=[(a.get("name") or "", a.get("sha256") or "") for a in data.get("attachments", [])],
    )


class JsonLinesReader:
    """Feeds JSON Lines tracking records into the index writer."""

    def __init__(self, writer: IndexWriter, zone: tzinfo) -> None:
        self.writer = writer
        self.zone = zone
        self.records = 0

    def feed_bytes(self, raw: bytes) -> str | None:
        """Import one line of bytes; return a problem text or None."""
        text, problem = decode_line(raw)
        if problem is not None:
            return problem
        return self.feed(text)

    def feed(self, text: str) -> str | None:
        """Import one line; return a problem text, or None when it was imported or blank."""
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return _("not valid JSON: {detail}").format(detail=exc.msg)
        try:
            record = record_from_json(data, self.zone)
        except RecordError as exc:
            return str(exc)
        self.writer.write(record)
        self.records += 1
        return None

    def snapshot(self) -> object:
        return None

    def restore(self, state: object) -> None:
        """JSON Lines records are independent, so there is no state to restore."""

    def finish(self) -> None:
        """Nothing stays open between JSON Lines records."""
