"""Secure Endpoint (AMP for Endpoints) ``/v1/events`` items as verdicts.

Only two event types are verdicts: 553648147 (retrospective detection, also
named "Cloud Recall Detection") is malicious, and 553648146 (restore of a
false positive) is clean. The numeric id decides, never the event name,
because the names differ between API versions.
"""

from __future__ import annotations

from mar_runner.i18n import _
from mar_runner.verdicts.model import Verdict
from mar_runner.verdicts.values import VerdictValueError, build, id_text

RETROSPECTIVE_DETECTION = 553648147
FALSE_POSITIVE_RESTORE = 553648146
EVENT_VERDICTS = {RETROSPECTIVE_DETECTION: "malicious", FALSE_POSITIVE_RESTORE: "clean"}
SOURCE = "secure_endpoint"


def is_event(item: object) -> bool:
    """True for a Secure Endpoint event item (it has an event_type_id)."""
    return isinstance(item, dict) and "event_type_id" in item


def event_items(document: object) -> list | None:
    """Return the event items of an ``/v1/events`` response, a list of items or one item; None otherwise."""
    if isinstance(document, dict) and "data" in document and ("metadata" in document or "version" in document):
        data = document["data"]
        return data if isinstance(data, list) else [data]
    if is_event(document):
        return [document]
    if isinstance(document, list) and document and all(is_event(item) for item in document):
        return document
    return None


def event_type(item: dict) -> int | None:
    try:
        return int(str(item.get("event_type_id")).strip())
    except ValueError:
        return None


def verdict_from_event(item: dict, origin: str) -> Verdict | None:
    """Return the verdict of one event item, or None for an event type that is no verdict.

    Raises VerdictValueError when a verdict event lacks a usable SHA-256.
    """
    verdict = EVENT_VERDICTS.get(event_type(item) or -1)
    if verdict is None:
        return None
    file_info = item.get("file") or {}
    identity = file_info.get("identity") or {}
    if not identity.get("sha256"):
        raise VerdictValueError(
            _("Secure Endpoint event {event_type} has no file.identity.sha256, so no file can be matched").format(
                event_type=event_type(item)
            )
        )
    observed = item.get("date")
    if not observed and item.get("timestamp") is not None:
        observed = float(item["timestamp"]) + int(item.get("timestamp_nanoseconds") or 0) / 1e9
    event_id = id_text(item.get("detection_id")) if verdict == "malicious" else None
    return build(
        sha256=identity.get("sha256"),
        verdict=verdict,
        previous_verdict="malicious" if verdict == "clean" else None,
        file_name=file_info.get("file_name"),
        threat_name=item.get("detection"),
        observed_at=observed,
        source=SOURCE,
        origin=origin,
        event_id=event_id or id_text(item.get("id")),
    )
