"""Application tokens for one Graph profile through msal, shared by all workers."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

import msal
import requests

from mar_runner.engine.errors import PermanentError, backend_error

logger = logging.getLogger("mar.backends.graph")

CLOUDS = {
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}


def cloud_urls(profile: dict[str, Any]) -> tuple[str, str]:
    """Return the login and Graph base URLs of a profile (overrides first, then its cloud)."""
    login, graph = CLOUDS.get(profile.get("cloud") or "global", CLOUDS["global"])
    login = (profile.get("authority_url") or login).rstrip("/")
    graph = (profile.get("graph_url") or graph).rstrip("/")
    return login, graph


def client_credential(profile: dict[str, Any]) -> dict[str, str]:
    """Build msal's certificate credential from a profile.

    msal 1.39 sends a SHA-1 ``thumbprint`` as ``x5t`` (RS256). It sends a
    SHA-256 thumbprint (``x5t#S256``, PS256) only when it computes it from
    ``public_certificate`` itself, so a profile with only a SHA-256
    thumbprint must give its certificate; a 64-digit value is never passed
    as ``thumbprint``, where Entra ID would read it as SHA-1 and reject it.
    """
    key = profile.get("private_key") or ""
    passphrase = profile.get("private_key_passphrase")
    if "ENCRYPTED" in key.split("\n", 1)[0] and not passphrase:
        raise PermanentError(
            "configuration_error",
            f"profile {profile['name']}: private_key is encrypted but private_key_passphrase is not set",
        )
    credential: dict[str, str] = {"private_key": key}
    if passphrase:
        credential["passphrase"] = passphrase
    sha1 = profile.get("thumbprint_sha1")
    sha256 = profile.get("thumbprint_sha256")
    certificate = profile.get("certificate")
    if sha1 is None and sha256 is None:
        sha1, sha256 = _declared_thumbprint(profile.get("thumbprint"))
    if sha1:
        credential["thumbprint"] = sha1.upper()
    elif certificate:
        credential["public_certificate"] = certificate
    elif sha256:
        raise PermanentError(
            "configuration_error",
            f"profile {profile['name']}: a SHA-256 thumbprint needs the certificate (certificate) "
            "so that msal can send it; give the certificate or the SHA-1 thumbprint",
        )
    else:
        raise PermanentError(
            "configuration_error", f"profile {profile['name']}: set thumbprint or certificate"
        )
    return credential


def _declared_thumbprint(text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    try:
        from mar_runner.config.values import normalize_thumbprint

        thumbprint = normalize_thumbprint(text)
        algorithm = thumbprint.algorithm.lower().replace("-", "")
        return (thumbprint.hex, None) if algorithm == "sha1" else (None, thumbprint.hex)
    except (ImportError, ValueError):
        hexed = re.sub(r"[\s:]", "", text)
        if len(hexed) == 40:
            return hexed.upper(), None
        if len(hexed) == 64:
            return None, hexed.upper()
        return None, None


def token_error(result: dict[str, Any], profile: dict[str, Any]) -> PermanentError:
    """Map an msal error dict to a reason and a test-connection diagnosis."""
    codes = result.get("error_codes") or []
    description = result.get("error_description") or result.get("error") or ""
    first_line = description.splitlines()[0] if description else ""
    if 700024 in codes:
        return PermanentError("clock_skew", first_line, diagnosis="clock_skew")
    if 90002 in codes:
        return PermanentError("authentication_failed", first_line, diagnosis="wrong_tenant_id")
    if 700016 in codes:
        return PermanentError("authentication_failed", first_line, diagnosis="wrong_client_id")
    if 700027 in codes:
        lowered = description.lower()
        if "key was not found" in lowered or "not registered" in lowered:
            return PermanentError("authentication_failed", first_line, diagnosis="wrong_thumbprint")
        return PermanentError("authentication_failed", first_line, diagnosis="invalid_signature")
    return PermanentError("authentication_failed", first_line, diagnosis="invalid_signature")


def transport_error(error: requests.RequestException, host: str) -> Exception:
    """Map a requests exception to a reason."""
    if isinstance(error, requests.exceptions.SSLError):
        return PermanentError("tls_verification_failed", f"certificate of {host} could not be verified",
                              diagnosis="tls_untrusted", host=host)
    if isinstance(error, requests.exceptions.Timeout):
        return backend_error("timed_out", f"{host} did not answer in time", diagnosis="timed_out", host=host)
    return backend_error("connection_failed", f"{host} could not be reached", diagnosis="graph_unreachable",
                         host=host)


class TokenProvider:
    """One msal application and token cache for one profile.

    ``instance_discovery`` is always off, so msal never queries Microsoft's
    discovery host about the authority. It fetches only the authority's own
    OpenID metadata and token endpoint.
    """

    def __init__(self, profile: dict[str, Any], session: requests.Session, timeout: float) -> None:
        self.profile = profile
        self.session = session
        self.timeout = timeout
        login, graph = cloud_urls(profile)
        self.authority = f"{login}/{profile['tenant_id']}"
        self.scope = f"{graph}/.default"
        self.login_host = login.split("://", 1)[1]
        self._credential = client_credential(profile)
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_until = 0.0

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.profile["client_id"],
                    client_credential=self._credential,
                    authority=self.authority,
                    instance_discovery=False,
                    http_client=self.session,
                    timeout=self.timeout,
                )
            except requests.RequestException as error:
                raise transport_error(error, self.login_host) from None
            except ValueError as error:
                text = str(error)
                if "Unable to get authority configuration" in text:
                    raise PermanentError(
                        "authentication_failed",
                        f"AADSTS90002: Tenant '{self.profile['tenant_id']}' not found.",
                        diagnosis="wrong_tenant_id",
                    ) from None
                raise PermanentError("configuration_error", _safe(text), diagnosis="configuration_error") from None
        return self._app

    def token(self, *, refresh: bool = False) -> str:
        """Return a valid access token, from the cache unless ``refresh`` is set.

        The token is kept here until 5 minutes before it expires, because
        msal's own cache lookup costs more CPU than a request when thousands
        of requests share one token.
        """
        now = time.monotonic()
        if not refresh and self._token is not None and now < self._token_until:
            return self._token
        with self._lock:
            if not refresh and self._token is not None and time.monotonic() < self._token_until:
                return self._token
            app = self._application()
            try:
                if refresh:
                    # A list: remove_at changes the cache that search() iterates over.
                    for account_token in list(app.token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                        app.token_cache.remove_at(account_token)
                result = app.acquire_token_for_client(scopes=[self.scope])
            except requests.RequestException as error:
                raise transport_error(error, self.login_host) from None
            except ValueError as error:
                raise PermanentError("configuration_error", _safe(str(error)), diagnosis="configuration_error") from None
        if "access_token" in result:
            with self._lock:
                self._token = result["access_token"]
                lifetime = float(result.get("expires_in") or 3600)
                self._token_until = now + max(lifetime - 300, lifetime / 2)
            return result["access_token"]
        error = token_error(result, self.profile)
        logger.warning("profile %s: token request failed: %s", self.profile["name"], error.server_message)
        raise error


def _safe(text: str) -> str:
    # Exception texts from key loading never contain the key itself, but keep them short.
    return text.splitlines()[0][:300] if text else ""
