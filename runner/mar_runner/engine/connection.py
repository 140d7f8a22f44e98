"""Test connection: can the engine reach one mailbox through one profile?"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from mar_runner.engine import reasons, sources
from mar_runner.engine.backend import Backend
from mar_runner.engine.errors import BackendError, ConfigurationMissing, EngineError
from mar_runner.engine.limits import Limits
from mar_runner.engine.profiles import BackendPool
from mar_runner.i18n import _
from mar_runner.state import resolve_state_dir

logger = logging.getLogger("mar.engine")


class UnknownProfile(EngineError):
    """The profile named is not an account profile of the applied configuration."""


class MissingAddress(EngineError):
    """No address was given and the profile has no test_address."""


@dataclass
class ConnectionResult:
    """The result of a connection test, with the diagnosis in the current language."""

    ok: bool
    profile: str
    address: str
    reason: str | None = None
    diagnosis: str | None = None
    server_message: str | None = None
    message: str | None = None
    cause: str | None = None
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain data."""
        return asdict(self)


def test_connection(
    state_dir: str | Path | None,
    profile: str,
    address: str | None = None,
    *,
    timeout: float | None = None,
    config: dict[str, Any] | None = None,
    backend_factory: Callable[[dict[str, Any]], Backend] | None = None,
    lang: str | None = None,
) -> ConnectionResult:
    """Reach ``address`` (default: the profile's test_address) through ``profile``.

    Raises ConfigurationMissing, UnknownProfile or MissingAddress for a
    usage error; every server-side failure is returned as a result with
    ``ok`` false, the server's message, cause and fix.
    """
    if config is None:
        state = resolve_state_dir(state_dir)
        config = sources.load_config(state)
        if config is None:
            raise ConfigurationMissing(
                f"no configuration has been applied to {state}: apply one first with marctl config apply or playbooks/apply.yml"
            )
    profiles = {item["name"]: item for item in config.get("mar_account_profiles") or []}
    if profile not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise UnknownProfile(f"unknown account profile {profile!r}: use one of {known}")
    declared = profiles[profile]
    address = (address or declared.get("test_address") or "").strip().lower()
    if not address:
        raise MissingAddress(
            f"profile {profile!r} has no test_address: give an address to test, "
            "or set test_address on the profile"
        )
    settings = dict(config.get("mar_settings") or {})
    pool = BackendPool(config, settings, Limits(), timeout=timeout, factory=backend_factory)
    try:
        pool.get(profile).check(address)
    except BackendError as error:
        return _failure(declared, address, error, lang)
    finally:
        pool.close()
    logger.info("connection test of profile %s with %s succeeded", profile, address)
    return ConnectionResult(ok=True, profile=profile, address=address, message=_("Connection succeeded."))


def _failure(profile: dict[str, Any], address: str, error: BackendError, lang: str | None) -> ConnectionResult:
    code = error.diagnosis or _default_diagnosis(profile, error.reason)
    diagnosis = reasons.DIAGNOSES.get(code) or reasons.DIAGNOSES["server_error"]
    host = error.host or _host(profile)
    rendered = diagnosis.render(
        lang,
        address=address,
        host=host,
        client_id=str(profile.get("client_id", "")),
        tenant_id=str(profile.get("tenant_id", "")),
    )
    logger.warning("connection test of profile %s with %s failed: %s (%s)",
                   profile["name"], address, error.reason, error.server_message)
    return ConnectionResult(
        ok=False,
        profile=profile["name"],
        address=address,
        reason=error.reason,
        diagnosis=diagnosis.code,
        server_message=error.server_message or None,
        message=rendered["message"],
        cause=rendered["cause"],
        fix=rendered["fix"],
    )


def _default_diagnosis(profile: dict[str, Any], reason: str) -> str:
    ews = profile.get("type") == "ews"
    table = {
        "authentication_failed": "invalid_password" if ews else "invalid_signature",
        "permission_denied": "impersonation_denied" if ews else "access_denied",
        "mailbox_not_found": "no_mailbox" if ews else "invalid_user",
        "wrong_profile_type": "wrong_profile_type",
        "tls_verification_failed": "tls_untrusted",
        "connection_failed": "wrong_host",
        "timed_out": "timed_out",
        "throttled": "throttled",
        "clock_skew": "clock_skew",
        "configuration_error": "configuration_error",
    }
    return table.get(reason, "server_error")


def _host(profile: dict[str, Any]) -> str:
    if profile.get("type") == "ews":
        host = str(profile.get("host", ""))
        if "://" in host:
            host = host.split("://", 1)[1].split("/", 1)[0]
        return host
    from mar_runner.backends.graph.auth import cloud_urls

    login, graph = cloud_urls(profile)
    return graph.split("://", 1)[1]


test_connection.__test__ = False  # not a pytest test despite its name
