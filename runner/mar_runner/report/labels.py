"""People-facing names of counters, statuses, actions and columns, marked for translation."""

from __future__ import annotations

from functools import lru_cache

from mar_runner.i18n import N_, current_language, translate

COUNTER_LABELS = {
    "deleted": N_("Deleted"),
    "forwarded": N_("Forwarded"),
    "forwarded_and_deleted": N_("Forwarded and deleted"),
    "failed": N_("Failed"),
    "in_progress": N_("In progress"),
    "skipped": N_("Skipped"),
}
STATUS_LABELS = {
    "success": N_("Success"),
    "failed": N_("Failed"),
    "skipped": N_("Skipped"),
    "in_progress": N_("In progress"),
}
ACTION_LABELS = {
    "delete": N_("Delete"),
    "forward": N_("Forward"),
    "forward_and_delete": N_("Forward and delete"),
}
RESULT_LABELS = {"success": N_("Success"), "failed": N_("Failed")}


@lru_cache(maxsize=1024)
def _translated(text: str, lang: str | None) -> str:
    # A report of 10,000 recipients looks up the same few labels tens of
    # thousands of times.
    return translate(text, lang)


def label(table: dict[str, str], code: str | None, lang: str | None = None) -> str:
    """Return the translated label of ``code`` in ``table``, or the code itself when unknown."""
    if not code:
        return "-"
    text = table.get(code)
    return _translated(text, lang or current_language()) if text else code
