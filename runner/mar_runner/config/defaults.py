"""Normalised form of a configuration: defaults filled in and thumbprints computed.

This is the shape of ``ConfigStore.current()`` and what plans compare, so a
value left at its default and the default written out are the same config.
"""

from __future__ import annotations

import copy
from typing import Any

from mar_runner.config import credentials
from mar_runner.config.values import normalize_thumbprint

SETTINGS_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "max_attempts": 3,
    "cloud_timeout": 30,
    "onprem_timeout": 30,
    "lookback": "30d",
}
CONCURRENCY_DEFAULTS = {"workers": 32, "per_mailbox": 4, "per_service_account": 8}
SMTP_DEFAULTS = {"port": 25, "starttls": False, "username": None, "password": None}
LOGS_DEFAULTS = {"max_bytes": 10485760, "backups": 5, "syslog": None}
GRAPH_DEFAULTS = {
    "description": "",
    "private_key_passphrase": None,
    "certificate": None,
    "cloud": "global",
    "authority_url": None,
    "graph_url": None,
    "ca_certificate": None,
    "test_address": None,
}
EWS_DEFAULTS = {"description": "", "auth": "ntlm", "version": None, "ca_certificate": None, "test_address": None}
REMEDIATION_DEFAULTS = {"enabled": True, "forward_to": None, "delete_mode": "hard"}

# Fields whose values are secrets: stored in 0600 files, shown as <set>/<changed>.
SECRET_FIELDS = {
    "graph": ("private_key", "private_key_passphrase"),
    "ews": ("password",),
}
COMPUTED_FIELDS = ("thumbprint_sha1", "thumbprint_sha256")


def normalize_settings(settings: dict | None) -> dict:
    """Return settings with every default filled in."""
    settings = copy.deepcopy(settings or {})
    result = {**SETTINGS_DEFAULTS, **{k: v for k, v in settings.items() if k in SETTINGS_DEFAULTS}}
    result["concurrency"] = {**CONCURRENCY_DEFAULTS, **(settings.get("concurrency") or {})}
    alerts = settings.get("alerts") or {}
    smtp = alerts.get("smtp")
    result["alerts"] = {
        "interval": alerts.get("interval", "1h"),
        "smtp": {**SMTP_DEFAULTS, **smtp} if smtp else None,
    }
    result["logs"] = {**LOGS_DEFAULTS, **(settings.get("logs") or {})}
    return result


def _thumbprints(profile: dict) -> tuple[str | None, str | None]:
    sha1 = sha256 = None
    try:
        thumbprint = normalize_thumbprint(profile.get("thumbprint"))
    except ValueError:
        thumbprint = None
    if thumbprint is not None:
        if thumbprint.algorithm == "sha1":
            sha1 = thumbprint.hex
        else:
            sha256 = thumbprint.hex
    certificate_pem = profile.get("certificate")
    if isinstance(certificate_pem, str):
        certificate, problem = credentials.load_certificate(certificate_pem, "certificate")
        if certificate is not None and problem is None:
            sha1, sha256 = credentials.certificate_thumbprints(certificate)
    return sha1, sha256


def normalize_profile(profile: dict) -> dict:
    """Return an account profile with defaults filled in (graph: thumbprints computed)."""
    profile = copy.deepcopy(profile)
    if profile.get("type") == "graph":
        result = {**GRAPH_DEFAULTS, **profile}
        for key in ("authority_url", "graph_url"):
            if isinstance(result[key], str):
                result[key] = result[key].rstrip("/")
        result["thumbprint_sha1"], result["thumbprint_sha256"] = _thumbprints(result)
        return result
    return {**EWS_DEFAULTS, **profile}


def normalize_chain(chain: dict) -> dict:
    """Return a chained profile with its description defaulted."""
    return {"description": "", **copy.deepcopy(chain)}


def normalize_mapping(mapping: dict) -> dict:
    """Return a domain mapping as declared."""
    return copy.deepcopy(mapping)


def normalize_policy(policy: dict) -> dict:
    """Return a policy with ``recipients`` and the remediation defaults filled in."""
    policy = copy.deepcopy(policy)
    result = {"recipients": [], **policy}
    result["mailbox_auto_remediation"] = {**REMEDIATION_DEFAULTS, **(policy.get("mailbox_auto_remediation") or {})}
    return result


def normalize_config(config: dict) -> dict:
    """Return the five variables of ``config`` in their normalised form."""
    return {
        "mar_settings": normalize_settings(config.get("mar_settings")),
        "mar_account_profiles": [normalize_profile(p) for p in config.get("mar_account_profiles") or []],
        "mar_chained_profiles": [normalize_chain(c) for c in config.get("mar_chained_profiles") or []],
        "mar_domain_mappings": [normalize_mapping(m) for m in config.get("mar_domain_mappings") or []],
        "mar_policies": [normalize_policy(p) for p in config.get("mar_policies") or []],
    }


def secret_paths(config: dict) -> list[tuple]:
    """Return the paths of every secret field of a normalised config (set or not)."""
    paths: list[tuple] = [("mar_settings", "alerts", "smtp", "password")] if config["mar_settings"]["alerts"]["smtp"] else []
    for index, profile in enumerate(config["mar_account_profiles"]):
        for field in SECRET_FIELDS.get(profile.get("type"), ()):
            paths.append(("mar_account_profiles", index, field))
    return paths
