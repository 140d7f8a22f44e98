# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the engine's keyed configuration diff into Ansible's before/after diff.

The engine's diff (``mar_runner.config.diff.config_diff``) contains, per
variable, the objects that were added, removed or changed, and for a change
only the fields that differ, with secrets already reduced to ``<set>``,
``<changed>`` or ``<unset>``. This module only reshapes it, so it never
receives a secret value.
"""

from __future__ import annotations

SET = "<set>"
CHANGED = "<changed>"
UNSET = "<unset>"

# Variable of each object kind, as the engine names them.
KIND_VARS = dict(
    settings="mar_settings",
    account_profile="mar_account_profiles",
    chained_profile="mar_chained_profiles",
    domain_mapping="mar_domain_mappings",
    policy="mar_policies",
)


def _field_sides(fields):
    """Split {field: change} into before and after dicts of the changed fields only."""
    before = {}
    after = {}
    for field, change in fields.items():
        if isinstance(change, dict) and "before" in change and "after" in change:
            before[field] = change["before"]
            after[field] = change["after"]
        elif change == SET:
            before[field] = None
            after[field] = SET
        elif change == UNSET:
            before[field] = SET
            after[field] = None
        else:
            before[field] = SET
            after[field] = CHANGED
    return before, after


def _entry_sides(entry):
    """Split one object's change (added, removed or changed fields) into before and after."""
    state = entry.get("state") if isinstance(entry, dict) else None
    if state == "added":
        return {}, entry.get("after") or {}
    if state == "removed":
        return entry.get("before") or {}, {}
    if state == "changed":
        return _field_sides(entry.get("fields") or {})
    # The order of policies: a plain before/after pair of key lists.
    if isinstance(entry, dict) and "before" in entry and "after" in entry:
        return entry["before"], entry["after"]
    return {}, {}


def variable_sides(var, changes):
    """Return before and after of one variable's changes, keyed like the engine's diff."""
    if var == "mar_settings":
        return _field_sides(changes)
    before = {}
    after = {}
    for key, entry in changes.items():
        before[key], after[key] = _entry_sides(entry)
    return before, after


def config_diff(plan_diff):
    """Return Ansible's diff of a whole-configuration plan: changed objects and fields only."""
    before = {}
    after = {}
    for var, changes in (plan_diff or {}).items():
        before[var], after[var] = variable_sides(var, changes)
    return dict(before=before, after=after)


def object_diff(plan_diff, kind, key):
    """Return Ansible's diff of one object: its changed fields only, or the whole object when added or removed."""
    var = KIND_VARS[kind]
    changes = (plan_diff or {}).get(var) or {}
    if var == "mar_settings":
        before, after = _field_sides(changes)
    else:
        before, after = _entry_sides(changes.get(key) or {})
    return dict(before=before, after=after)


def find_object(config, kind, key_field, key):
    """Return the object of ``kind`` with ``key`` in a masked configuration, or None."""
    if not config:
        return None
    value = config.get(KIND_VARS[kind])
    if key_field is None:
        return value
    for obj in value or []:
        if str(obj.get(key_field)) == str(key):
            return obj
    return None
