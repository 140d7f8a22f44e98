"""Consolidated event log (CEF) lines of AsyncOS: one line per message.

Fields used: ``ESAMID`` (MID), ``cs4`` (the Message-ID, CEF-escaped and
possibly empty), ``suser`` (sender), ``duser`` (recipients), ``msg``
(subject), ``act`` (final action) and ``ESAAttachmentDetails``, a Python
dict literal read with ``ast.literal_eval`` (never ``eval``).
"""

from __future__ import annotations

import ast
import re
import sqlite3

from mar_runner.i18n import _
from mar_runner.tracking.model import normalize_address, normalize_message_id
from mar_runner.tracking.store import MessageRecord, RecipientRecord

RE_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z][\w.\[\]-]*)=")
RE_SHA256 = re.compile(r"^[0-9A-Fa-f]{64}$")
ACTIONS = {
    "DELIVERED": "delivered",
    "QUARANTINED": "quarantined",
    "DQ": "quarantined",
    "ABORTED": "aborted",
    "BOUNCED": "bounced",
    "DROPPED": "aborted",
}
MAX_DETAILS_CHARS = 200_000
# Messages of the same MID within this many seconds are taken as one message.
SAME_MESSAGE_SECONDS = 2 * 86400


class CefError(ValueError):
    """A CEF line that cannot be used, with the reason as its text."""


def unescape(value: str) -> str:
    """Undo CEF extension escaping (``\\=``, ``\\\\``, ``\\n``, ``\\r``) and strip matching outer quotes."""
    if "\\" in value:
        out = []
        index = 0
        while index < len(value):
            char = value[index]
            if char == "\\" and index + 1 < len(value):
                following = value[index + 1]
                out.append({"n": "\n", "r": "\r"}.get(following, following))
                index += 2
                continue
            out.append(char)
            index += 1
        value = "".join(out)
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def _balanced_end(text: str, start: int) -> int:
    """Return the index after the dict literal opening at ``start``, honouring quotes."""
    depth = 0
    quote = None
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise CefError(_("ESAAttachmentDetails is not closed: the line may be truncated"))


def parse_extension(text: str) -> dict[str, str]:
    """Split a CEF extension into unescaped values; ESAAttachmentDetails is kept raw."""
    fields: dict[str, str] = {}
    marker = text.find("ESAAttachmentDetails=")
    if marker >= 0:
        start = marker + len("ESAAttachmentDetails=")
        if text.startswith("{", start):
            end = _balanced_end(text, start)
            fields["ESAAttachmentDetails"] = text[start:end]
            text = text[:marker] + text[end:]
    matches = list(RE_KEY.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        fields[match.group(1)] = unescape(text[match.end() : end])
    return fields


def split_header(text: str) -> tuple[list[str], str]:
    """Return the seven CEF header fields and the extension; pipes escaped with a backslash stay."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text) and len(parts) < 7:
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index + 1])
            index += 2
            continue
        if char == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    if len(parts) < 7:
        raise CefError(_("CEF header has fewer than 7 fields: the line may be truncated"))
    return parts, text[index:]


def attachments(details: str) -> list[tuple[str, str]]:
    """Return (file name, SHA-256) pairs of an ESAAttachmentDetails dict literal."""
    if len(details) > MAX_DETAILS_CHARS:
        raise CefError(_("ESAAttachmentDetails longer than {limit} characters").format(limit=MAX_DETAILS_CHARS))
    try:
        value = ast.literal_eval(details)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise CefError(_("ESAAttachmentDetails is not a Python dict literal")) from None
    if not isinstance(value, dict):
        raise CefError(_("ESAAttachmentDetails is not a Python dict literal"))
    found: list[tuple[str, str]] = []
    for name, engines in value.items():
        hashes = sorted(_file_hashes(engines))
        if not hashes:
            found.append((str(name), ""))
        found.extend((str(name), sha) for sha in hashes)
    return found


def _file_hashes(value: object) -> set[str]:
    hashes: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "fileHash" and isinstance(item, str) and RE_SHA256.match(item):
                hashes.add(item.lower())
            else:
                hashes |= _file_hashes(item)
    return hashes


def cef_record(text: str, when: float | None, conn: sqlite3.Connection) -> MessageRecord:
    """Return the message of one CEF line; raise CefError when it cannot be used.

    When the index already contains an AsyncOS message with the same MID from
    around the same time, the record updates that message.
    """
    _header, extension = split_header(text)
    fields = parse_extension(extension)
    mid_text = fields.get("ESAMID", "")
    if not mid_text.isdigit():
        raise CefError(_("CEF event without a numeric ESAMID: not a message event"))
    mid = int(mid_text)
    raw_id = fields.get("cs4") or None
    status = ACTIONS.get(fields.get("act", "").strip().upper(), "pending")
    recipients = [
        RecipientRecord(address=address, mid=mid, status=status, delivered_at=when if status == "delivered" else None)
        for address in (normalize_address(part) for part in re.split(r"[;,\s]+", fields.get("duser", "")))
        if address
    ]
    files = attachments(fields["ESAAttachmentDetails"]) if "ESAAttachmentDetails" in fields else []
    key = _existing_key(conn, mid, when) or f"cef:{mid}:{int(when) if when is not None else normalize_message_id(raw_id)}"
    return MessageRecord(
        message_key=key,
        source="cef",
        mids=[mid],
        message_id=normalize_message_id(raw_id),
        message_id_raw=raw_id,
        sender=normalize_address(fields.get("suser")),
        subject=fields.get("msg"),
        received_at=when,
        recipients=recipients,
        attachments=files,
    )


def _existing_key(conn: sqlite3.Connection, mid: int, when: float | None) -> str | None:
    if when is None:
        return None
    row = conn.execute(
        "SELECT m.message_key FROM trk_mids t JOIN trk_messages m ON m.id = t.message "
        "WHERE t.mid = ? AND m.received_at BETWEEN ? AND ? ORDER BY m.received_at DESC LIMIT 1",
        (mid, when - SAME_MESSAGE_SECONDS, when + SAME_MESSAGE_SECONDS),
    ).fetchone()
    return row[0] if row else None
