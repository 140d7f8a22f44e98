"""The report as one JSON document (keys and codes in English, texts in the report's language)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from mar_runner.report.model import Report


def report_document(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON-ready data."""
    document = asdict(report)
    document["counters"] = report.counters.as_dict()
    for section, data in zip(report.files, document["files"]):
        data["counters"] = section.counters.as_dict()
        # Recipient rows already appear under their status; the tracking part
        # refers to them by recipient to keep the document small.
        for message in data["messages"]:
            message["recipients"] = [row["recipient"] for row in message["recipients"]]
    return document


def render_json(report: Report) -> str:
    """Return the report as indented JSON text ending with a newline."""
    return json.dumps(report_document(report), ensure_ascii=False, indent=2) + "\n"
