"""Parsers of the AsyncOS mail and AMP log messages that matter for tracking.

Each function takes the message text after the log level and returns the
parts it needs, or None when the text does not have that shape.
"""

from __future__ import annotations

import quopri
import re
from email.header import decode_header, make_header

RE_ENVELOPE = re.compile(r"ICID \d+ (?:From: ?(.*)|RID (\d+) To: ?(.*))$")
RE_POLICY = re.compile(
    r"matched (?:all recipients|recipients? \[([\d,\s]*)\]) for per-recipient policy (.+?) in the \w+ table"
)
RE_REWRITE = re.compile(r"rewritten to (?:MID )?(\d+)\b")
RE_GENERATED = re.compile(r"generated based on MID (\d+)\b")
RE_RESPONSE = re.compile(r"RID\s+\[([\d,\s]*)\]\s+Response\s+'?\"?(\d)")
RE_DONE = re.compile(r"Message done DCID \d+ MID (\d+) to RID \[([\d,\s]*)\]")
RE_DELIVERY_START = re.compile(r"Delivery start DCID \d+ MID (\d+) to RID \[([\d,\s]*)\]")
RE_FINISHED = re.compile(r"Message finished MID (\d+) (done|aborted)\b")
RE_ABORTED = re.compile(r"Message aborted MID (\d+)\b")
RE_START = re.compile(r"Start MID (\d+)\b")
RE_BOUNCE = re.compile(
    r"ounced: DCID \d+ MID (\d+) From: ?<?([^>\s]*)>? To: ?<?([^>\s]*)>? RID (\d+)"
)
RE_AMP_FILE = re.compile(r"File ?Name\s*=\s*(.*?),\s*MID\s*=\s*(\d+)")
RE_AMP_SHA = re.compile(r"\bsha256\s*=\s*([0-9A-Fa-f]{64})\b", re.IGNORECASE)
RE_FOLD = re.compile(r"(?:\\r)?\\n(?=[ \t])")


def rid_list(text: str) -> list[int]:
    """Return the RIDs of a list such as ``0, 1, 2``; raise ValueError on anything else."""
    return [int(part) for part in text.replace(",", " ").split()]


def address(text: str) -> str | None:
    """Return the address of ``<a@example.com>`` or ``a@example.com`` in lower case, or None."""
    text = text.strip()
    if text.startswith("<"):
        end = text.find(">")
        if end < 0:
            return None
        value = text[1:end].strip()
    else:
        value = text.split(None, 1)[0] if text else ""
    return value.lower() or None


def unquote(text: str) -> str:
    """Remove one pair of matching single or double quotes around ``text``."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def subject(text: str) -> str:
    """Return a logged subject in any of its quoting styles, with folded lines joined.

    Subjects come as ``'text'``, ``"text"`` or unquoted. Long ones keep the
    header folding as a literal ``\\r\\n`` followed by a space, which is
    removed here as header unfolding would remove it.
    """
    text = text.strip()
    if len(text) >= 2 and text[0] in "'\"" and text.endswith(text[0]):
        text = text[1:-1]
    return RE_FOLD.sub("", text)


def attachment_name(text: str) -> str:
    """Return an attachment name as logged, decoded from quoted-printable or an RFC 2047 word."""
    name = unquote(text.strip())
    if name.startswith("=?") and name.endswith("?="):
        try:
            return str(make_header(decode_header(name)))
        except (ValueError, LookupError, UnicodeDecodeError):
            return name
    if "=" not in name:
        return name
    try:
        return quopri.decodestring(name.encode("utf-8")).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return name


def amp_file(text: str) -> tuple[str, int, str | None] | None:
    """Return (file name, MID, SHA-256 or None) of an AMP file reputation line, or None.

    File names may contain commas and colons and may be unquoted, so the name
    runs up to the ``MID =`` key that follows it.
    """
    match = RE_AMP_FILE.search(text)
    if match is None:
        return None
    sha = RE_AMP_SHA.search(text, match.end())
    return unquote(match.group(1).strip()), int(match.group(2)), sha.group(1).lower() if sha else None
