"""Checks of the PEM material in graph and ews profiles: private keys, certificates, CA bundles.

Each check returns None when the value is fine, or a (rule, fix) pair of
translated text that names what the value is instead (a certificate, a PFX
file, an encrypted key without its passphrase, ...).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from mar_runner.config.values import Thumbprint
from mar_runner.i18n import _

Problem = tuple[str, str]
MIN_RSA_BITS = 2048


def _looks_like_pfx(text: str) -> bool:
    candidates = [text.encode("latin-1", errors="ignore")]
    try:
        candidates.append(base64.b64decode("".join(text.split()), validate=True))
    except (binascii.Error, ValueError):
        pass
    for data in candidates:
        if not data.startswith(b"\x30"):
            continue
        try:
            pkcs12.load_key_and_certificates(data, None)
            return True
        except ValueError as error:
            if "password" in str(error).lower():
                return True
        except Exception:  # noqa: BLE001 - any other parse failure means "not a PFX"
            continue
    return False


def load_private_key(text: str, passphrase: str | None) -> tuple[rsa.RSAPrivateKey | None, Problem | None]:
    """Load a PEM RSA private key of at least 2048 bits, or return a problem naming what the value is instead."""
    if "PRIVATE KEY-----" not in text:
        if "-----BEGIN CERTIFICATE-----" in text:
            return None, (
                _("private_key holds a certificate, not a private key"),
                _("give the certificate's private key (PEM starting with -----BEGIN PRIVATE KEY-----)"),
            )
        if _looks_like_pfx(text):
            return None, (
                _("private_key holds a PKCS#12 (PFX) file, not a PEM private key"),
                _("extract the key with: openssl pkcs12 -in cert.pfx -nocerts -out key.pem"),
            )
        return None, (
            _("private_key is not a PEM private key"),
            _("give the private key in PEM form (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)"),
        )
    encrypted = "ENCRYPTED PRIVATE KEY" in text or "Proc-Type: 4,ENCRYPTED" in text
    if encrypted and not passphrase:
        return None, (
            _("private_key is encrypted but private_key_passphrase is not set"),
            _("set private_key_passphrase, or give the key unencrypted"),
        )
    if passphrase and not encrypted:
        # msal hands the passphrase to cryptography, which rejects it for a plain key.
        return None, (
            _("private_key is not encrypted but private_key_passphrase is set"),
            _("remove private_key_passphrase"),
        )
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        # The full RSA consistency check costs about 0.1 s per key; signing a probe
        # below catches an inconsistent key as well, in about a millisecond.
        key = serialization.load_pem_private_key(
            text.encode("utf-8"), password=password, unsafe_skip_rsa_key_validation=True
        )
    except UnsupportedAlgorithm:
        return None, (
            _("private_key is encrypted with an algorithm that cannot be read"),
            _("re-export it as PKCS#8 with AES: openssl pkcs8 -topk8 -v2 aes-256-cbc"),
        )
    except ValueError:
        if encrypted:
            return None, (
                _("private_key_passphrase does not decrypt private_key, or the key encryption is not supported"),
                _("check the passphrase; re-export the key as PKCS#8 with AES if it is right"),
            )
        return None, (
            _("private_key is not a valid PEM private key"),
            _("give the private key in PEM form (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)"),
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        return None, (_("private_key is not an RSA key"), _("Entra ID app certificates need an RSA key of at least 2048 bits"))
    if key.key_size < MIN_RSA_BITS:
        return None, (
            _("private_key is an RSA key of {bits} bits, fewer than 2048").format(bits=key.key_size),
            _("create a certificate with an RSA key of at least 2048 bits"),
        )
    if not _signs_correctly(key):
        return None, (
            _("private_key is damaged: its parts do not form a working RSA key"),
            _("export the key again from the certificate store"),
        )
    return key, None


def _signs_correctly(key: rsa.RSAPrivateKey) -> bool:
    probe = b"mailsec.mar key check"
    try:
        signature = key.sign(probe, padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(signature, probe, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def load_certificate(text: str, field: str) -> tuple[x509.Certificate | None, Problem | None]:
    """Load the first PEM certificate of ``text``."""
    certificates, problem = load_certificates(text, field)
    return (certificates[0] if certificates else None), problem


def load_certificates(text: str, field: str) -> tuple[list[x509.Certificate], Problem | None]:
    """Load every PEM certificate of ``text`` (a CA bundle may hold several)."""
    if "-----BEGIN CERTIFICATE-----" not in text:
        if "PRIVATE KEY-----" in text:
            return [], (
                _("{field} holds a private key, not a certificate").format(field=field),
                _("give the certificate in PEM form (-----BEGIN CERTIFICATE-----)"),
            )
        return [], (
            _("{field} is not a PEM certificate").format(field=field),
            _("give the certificate in PEM form (-----BEGIN CERTIFICATE-----)"),
        )
    try:
        return x509.load_pem_x509_certificates(text.encode("utf-8")), None
    except ValueError:
        return [], (
            _("{field} is not a valid PEM certificate").format(field=field),
            _("give the certificate in PEM form (-----BEGIN CERTIFICATE-----)"),
        )


def certificate_thumbprints(certificate: x509.Certificate) -> tuple[str, str]:
    """Return the SHA-1 and SHA-256 thumbprints (upper-case hex) of a certificate."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der).hexdigest().upper(), hashlib.sha256(der).hexdigest().upper()  # noqa: S324


def key_matches_certificate(key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> bool:
    """Tell whether the certificate carries the public half of ``key``."""
    return key.public_key().public_numbers() == getattr(certificate.public_key(), "public_numbers", lambda: None)()


def thumbprint_matches(thumbprint: Thumbprint, certificate: x509.Certificate) -> bool:
    """Tell whether ``thumbprint`` is the certificate's SHA-1 or SHA-256 thumbprint."""
    sha1, sha256 = certificate_thumbprints(certificate)
    return thumbprint.hex == (sha1 if thumbprint.algorithm == "sha1" else sha256)
