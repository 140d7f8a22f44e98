"""Small validated value types of the configuration: durations, thumbprints, names, domains."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

_DURATION = re.compile(r"^([1-9][0-9]*)([hd])$")
_HEX_SEPARATORS = re.compile(r"[\s:]")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_HOSTNAME_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

ALL_DOMAINS = "ALL"


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``30d`` or ``12h`` (a positive integer with unit h or d)."""
    if not isinstance(text, str):
        raise ValueError(
            f"invalid duration {text!r}: write a positive integer followed by h or d, like 12h or 30d"
        )
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(
            f"invalid duration {text!r}: write a positive integer followed by h or d, like 12h or 30d"
        )
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount)


@dataclass(frozen=True)
class Thumbprint:
    """A certificate thumbprint: ``sha1`` (40 hex digits) or ``sha256`` (64), upper-case hex."""

    algorithm: str
    hex: str

    def __repr__(self) -> str:
        return f"Thumbprint({self.algorithm}, {self.hex})"


def normalize_thumbprint(text: str) -> Thumbprint:
    """Read a thumbprint in any form admins paste: hex with spaces or colons in any case, or base64.

    Base64 is what PowerShell's ``[Convert]::ToBase64String($cert.GetCertHash())``
    prints. 20 bytes are a SHA-1 thumbprint, 32 bytes a SHA-256 one.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(_thumbprint_error(text))
    compact = _HEX_SEPARATORS.sub("", text)
    if _HEX.match(compact) and len(compact) in (40, 64):
        return Thumbprint("sha1" if len(compact) == 40 else "sha256", compact.upper())
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(_thumbprint_error(text)) from None
    if len(raw) == 20:
        return Thumbprint("sha1", raw.hex().upper())
    if len(raw) == 32:
        return Thumbprint("sha256", raw.hex().upper())
    raise ValueError(_thumbprint_error(text))


def _thumbprint_error(text: object) -> str:
    return (
        f"invalid thumbprint {text!r}: give the certificate's SHA-1 (40 hex digits) or SHA-256 "
        "(64 hex digits) hash, as hex with or without spaces or colons, or as base64"
    )


def is_guid(text: object) -> bool:
    """Tell whether ``text`` is a GUID such as ``00000000-0000-0000-0000-000000000001``."""
    if not isinstance(text, str):
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return bool(re.match(r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$", text))


def normalize_domain(text: str) -> str:
    """Return the comparison form of a domain: lower case, IDNA (punycode), no trailing dot.

    ``ALL`` stays as it is. Raises ValueError for a value that is not a domain name.
    """
    if text == ALL_DOMAINS:
        return text
    value = text.strip().rstrip(".").lower()
    if value.startswith("*."):
        raise ValueError(f"wildcard domain {text!r}")
    if value.isascii():
        ascii_form = value  # the IDNA codec is slow and changes nothing here
    else:
        try:
            ascii_form = value.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"invalid domain {text!r}") from None
    labels = ascii_form.split(".")
    if len(labels) < 2 or not all(_HOSTNAME_LABEL.match(label) for label in labels):
        raise ValueError(f"invalid domain {text!r}")
    return ascii_form


def is_hostname(text: str) -> bool:
    """Tell whether ``text`` is a DNS host name (one label such as ``localhost`` is allowed)."""
    try:
        ascii_form = text.rstrip(".").lower().encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return all(_HOSTNAME_LABEL.match(label) for label in ascii_form.split("."))
