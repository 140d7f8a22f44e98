"""Remediation report: counters and per-file results, as a table, JSON, CSV or HTML.

``build_report`` turns outcome records into a ``Report``; ``render`` turns a
report into text in one of ``FORMATS``.
"""

from __future__ import annotations

from collections.abc import Callable

from mar_runner.report.build import build_report
from mar_runner.report.model import Report
from mar_runner.report.render_csv import render_csv
from mar_runner.report.render_html import render_html
from mar_runner.report.render_json import render_json
from mar_runner.report.render_table import render_table

RENDERERS: dict[str, Callable[[Report], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "html": render_html,
}
FORMATS = tuple(RENDERERS)


def render(report: Report, fmt: str) -> str:
    """Return ``report`` rendered in format ``fmt`` (table, json, csv or html)."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}") from None
    return renderer(report)


__all__ = ["FORMATS", "Report", "build_report", "render"]
