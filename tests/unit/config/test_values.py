"""Durations, thumbprints, GUIDs and domains."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from mar_runner.config.values import Thumbprint, is_guid, normalize_domain, normalize_thumbprint, parse_duration

SHA1_HEX = "AF9205CA7C886954355AC339849768EBA3146975"
SHA256_HEX = "9D14CB" + "0" * 58


def test_duration_days():
    assert parse_duration("30d") == timedelta(days=30)


def test_duration_hours():
    assert parse_duration("12h") == timedelta(hours=12)


@pytest.mark.parametrize("text", ["30", "0d", "1w", "d", "-3d", "1.5d", ""])
def test_duration_rejected(text):
    with pytest.raises(ValueError) as error:
        parse_duration(text)
    assert str(error.value) == (
        f"invalid duration {text!r}: write a positive integer followed by h or d, like 12h or 30d"
    )


def test_thumbprint_from_powershell_base64():
    assert normalize_thumbprint("r5IFynyIaVQ1WsM5hJdo66MUaXU=") == Thumbprint("sha1", SHA1_HEX)


@pytest.mark.parametrize(
    "text",
    [
        SHA1_HEX,
        SHA1_HEX.lower(),
        " ".join(SHA1_HEX[i : i + 2] for i in range(0, 40, 2)),
        ":".join(SHA1_HEX[i : i + 2].lower() for i in range(0, 40, 2)),
    ],
)
def test_thumbprint_hex_forms(text):
    assert normalize_thumbprint(text) == Thumbprint("sha1", SHA1_HEX)


def test_thumbprint_64_hex_is_sha256():
    assert normalize_thumbprint(SHA256_HEX.lower()) == Thumbprint("sha256", SHA256_HEX)


def test_thumbprint_base64_of_32_bytes_is_sha256():
    text = base64.b64encode(bytes.fromhex(SHA256_HEX)).decode()
    assert normalize_thumbprint(text) == Thumbprint("sha256", SHA256_HEX)


@pytest.mark.parametrize("text", ["abc", SHA1_HEX[:-2], "zz" * 20, ""])
def test_thumbprint_rejected(text):
    with pytest.raises(ValueError) as error:
        normalize_thumbprint(text)
    assert str(error.value) == (
        f"invalid thumbprint {text!r}: give the certificate's SHA-1 (40 hex digits) or SHA-256 "
        "(64 hex digits) hash, as hex with or without spaces or colons, or as base64"
    )


def test_guid():
    assert is_guid("00000000-0000-0000-0000-000000000001")


def test_guid_rejects_short_form():
    assert not is_guid("0000000000000000000000000000001")


def test_domain_is_lowercased_and_idna():
    assert normalize_domain("Bücher.Example.") == "xn--bcher-kva.example"


def test_domain_keeps_all():
    assert normalize_domain("ALL") == "ALL"


@pytest.mark.parametrize("text", ["*.example.com", "example", "exa mple.com", "-bad.example.com"])
def test_domain_rejected(text):
    with pytest.raises(ValueError):
        normalize_domain(text)
