"""Escaping of values in log lines, so that a value cannot forge a line.

Subjects, file names and addresses come from the sender of a message, so a
log line must show them without letting CR, LF, other control characters,
ANSI escape sequences, Unicode line separators or bidirectional overrides
reach the file. Each such character is written as a backslash escape
(``\\r``, ``\\n``, ``\\t``, ``\\xNN``, ``\\uNNNN``); a backslash itself is doubled.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\\": "\\\\"}
# Categories escaped besides the named characters: control characters (Cc,
# which contains ESC and DEL), format characters (Cf: bidirectional overrides,
# zero-width joiners), line and paragraph separators (Zl, Zp), and surrogates
# or unassigned code points that a terminal may show as anything.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _escape_char(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x80:
        if 0x20 <= code < 0x7F:
            return char
        return f"\\x{code:02x}"
    if unicodedata.category(char) in _ESCAPED_CATEGORIES:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def escape_text(value: Any) -> str:
    """Return ``value`` as text on one line, with every unsafe character escaped."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape_char(char) for char in text)


def format_value(value: Any) -> str:
    """Return ``value`` for a ``key=value`` pair: escaped, and quoted when needed.

    None is ``-``; booleans are ``true``/``false``; lists are comma-joined.
    A value with a space, a double quote, an equals sign or nothing in it is
    put in double quotes, with an inner double quote written as ``\\"``.
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        value = ",".join(escape_text(item) for item in value)
    text = escape_text(value)
    if text == "" or any(char in text for char in ' "=') or text == "-":
        return '"' + text.replace('"', '\\"') + '"'
    return text


def make_visible(value: Any) -> Any:
    """Return text with unsafe characters escaped as in ``escape_text`` but backslashes kept.

    Used where the output has its own quoting (HTML, CSV) and only control
    characters must go: HTML forbids them, and a terminal would run ANSI
    escapes. Values other than strings are returned unchanged.
    """
    if not isinstance(value, str) or (value.isprintable() and value.isascii()):
        return value
    if value.isascii():
        # ASCII text can only carry C0 controls and DEL; a regex is much
        # faster than the per-character path on long values.
        return _ASCII_CONTROL.sub(lambda match: _escape_char(match.group()), value)
    return "".join(char if char == "\\" else _escape_char(char) for char in value)
