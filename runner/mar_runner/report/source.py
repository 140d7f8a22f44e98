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
