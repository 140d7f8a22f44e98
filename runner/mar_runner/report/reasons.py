"""People-facing text and fix of each failure or skip reason code.

The codes and their texts belong to the engine (``mar_runner.engine.reasons``).
This module translates them for reports and alerts. A code the catalog does
not list gets a generic explanation instead of an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from mar_runner.engine import reasons as engine_reasons
from mar_runner.i18n import N_, translate


@dataclass(frozen=True)
class ReasonText:
    """A reason code with its explanation and fix, translated."""

    code: str
    text: str
    fix: str


_UNKNOWN_TEXT = N_("Unknown reason {code}.")
_UNKNOWN_FIX = N_("Look for this code in the remediation log.")


def describe_reason(code: str | None, lang: str | None = None) -> ReasonText | None:
    """Return the translated text and fix of a reason code, or None for no reason."""
    if not code:
        return None
    reason = engine_reasons.REASONS.get(code)
    if reason is None:
        return ReasonText(
            code=code, text=translate(_UNKNOWN_TEXT, lang).format(code=code), fix=translate(_UNKNOWN_FIX, lang)
        )
    rendered = reason.render(lang)
    return ReasonText(code=code, text=rendered["text"], fix=rendered["fix"])


def known_reason_codes() -> list[str]:
    """Return every reason code of the engine's catalog, sorted."""
    return sorted(engine_reasons.REASONS)
