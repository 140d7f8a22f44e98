"""The report as one self-contained HTML page, rendered with Jinja2 (autoescaping on)."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from mar_runner.i18n import translate
from mar_runner.logs.escape import make_visible
from mar_runner.report.labels import ACTION_LABELS, COUNTER_LABELS, RESULT_LABELS, STATUS_LABELS, label
from mar_runner.report.model import Report

TEMPLATE = "report.html"


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
        finalize=make_visible,
    )


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
        **context,
    )


def render_html(report: Report) -> str:
    """Return the report as an HTML5 page with its CSS inline and no external asset."""
    return render_template(TEMPLATE, report.lang, report=report, counters=report.counters.as_dict())
