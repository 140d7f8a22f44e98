"""Access tokens the sandbox's login endpoint issues and its Graph endpoint checks (JWT, HS256).

Real Entra tokens are RS256; clients treat them as opaque, so the sandbox
signs with a per-process secret and keeps the claims Graph relies on:
``tid``, ``appid``, ``roles``, ``aud``, ``iat``, ``nbf``, ``exp``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

GRAPH_AUDIENCES = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without ``=`` padding; raise ValueError on bad input."""
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError(f"invalid base64url: {exc}") from None


def issue_token(secret: bytes, *, tenant_id: str, client_id: str, roles: list[str], audience: str, now: float, lifetime: int, issuer: str) -> str:
    header = {"typ": "JWT", "alg": "HS256"}
    claims = {
        "aud": audience,
        "iss": issuer,
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + lifetime,
        "appid": client_id,
        "azp": client_id,
        "idtyp": "app",
        "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{tenant_id}:{client_id}")),
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{tenant_id}:{client_id}")),
        "tid": tenant_id,
        "ver": "1.0",
        "uti": b64url_encode(uuid.uuid4().bytes),
    }
    if roles:
        claims["roles"] = sorted(roles)
    signing_input = b64url_encode(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url_encode(
        json.dumps(claims, separators=(",", ":")).encode()
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url_encode(signature)


@dataclass(frozen=True)
class TokenClaims:
    tenant_id: str
    client_id: str
    roles: frozenset[str]
    audience: str
    not_before: float
    expires: float


class TokenInvalid(Exception):
    """The token is malformed or its signature does not verify."""


def read_token(secret: bytes, token: str) -> TokenClaims:
    """Verify a token's signature and return its claims (expiry is the caller's check)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenInvalid("not a JWT")
    expected = hmac.new(secret, (parts[0] + "." + parts[1]).encode(), hashlib.sha256).digest()
    try:
        signature = b64url_decode(parts[2])
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        raise TokenInvalid("malformed JWT") from None
    if not hmac.compare_digest(signature, expected):
        raise TokenInvalid("signature does not verify")
    try:
        return TokenClaims(
            tenant_id=claims["tid"],
            client_id=claims["appid"],
            roles=frozenset(claims.get("roles", [])),
            audience=claims["aud"],
            not_before=float(claims["nbf"]),
            expires=float(claims["exp"]),
        )
    except (KeyError, TypeError, ValueError):
        raise TokenInvalid("claims missing") from None
