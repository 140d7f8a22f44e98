"""The report as CSV: one row per recipient outcome, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from mar_runner.logs.escape import make_visible
from mar_runner.report.model import RecipientRow, Report

COLUMNS = (
    "sha256",
    "file_names",
    "verdict_source",
    "verdict_time",
    "message_id",
    "mids",
    "recipient",
    "action",
    "status",
    "reason",
    "reason_text",
    "fix",
    "profile",
    "profiles_tried",
    "copies",
    "started_at",
    "finished_at",
)
# A spreadsheet runs a cell starting with one of these as a formula, so such a
# cell gets a leading apostrophe (the usual neutralisation for CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: object) -> str:
    """Return a cell's text with control characters escaped, and an apostrophe before a formula start."""
    text = "" if value is None else make_visible(str(value))
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _rows(report: Report) -> Iterator[tuple[str, ...]]:
    for section in report.files:
        file_names = ";".join(section.file_names)
        sources = ";".join(section.verdict_sources)
        groups: list[list[RecipientRow]] = [
            section.failed,
            section.no_profile,
            section.in_progress,
            section.remediated,
            section.skipped,
        ]
        for group in groups:
            for row in group:
                values = (
                    section.sha256,
                    file_names,
                    sources,
                    section.verdict_time,
                    row.message_id,
                    ";".join(row.mids),
                    row.recipient,
                    row.action,
                    row.status,
                    row.reason,
                    row.reason_text,
                    row.fix,
                    row.profile,
                    ";".join(row.profiles_tried),
                    row.copies,
                    row.started_at,
                    row.finished_at,
                )
                yield tuple(neutralise(value) for value in values)


def _note_rows(report: Report) -> Iterator[tuple[str, ...]]:
    # A verdict without recipient rows gets one row with an empty recipient.
    for note in report.verdict_notes:
        values = {
            "sha256": note["sha256"],
            "file_names": note.get("file_name"),
            "verdict_source": note.get("verdict_source"),
            "verdict_time": note.get("verdict_time"),
            "reason": note["code"],
            "reason_text": note["text"],
            "fix": note["fix"],
        }
        yield tuple(neutralise(values.get(column)) for column in COLUMNS)


def render_csv(report: Report) -> str:
    """Return the report as CSV text with a header row (RFC 4180 quoting, CRLF line ends).

    Recipient rows come first; a verdict without recipient rows (no delivery
    found, clean after remediation) follows as one row with an empty recipient.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(_rows(report))
    writer.writerows(_note_rows(report))
    return buffer.getvalue()
