"""People-facing text in English and Japanese through gettext catalogs.

Source strings are English and marked with ``_()`` (translated now) or
``N_()`` (marked for extraction, translated later with ``translate()``).
Catalogs live in ``locale/<lang>/LC_MESSAGES/*.po``, one file per area of the
engine; all files of a language are merged. A compiled ``.mo`` next to a
``.po`` is used when it is newer; otherwise Babel compiles the ``.po`` in
memory, so an editable install needs no build step.

The language comes from ``set_language()`` (the CLI's ``--lang``), else from
LC_ALL, LC_MESSAGES, LANG or LANGUAGE: a value starting with ``ja`` selects
Japanese, anything else English.
"""

from __future__ import annotations

import gettext
import io
import os
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("en", "ja")
LOCALE_DIR = Path(__file__).with_name("locale")

_language: str | None = None


def detect_language() -> str:
    """Return the language the environment's locale variables select."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def set_language(lang: str | None) -> None:
    """Select the language for ``_()``; None returns to the locale's choice."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}: use one of {', '.join(LANGUAGES)}")
    global _language
    _language = lang


def current_language() -> str:
    """Return the language ``_()`` translates into now."""
    return _language or detect_language()


def _load_catalog(po_path: Path) -> gettext.GNUTranslations:
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=po_path.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """Return the merged catalogs of one language (English is the identity)."""
    if lang == "en":
        return gettext.NullTranslations()
    merged: gettext.NullTranslations = gettext.NullTranslations()
    first = True
    for po_path in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        catalog = _load_catalog(po_path)
        if first:
            merged = catalog
            first = False
        else:
            merged.add_fallback(catalog)
    return merged


def translate(message: str, lang: str | None = None) -> str:
    """Translate one English source string into ``lang`` (default: the current language)."""
    return translations(lang or current_language()).gettext(message)


def _(message: str) -> str:
    """Translate a source string into the current language."""
    return translate(message)


def ngettext(singular: str, plural: str, count: int, lang: str | None = None) -> str:
    """Translate a message whose form depends on ``count``."""
    return translations(lang or current_language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message
