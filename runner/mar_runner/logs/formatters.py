"""Formatters of engine events: one text line, or one JSON object per line."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from mar_runner.logs.escape import escape_text, format_value
from mar_runner.logs.fields import safe_fields

# JSON keeps U+2028, U+2029 and U+0085 raw with ensure_ascii=False, and some
# readers split lines on them, so they are escaped after encoding.
_JSON_LINE_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"}
_RESERVED_JSON_KEYS = frozenset({"time", "level", "event", "message"})


def format_time(created: float) -> str:
    """Return a record's time as UTC ISO 8601 with milliseconds, such as 2026-12-04T20:10:01.123Z."""
    moment = datetime.fromtimestamp(created, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def event_of(record: logging.LogRecord) -> tuple[str, dict[str, Any]]:
    """Return a record's event name and fields (an empty name when it is no engine event)."""
    event = getattr(record, "mar_event", "") or ""
    fields = getattr(record, "mar_fields", None) or {}
    return str(event), dict(fields)


class EventLineFormatter(logging.Formatter):
    """Format an event as ``TIME LEVEL EVENT key=value ...`` on exactly one line."""

    def format(self, record: logging.LogRecord) -> str:
        event, fields = event_of(record)
        parts = [format_time(record.created), record.levelname, escape_text(event or "message")]
        if not event:
            parts.append("text=" + format_value(record.getMessage()))
        for name, value in safe_fields(fields).items():
            parts.append(f"{escape_text(name)}={format_value(value)}")
        return " ".join(parts)


class JsonLinesFormatter(logging.Formatter):
    """Format an event as one JSON object: time, level, event, message and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        event, fields = event_of(record)
        document: dict[str, Any] = {
            "time": format_time(record.created),
            "level": record.levelname,
            "event": event or "message",
            "message": record.getMessage(),
        }
        for name, value in safe_fields(fields).items():
            key = f"field_{name}" if name in _RESERVED_JSON_KEYS else name
            document[key] = value
        text = json.dumps(document, ensure_ascii=False, default=str, separators=(",", ":"))
        for char, escaped in _JSON_LINE_BREAKS.items():
            text = text.replace(char, escaped)
        return text
