"""Opaque EWS ids for items, folders and attachments.

An id names its mailbox, like a real Exchange id does, so an id used under another
impersonated mailbox is not found there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

_KINDS = {"item": "I", "folder": "F", "attachment": "A"}


@dataclass(frozen=True)
class DecodedId:
    kind: str
    address: str
    key: str


def encode(kind: str, address: str, key: str) -> str:
    raw = f"{_KINDS[kind]}\x00{address.lower()}\x00{key}".encode("utf-8")
    return "AAMk" + base64.b64encode(raw).decode("ascii")


def change_key(key: str) -> str:
    return "CQAAABYA" + base64.b64encode(hashlib.sha1(key.encode("utf-8")).digest()[:12]).decode("ascii")


def decode(value: str | None, kind: str) -> DecodedId | None:
    """Decode an id of the given kind, or return None when it is not one."""
    if not value or not value.startswith("AAMk"):
        return None
    try:
        raw = base64.b64decode(value[4:], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    parts = raw.split("\x00")
    if len(parts) != 3 or parts[0] != _KINDS[kind]:
        return None
    return DecodedId(kind, parts[1], parts[2])
