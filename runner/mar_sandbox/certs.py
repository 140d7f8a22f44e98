"""Certificates of the sandbox: its CA, the TLS server certificates, and app credentials for tests.

The CA and server keys are ECDSA P-256, which is quick to generate and to
handshake with; app credentials are RSA 2048 because client assertions are
signed with RS256 or PS256. Private key files are written with mode 0600.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = ("localhost", "127.0.0.1")
# Served when the wrong-certificate fault is on: signed by the sandbox CA but
# for a name no client asks for, so verification fails on the host name only.
WRONG_SERVER_NAME = "wrong-host.invalid"


@dataclass(frozen=True)
class CertificateAuthority:
    """The sandbox CA: its certificate and key in PEM form."""

    cert_pem: bytes
    key_pem: bytes


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _new_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailsec.mar sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def create_ca(common_name: str = "mailsec.mar sandbox CA", days: int = 30) -> CertificateAuthority:
    """Create a self-signed CA certificate valid from one hour ago for ``days`` days."""
    key = _new_ec_key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def load_ca(cert_path: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> CertificateAuthority:
    """Load a CA from PEM files; raise ValueError naming the file when it is not a CA certificate or key."""
    cert_pem = Path(cert_path).read_bytes()
    key_pem = Path(key_path).read_bytes()
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise ValueError(f"{cert_path}: not a PEM certificate ({exc})") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{key_path}: not an unencrypted PEM private key ({exc})") from None
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ValueError(f"{cert_path}: the certificate is not a CA (basicConstraints CA:TRUE missing)")
    if cert.public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
        raise ValueError(f"{key_path}: the key does not belong to the certificate {cert_path}")
    return CertificateAuthority(cert_pem, key_pem)


def issue_server_certificate(
    ca: CertificateAuthority, names: tuple[str, ...] = SERVER_NAMES, days: int = 30
) -> tuple[bytes, bytes]:
    """Issue a TLS server certificate for DNS names and IP addresses; return (cert_pem, key_pem)."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    key = _new_ec_key()
    now = _now()
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def make_app_certificate(
    common_name: str,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> tuple[str, str, str, str]:
    """Create a self-signed app credential; return (key_pem, cert_pem, sha1_hex, sha256_hex).

    Thumbprints are uppercase hex of the DER certificate, as the Entra portal
    shows them. The default validity is one day back to one year ahead.
    """
    key = _new_key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return (
        _key_pem(key).decode(),
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        hashlib.sha1(der).hexdigest().upper(),  # noqa: S324 - the x5t thumbprint is SHA-1 by definition
        hashlib.sha256(der).hexdigest().upper(),
    )


def certificate_thumbprints(cert_pem: str | bytes) -> tuple[str, str, dt.datetime, dt.datetime]:
    """Return (sha1_hex, sha256_hex, not_before, not_after) of a PEM certificate."""
    data = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
    cert = x509.load_pem_x509_certificate(data)
    der = cert.public_bytes(serialization.Encoding.DER)
    return (
        hashlib.sha1(der).hexdigest().upper(),  # noqa: S324
        hashlib.sha256(der).hexdigest().upper(),
        cert.not_valid_before_utc,
        cert.not_valid_after_utc,
    )


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (mode 0600), replacing any old one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
