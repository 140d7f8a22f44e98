"""Migration of the legacy single-mailbox variable ``mar_legacy_office365``.

Appliance releases before 13.0 had one set of Office 365 credentials. It
becomes a graph account profile named ``Default`` mapped to ``ALL``.
"""

from __future__ import annotations

import copy

import yaml

from mar_runner.config.positions import VaultValue
from mar_runner.i18n import _

LEGACY_VAR = "mar_legacy_office365"
MIGRATED_PROFILE = "Default"
LEGACY_FIELDS = ("client_id", "tenant_id", "thumbprint", "private_key")


class MigrationError(ValueError):
    """The legacy variable is incomplete or conflicts with an existing profile."""


def migrate(variables: dict) -> tuple[dict, str]:
    """Return the new variables (legacy removed) and the message that reports what was done.

    Values are copied as written, so ``{{ vault_x }}`` references and
    ``!vault`` values stay as they are and no secret is decrypted.
    """
    legacy = variables.get(LEGACY_VAR)
    if not isinstance(legacy, dict):
        raise MigrationError(_("there is no mar_legacy_office365 mapping to migrate"))
    missing = [name for name in LEGACY_FIELDS if name not in legacy]
    if missing:
        raise MigrationError(
            _("mar_legacy_office365 lacks {fields}; add them before migrating").format(fields=", ".join(missing))
        )
    result = {k: copy.deepcopy(v) for k, v in variables.items() if k.startswith("mar_") and k != LEGACY_VAR}
    profiles = list(result.get("mar_account_profiles") or [])
    if any(isinstance(p, dict) and p.get("name") == MIGRATED_PROFILE for p in profiles):
        raise MigrationError(_("an account profile named Default already exists; rename it before migrating"))
    profile = {
        "name": MIGRATED_PROFILE,
        "description": "Office 365 credentials migrated from mar_legacy_office365",
        "type": "graph",
    }
    profile.update({name: copy.deepcopy(legacy[name]) for name in LEGACY_FIELDS})
    profiles.append(profile)
    result["mar_account_profiles"] = profiles
    mappings = list(result.get("mar_domain_mappings") or [])
    has_all = any(isinstance(m, dict) and "ALL" in (m.get("domains") or []) for m in mappings)
    if not has_all:
        mappings.append({"domains": ["ALL"], "profile": MIGRATED_PROFILE})
    result["mar_domain_mappings"] = mappings
    if has_all:
        message = _(
            "mar_legacy_office365 was migrated into the graph account profile Default; ALL is already mapped, "
            "so map domains to Default yourself"
        )
    else:
        message = _("mar_legacy_office365 was migrated into the graph account profile Default, mapped to ALL")
    return result, message


class _Dumper(yaml.SafeDumper):
    pass


def _vault_representer(dumper: yaml.SafeDumper, value: VaultValue):
    return dumper.represent_scalar("!vault", value.ciphertext, style="|")


_Dumper.add_representer(VaultValue, _vault_representer)


def dump(variables: dict) -> str:
    """Render variables as YAML, keeping ``!vault`` values encrypted."""
    return yaml.dump(variables, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)
