"""The report as one JSON document (keys and codes in English, texts in the report's language)."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from mar_runner.report.model import AttemptRow, FileSection, RecipientRow, Report

_GROUPS = ("failed", "no_profile", "in_progress", "remediated", "skipped")


_ROW_FIELDS = tuple(field.name for field in fields(RecipientRow))
_ATTEMPT_FIELDS = tuple(field.name for field in fields(AttemptRow))


def _row(row: RecipientRow) -> dict[str, Any]:
    # A shallow copy per row: dataclasses.asdict deep-copies and is several
    # times slower on 10,000 rows.
    data = {name: getattr(row, name) for name in _ROW_FIELDS}
    data["attempts"] = [{name: getattr(attempt, name) for name in _ATTEMPT_FIELDS} for attempt in row.attempts]
    return data


def _section(section: FileSection) -> dict[str, Any]:
    data: dict[str, Any] = {
        "sha256": section.sha256,
        "anchor": section.anchor,
        "file_names": section.file_names,
        "verdict_sources": section.verdict_sources,
        "verdict_time": section.verdict_time,
        "actions": section.actions,
        "counters": section.counters.as_dict(),
    }
    for group in _GROUPS:
        data[group] = [_row(row) for row in getattr(section, group)]
    # Recipient rows already appear under their status; the tracking part
    # refers to them by address to keep the document small.
    data["messages"] = [
        {
            "anchor": message.anchor,
            "message_id": message.message_id,
            "mids": message.mids,
            "subject": message.subject,
            "sender": message.sender,
            "received_at": message.received_at,
            "recipients": [row.recipient for row in message.recipients],
        }
        for message in section.messages
    ]
    return data


def report_document(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON-ready data."""
    return {
        "generated_at": report.generated_at,
        "since": report.since,
        "until": report.until,
        "sha256": report.sha256,
        "lang": report.lang,
        "counters": report.counters.as_dict(),
        "files": [_section(section) for section in report.files],
        "reasons": report.reasons,
        "notices": report.notices,
        "verdict_notes": report.verdict_notes,
    }


def render_json(report: Report) -> str:
    """Return the report as JSON text on one line, ending with a newline.

    No indentation, because Python's json module falls back to its slower
    pure-Python encoder when ``indent`` is set; pipe the output through
    ``jq .`` to read it.
    """
    return json.dumps(report_document(report), ensure_ascii=False) + "\n"
