"""The report as plain-text tables for a terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from mar_runner.i18n import N_, translate
from mar_runner.logs.escape import escape_text
from mar_runner.report.labels import ACTION_LABELS, COUNTER_LABELS, STATUS_LABELS, label
from mar_runner.report.model import FileSection, RecipientRow, Report


def display_width(text: str) -> int:
    """Return the number of terminal columns ``text`` takes (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Return aligned lines of a table; every cell is escaped so that it stays on one line."""
    cells = [[escape_text(cell) for cell in row] for row in rows]
    widths = [display_width(header) for header in headers]
    for row in cells:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], display_width(cell))
    lines = [indent + "  ".join(_pad(header, widths[index]) for index, header in enumerate(headers)).rstrip()]
    lines.append(indent + "  ".join("-" * width for width in widths))
    for row in cells:
        lines.append(indent + "  ".join(_pad(cell, widths[index]) for index, cell in enumerate(row)).rstrip())
    return lines


def _recipient_cells(row: RecipientRow, lang: str) -> list[str]:
    if row.status == "success":
        profiles = row.profile or "-"
    else:
        profiles = ", ".join(row.profiles_tried) or "-"
    return [
        label(STATUS_LABELS, row.status, lang),
        row.recipient,
        ",".join(row.mids) or "-",
        label(ACTION_LABELS, row.action, lang),
        profiles,
        row.reason or "-",
    ]


def _section_lines(section: FileSection, lang: str) -> list[str]:
    lines = [
        "",
        translate(N_("File {sha256}"), lang).format(sha256=section.sha256),
        "  "
        + translate(N_("File names: {names}"), lang).format(names=escape_text(", ".join(section.file_names) or "-")),
        "  "
        + translate(N_("Verdict source: {source}  time: {time}"), lang).format(
            source=escape_text(", ".join(section.verdict_sources) or "-"), time=section.verdict_time or "-"
        ),
        "  "
        + translate(N_("Action: {action}"), lang).format(
            action=", ".join(label(ACTION_LABELS, action, lang) for action in section.actions) or "-"
        ),
    ]
    rows = [
        _recipient_cells(row, lang)
        for group in (section.failed, section.no_profile, section.in_progress, section.remediated, section.skipped)
        for row in group
    ]
    headers = [
        translate(N_("Status"), lang),
        translate(N_("Recipient"), lang),
        translate(N_("MID"), lang),
        translate(N_("Action"), lang),
        translate(N_("Profile (succeeded or tried)"), lang),
        translate(N_("Reason"), lang),
    ]
    lines.extend(format_table(headers, rows, indent="  "))
    if section.no_profile:
        lines.append(
            "  "
            + translate(N_("Recipients whose domain has no profile: {count}"), lang).format(count=len(section.no_profile))
        )
    return lines


def render_table(report: Report) -> str:
    """Return the report as text: counters, one table per file (failures first), then the reasons."""
    lang = report.lang
    lines = [
        translate(N_("Remediation report generated {time}"), lang).format(time=report.generated_at),
        translate(N_("Period: {since} to {until}"), lang).format(since=report.since or "-", until=report.until or "-"),
        "",
    ]
    for notice in report.notices:
        lines.append(translate(N_("Note: {text}"), lang).format(text=notice["text"]))
        lines.append("  " + translate(N_("Fix: {text}"), lang).format(text=notice["fix"]))
        lines.append("")
    counters = report.counters.as_dict()
    lines.extend(
        format_table(
            [translate(COUNTER_LABELS[name], lang) for name in counters],
            [[str(value) for value in counters.values()]],
        )
    )
    if report.verdict_notes:
        lines.extend(["", translate(N_("Verdicts without remediation"), lang)])
        for note in report.verdict_notes:
            lines.append(
                "  "
                + translate(N_("{sha256} {name}: {code}: {text}"), lang).format(
                    sha256=note["sha256"],
                    name=escape_text(note.get("file_name") or "-"),
                    code=note["code"],
                    text=note["text"],
                )
            )
            lines.append("    " + translate(N_("Fix: {text}"), lang).format(text=note["fix"]))
    if not report.files:
        lines.extend(["", translate(N_("No remediation in this period."), lang)])
    for section in report.files:
        lines.extend(_section_lines(section, lang))
    if report.reasons:
        lines.extend(["", translate(N_("Reasons and fixes"), lang)])
        for reason in report.reasons:
            lines.append(f"  {reason['code']}: {reason['text']}")
            lines.append("    " + translate(N_("Fix: {text}"), lang).format(text=reason["fix"]))
    return "\n".join(lines) + "\n"
