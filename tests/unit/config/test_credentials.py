"""Private keys, certificates and CA bundles: each wrong input is named for what it is."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from mar_runner.config import credentials


def _encrypted(keys, passphrase: bytes) -> str:
    return keys.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(passphrase)
    ).decode()


def problem_of(text: str, passphrase: str | None = None) -> tuple[str, str] | None:
    return credentials.load_private_key(text, passphrase)[1]


def test_plain_key_loads(app_keys):
    key, problem = credentials.load_private_key(app_keys.key_pem, None)
    assert problem is None
    assert key.key_size == 2048


def test_encrypted_key_with_passphrase_loads(app_keys):
    key, problem = credentials.load_private_key(_encrypted(app_keys, b"s3cret"), "s3cret")
    assert problem is None
    assert key.public_key().public_numbers() == app_keys.key.public_key().public_numbers()


def test_encrypted_key_without_passphrase(app_keys):
    assert problem_of(_encrypted(app_keys, b"s3cret")) == (
        "private_key is encrypted but private_key_passphrase is not set",
        "set private_key_passphrase, or give the key unencrypted",
    )


def test_encrypted_key_wrong_passphrase(app_keys):
    assert problem_of(_encrypted(app_keys, b"s3cret"), "wrong") == (
        "private_key_passphrase does not decrypt private_key, or the key encryption is not supported",
        "check the passphrase; re-export the key as PKCS#8 with AES if it is right",
    )


def test_passphrase_for_plain_key(app_keys):
    assert problem_of(app_keys.key_pem, "s3cret") == (
        "private_key is not encrypted but private_key_passphrase is set",
        "remove private_key_passphrase",
    )


def test_certificate_instead_of_key(app_keys):
    assert problem_of(app_keys.cert_pem) == (
        "private_key holds a certificate, not a private key",
        "give the certificate's private key (PEM starting with -----BEGIN PRIVATE KEY-----)",
    )


def test_pfx_renamed_pem(app_keys):
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(app_keys.cert_pem.encode())
    pfx = pkcs12.serialize_key_and_certificates(
        b"app", app_keys.key, cert, None, serialization.BestAvailableEncryption(b"pfx-pass")
    )
    expected = (
        "private_key holds a PKCS#12 (PFX) file, not a PEM private key",
        "extract the key with: openssl pkcs12 -in cert.pfx -nocerts -out key.pem",
    )
    assert problem_of(base64.b64encode(pfx).decode()) == expected
    assert problem_of(pfx.decode("latin-1")) == expected


def test_garbage_key():
    assert problem_of("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n") == (
        "private_key is not a valid PEM private key",
        "give the private key in PEM form (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)",
    )


def test_short_rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert problem_of(pem.decode()) == (
        "private_key is an RSA key of 1024 bits, fewer than 2048",
        "create a certificate with an RSA key of at least 2048 bits",
    )


def test_ec_key_rejected():
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert problem_of(pem.decode()) == (
        "private_key is not an RSA key",
        "Entra ID app certificates need an RSA key of at least 2048 bits",
    )


def test_ca_bundle_with_two_certificates(app_keys, other_keys):
    certificates, problem = credentials.load_certificates(app_keys.cert_pem + other_keys.cert_pem, "ca_certificate")
    assert problem is None
    assert len(certificates) == 2


def test_thumbprints_of_certificate(app_keys):
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(app_keys.cert_pem.encode())
    assert credentials.certificate_thumbprints(cert) == (app_keys.sha1, app_keys.sha256)


@pytest.mark.parametrize("passphrase", [None, ""])
def test_empty_passphrase_counts_as_unset(app_keys, passphrase):
    assert problem_of(_encrypted(app_keys, b"s3cret"), passphrase)[0] == (
        "private_key is encrypted but private_key_passphrase is not set"
    )


def test_damaged_key(app_keys):
    numbers = app_keys.key.private_numbers()
    broken = rsa.RSAPrivateNumbers(
        p=numbers.p,
        q=numbers.q,
        d=numbers.d + 2,
        dmp1=numbers.dmp1 + 2,
        dmq1=numbers.dmq1,
        iqmp=numbers.iqmp,
        public_numbers=numbers.public_numbers,
    ).private_key(unsafe_skip_rsa_key_validation=True)
    pem = broken.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert problem_of(pem.decode()) == (
        "private_key is damaged: its parts do not form a working RSA key",
        "export the key again from the certificate store",
    )
