"""The report as one self-contained HTML page, rendered with Jinja2 (autoescaping on)."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from mar_runner.i18n import translate
from mar_runner.logs.escape import make_visible
from mar_runner.report.labels import ACTION_LABELS, COUNTER_LABELS, RESULT_LABELS, STATUS_LABELS, label
from mar_runner.report.model import MessageTrack, Report

TEMPLATE = "report.html"


def _visible(value: object) -> object:
    # Called for every expression of the template: plain printable ASCII, the
    # common case, returns at once; Markup is HTML that was escaped already.
    if value.__class__ is not str or (value.isascii() and value.isprintable()):
        return value
    return make_visible(value)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Autoescaping is on for every template: subjects, file names and
    # addresses come from senders and must never become markup.
    return Environment(
        loader=PackageLoader("mar_runner", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Control characters are invalid in HTML, so they are shown as escapes.
        # Markup is HTML that was escaped already and is left alone.
        finalize=_visible,
    )


def _cell(value: object, css_class: str = "") -> str:
    text = escape(make_visible(value if value not in (None, "") else "-"))
    return f'<td class="{css_class}">{text}</td>' if css_class else f"<td>{text}</td>"


def _reason_cell(code: str | None, text: str | None, server_message: str | None = None) -> str:
    if not code:
        return "<td>-</td>"
    cell = f"<td><code>{escape(make_visible(code))}</code> {escape(make_visible(text or ''))}"
    if server_message:
        cell += f'<br><span class="server">{escape(make_visible(server_message))}</span>'
    return cell + "</td>"


def tracking_rows(message: MessageTrack) -> Markup:
    """Return the table rows of a message's remediation attempts, every value escaped.

    The rows are built here rather than in the template because a report of
    10,000 recipients has tens of thousands of them, and Jinja2 takes several
    times longer per cell. Each value goes through ``escape`` exactly as
    autoescaping would.
    """
    rows: list[str] = []
    for row in message.recipients:
        recipient = _cell(row.recipient)
        action = _cell(row.action_text, "nowrap")
        for attempt in row.attempts:
            rows.append(
                "<tr>"
                + recipient
                + _cell(attempt.time, "nowrap")
                + _cell(attempt.profile, "nowrap")
                + action
                + _cell(attempt.result_text, f"nowrap {escape(attempt.result)}")
                + _reason_cell(attempt.reason, attempt.reason_text, attempt.message)
                + "</tr>"
            )
        if not row.attempts:
            rows.append(
                "<tr>"
                + recipient
                + _cell(row.finished_at or row.started_at, "nowrap")
                + "<td>-</td>"
                + action
                + _cell(row.status_text, f"nowrap {escape(row.status)}")
                + _reason_cell(row.reason, row.reason_text)
                + "</tr>"
            )
    return Markup("\n".join(rows))


def render_template(name: str, lang: str, **context: object) -> str:
    """Render one of the package's HTML templates with the translation helpers of ``lang``."""
    template = _environment().get_template(name)
    return template.render(
        _=lambda text: translate(text, lang),
        lang=lang,
        counter_label=lambda code: label(COUNTER_LABELS, code, lang),
        status_label=lambda code: label(STATUS_LABELS, code, lang),
        action_label=lambda code: label(ACTION_LABELS, code, lang),
        result_label=lambda code: label({**STATUS_LABELS, **RESULT_LABELS}, code, lang),
        tracking_rows=tracking_rows,
        **context,
    )


def render_html(report: Report) -> str:
    """Return the report as an HTML5 page with its CSS inline and no external asset."""
    return render_template(TEMPLATE, report.lang, report=report, counters=report.counters.as_dict())
