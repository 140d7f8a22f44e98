"""Keyed, minimal differences between two normalised configurations.

Objects are matched by their key (see ``KINDS``), never by list position, so
reordering profiles, chains or mappings is not a change. Reordering policies
is a change, because the first matching policy wins. Secret fields never appear with a
value: a diff shows ``<set>``, ``<changed>`` or ``<unset>``.
"""

from __future__ import annotations

import copy
from typing import Any

from mar_runner.config.defaults import COMPUTED_FIELDS, SECRET_FIELDS
from mar_runner.config.values import normalize_domain

# kind -> (variable, key field); settings is a single object without a key.
KINDS: dict[str, tuple[str, str | None]] = {
    "settings": ("mar_settings", None),
    "account_profile": ("mar_account_profiles", "name"),
    "chained_profile": ("mar_chained_profiles", "name"),
    "domain_mapping": ("mar_domain_mappings", "profile"),
    "policy": ("mar_policies", "name"),
}
SET, CHANGED, UNSET = "<set>", "<changed>", "<unset>"
ORDER_KEY = "<order>"


def _secret_fields(var: str, obj: dict) -> tuple[str, ...]:
    if var == "mar_account_profiles":
        return SECRET_FIELDS.get(obj.get("type"), ())
    return ()


def _domain_key(domain: Any) -> Any:
    try:
        return normalize_domain(domain)
    except (ValueError, AttributeError):
        return domain


def comparable(var: str, obj: dict) -> dict:
    """Return the form of an object that equality is decided on."""
    obj = {k: v for k, v in obj.items() if k not in COMPUTED_FIELDS}
    if var == "mar_domain_mappings":
        obj["domains"] = sorted({str(_domain_key(d)) for d in obj.get("domains") or []})
    if var == "mar_policies":
        obj["recipients"] = sorted({str(r).lower() for r in obj.get("recipients") or []})
    return obj


def _flatten(obj: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _secret_change(before: Any, after: Any) -> str:
    if before in (None, ""):
        return SET
    if after in (None, ""):
        return UNSET
    return CHANGED


def object_diff(var: str, before: dict, after: dict) -> dict[str, Any]:
    """Return {field: change} for the fields that differ; nested fields are dotted."""
    secrets = set(_secret_fields(var, before)) | set(_secret_fields(var, after))
    old = _flatten(comparable(var, before))
    new = _flatten(comparable(var, after))
    changes: dict[str, Any] = {}
    for field in sorted(set(old) | set(new)):
        if old.get(field) == new.get(field):
            continue
        if field in secrets or field == "alerts.smtp.password":
            changes[field] = _secret_change(old.get(field), new.get(field))
        else:
            changes[field] = {"before": old.get(field), "after": new.get(field)}
    return changes


def mask(var: str, obj: dict) -> dict:
    """Return a copy of an object with every secret value replaced by ``<set>`` (or None)."""
    masked = copy.deepcopy(obj)
    for field in _secret_fields(var, obj):
        if masked.get(field) not in (None, ""):
            masked[field] = SET
    smtp = (masked.get("alerts") or {}).get("smtp") if var == "mar_settings" else None
    if smtp and smtp.get("password") not in (None, ""):
        smtp["password"] = SET
    return masked


def mask_config(config: dict | None) -> dict | None:
    """Return a copy of a normalised config with every secret masked."""
    if config is None:
        return None
    result: dict = {}
    for var, value in config.items():
        result[var] = [mask(var, item) for item in value] if isinstance(value, list) else mask(var, value)
    return result


def object_key(var: str, obj: dict) -> str:
    """Return the key of an object in its list."""
    key_field = next(k for v, k in KINDS.values() if v == var)
    return str(obj.get(key_field))


def config_diff(before: dict | None, after: dict) -> dict[str, Any]:
    """Return the keyed diff of two normalised configs; an empty dict means no change."""
    before = before or {}
    diff: dict[str, Any] = {}
    for var, key_field in KINDS.values():
        if key_field is None:
            changes = object_diff(var, before.get(var) or {}, after[var])
            if changes:
                diff[var] = changes
            continue
        old = {object_key(var, o): o for o in before.get(var) or []}
        new = {object_key(var, o): o for o in after[var]}
        changes = {}
        for key in new:
            if key not in old:
                changes[key] = {"state": "added", "after": mask(var, new[key])}
            else:
                fields = object_diff(var, old[key], new[key])
                if fields:
                    changes[key] = {"state": "changed", "fields": fields}
        for key in old:
            if key not in new:
                changes[key] = {"state": "removed", "before": mask(var, old[key])}
        if var == "mar_policies":
            old_order = [k for k in old if k in new]
            new_order = [k for k in new if k in old]
            if old_order != new_order:
                changes[ORDER_KEY] = {"before": old_order, "after": new_order}
        if changes:
            diff[var] = changes
    return diff
