"""Sandbox certificates: the CA, server certificates and app credentials."""

from __future__ import annotations

import hashlib
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mar_sandbox.certs import create_ca, issue_server_certificate, load_ca, make_app_certificate, write_private


def test_app_certificate_thumbprints():
    _key, cert_pem, sha1, sha256 = make_app_certificate("app")
    der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    assert sha1 == hashlib.sha1(der).hexdigest().upper()  # noqa: S324
    assert sha256 == hashlib.sha256(der).hexdigest().upper()


def test_server_certificate_names():
    cert_pem, _key = issue_server_certificate(create_ca())
    names = x509.load_pem_x509_certificate(cert_pem).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_load_ca_round_trip(tmp_path):
    ca = create_ca()
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    (tmp_path / "ca-key.pem").write_bytes(ca.key_pem)
    assert load_ca(tmp_path / "ca.pem", tmp_path / "ca-key.pem") == ca


def test_load_ca_rejects_leaf(tmp_path):
    key_pem, cert_pem, _sha1, _sha256 = make_app_certificate("leaf")
    (tmp_path / "leaf.pem").write_text(cert_pem)
    (tmp_path / "leaf-key.pem").write_text(key_pem)
    with pytest.raises(ValueError) as raised:
        load_ca(tmp_path / "leaf.pem", tmp_path / "leaf-key.pem")
    assert str(raised.value) == f"{tmp_path / 'leaf.pem'}: the certificate is not a CA (basicConstraints CA:TRUE missing)"


def test_load_ca_rejects_other_key(tmp_path):
    ca = create_ca()
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    (tmp_path / "other.pem").write_bytes(create_ca().key_pem)
    with pytest.raises(ValueError) as raised:
        load_ca(tmp_path / "ca.pem", tmp_path / "other.pem")
    assert str(raised.value) == f"{tmp_path / 'other.pem'}: the key does not belong to the certificate {tmp_path / 'ca.pem'}"


def test_private_file_mode(tmp_path):
    write_private(tmp_path / "key.pem", b"x")
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
