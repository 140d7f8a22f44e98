"""Every people-facing message has a Japanese translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from mar_runner import i18n

SOURCE_DIR = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _source_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    try:
        import jinja2  # noqa: F401
    except ImportError:  # pragma: no cover
        method_map = method_map[:1]
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(SOURCE_DIR), method_map=method_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _japanese_catalog() -> dict[str, str]:
    merged: dict[str, str] = {}
    for po_path in sorted((SOURCE_DIR / "locale" / "ja" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale="ja")
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            text = message.string[0] if isinstance(message.string, tuple) else message.string
            if text and not message.fuzzy:
                merged[msgid] = text
    return merged


def test_every_message_has_japanese():
    catalog = _japanese_catalog()
    missing = {msgid: where for msgid, where in _source_messages().items() if msgid not in catalog}
    assert not missing, "messages without a Japanese translation:\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_japanese_keeps_placeholders():
    import re

    placeholder = re.compile(r"\{[a-z_0-9]*\}|%\([a-z_0-9]+\)[sd]")
    for msgid, text in _japanese_catalog().items():
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(text)), msgid


def test_language_from_locale(monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert i18n.current_language() == "ja"
    assert i18n._("Interrupted.") == "中断しました。"


def test_language_option_wins_over_locale(monkeypatch):
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    i18n.set_language("en")
    assert i18n._("Interrupted.") == "Interrupted."


def test_unknown_language_rejected():
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        i18n.set_language("fr")
