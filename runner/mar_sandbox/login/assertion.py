"""Verification of a client assertion (RFC 7523 JWT) against an app registration's certificates.

The certificate is picked by the header's ``x5t#S256`` (SHA-256) or ``x5t``
(SHA-1), each base64url with or without ``=`` padding, as msal sends it. The
signature may be RS256 (PKCS#1 v1.5) or PS256 (PSS).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mar_sandbox.login import errors
from mar_sandbox.model import AppCertificate, AppRegistration
from mar_sandbox.tokens import b64url_decode

# Entra accepts assertions up to five minutes outside exp/nbf.
CLOCK_SKEW = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _segments(assertion: str) -> tuple[dict, dict, bytes, bytes]:
    parts = assertion.split(".")
    if len(parts) != 3:
        raise errors.malformed_assertion()
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError:
        raise errors.malformed_assertion() from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise errors.malformed_assertion()
    return header, claims, signature, (parts[0] + "." + parts[1]).encode("ascii")


def _thumbprint(header: dict) -> tuple[str, str]:
    """Return (algorithm, uppercase hex) of the thumbprint in the header."""
    for name, algorithm in (("x5t#S256", "sha256"), ("x5t", "sha1")):
        value = header.get(name)
        if isinstance(value, str) and value:
            try:
                return algorithm, b64url_decode(value).hex().upper()
            except ValueError:
                raise errors.malformed_assertion() from None
    raise errors.malformed_assertion()


def _verify_signature(cert: AppCertificate, algorithm: str, signature: bytes, signed: bytes) -> bool:
    public_key = x509.load_pem_x509_certificate(cert.pem.encode()).public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    if algorithm == "RS256":
        pad: padding.AsymmetricPadding = padding.PKCS1v15()
    elif algorithm == "PS256":
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    else:
        return False
    try:
        public_key.verify(signature, signed, pad, hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _time(value: object) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), timezone.utc)
    return None


def verify_assertion(
    assertion: str,
    *,
    app: AppRegistration,
    client_id: str,
    accepted_audiences: tuple[str, ...],
    now: datetime,
) -> None:
    """Raise AadError unless the assertion is signed by a registered, valid certificate and its claims fit."""
    header, claims, signature, signed = _segments(assertion)
    algorithm, thumbprint = _thumbprint(header)
    cert = next((c for c in app.certificates if getattr(c, algorithm) == thumbprint), None)
    if cert is None:
        raise errors.key_not_found(client_id, thumbprint)
    if not (cert.not_before <= now <= cert.not_after):
        raise errors.key_expired(client_id, thumbprint, cert.not_before, cert.not_after)
    if not _verify_signature(cert, str(header.get("alg", "")), signature, signed):
        raise errors.invalid_signature(client_id, thumbprint, cert.not_before, cert.not_after)
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if not any(a in accepted_audiences for a in audiences):
        raise errors.invalid_audience(str(audience), accepted_audiences[0])
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise errors.invalid_issuer(client_id)
    expiry = _time(claims.get("exp"))
    valid_from = _time(claims.get("nbf")) or EPOCH
    if expiry is None:
        raise errors.malformed_assertion()
    if now > expiry + CLOCK_SKEW or now < valid_from - CLOCK_SKEW:
        raise errors.outside_time_range(now, valid_from, expiry)
