# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue shared by the mailsec.mar modules: the guarded engine import and result shaping.

The modules never validate or plan anything themselves. They collect their
options, call the engine's configuration store once and turn its plan into
the module result.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.mailsec.mar.plugins.module_utils.mar_diff import config_diff, find_object, object_diff

try:
    from mar_runner.config import store as mar_store
    from mar_runner.state import resolve_state_dir
except ImportError:
    HAS_MAR_RUNNER = False
    MAR_RUNNER_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_MAR_RUNNER = True
    MAR_RUNNER_IMPORT_ERROR = None

ENGINE_PACKAGE = "mailsec-mar (Python package mar_runner)"
ACTOR = "ansible"


def ensure_engine(module):
    """Fail the task with install instructions when the engine cannot be imported."""
    if not HAS_MAR_RUNNER:
        module.fail_json(
            msg=missing_required_lib(ENGINE_PACKAGE, reason="to read and write the engine's state directory"),
            exception=MAR_RUNNER_IMPORT_ERROR,
        )


def strip_unset(value):
    """Return ``value`` without the None entries Ansible fills in for options the task left out."""
    if isinstance(value, dict):
        return dict((key, strip_unset(item)) for key, item in value.items() if item is not None)
    if isinstance(value, list):
        return [strip_unset(item) for item in value]
    return value


def open_store(module):
    """Return the configuration store of the state directory the task names."""
    return mar_store.ConfigStore(resolve_state_dir(module.params.get("state_dir")))


def fail_invalid(module, exc):
    """Fail the task with every validation error the engine reported."""
    errors = [issue.format() for issue in exc.issues]
    msg = "The declared configuration is invalid:\n" + "\n".join("  " + error for error in errors)
    module.fail_json(msg=msg, errors=errors)


KEY_FIELDS = dict(
    settings=None,
    account_profile="name",
    chained_profile="name",
    domain_mapping="profile",
    policy="name",
)


def _warn(module, plan):
    for issue in plan.warnings or []:
        module.warn(issue.format())


def run_object_module(module, kind, options):
    """Plan or apply one object of ``kind`` from the task's options and exit with the result."""
    declared = strip_unset(dict((name, module.params.get(name)) for name in options))
    state = module.params["state"]
    key_field = KEY_FIELDS[kind]
    key = declared.get(key_field) if key_field else None
    if state == "absent" and key_field:
        # Removing goes by key alone: the other options do not matter.
        declared = {key_field: key}
    try:
        plan = open_store(module).apply_object(kind, declared, state=state, actor=ACTOR, check_mode=module.check_mode)
    except mar_store.InvalidConfigError as exc:
        fail_invalid(module, exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    _warn(module, plan)
    result = dict(changed=bool(plan.changed))
    if state == "present":
        result["object"] = find_object(plan.after, kind, key_field, key)
    if module._diff:
        result["diff"] = object_diff(plan.diff, kind, key)
    module.exit_json(**result)


CONFIG_VARS = dict(
    settings="mar_settings",
    account_profiles="mar_account_profiles",
    chained_profiles="mar_chained_profiles",
    domain_mappings="mar_domain_mappings",
    policies="mar_policies",
)


def run_config_module(module):
    """Plan or apply the whole declared configuration and exit with the result."""
    declared = {}
    for option, var in CONFIG_VARS.items():
        value = module.params.get(option)
        if value is not None:
            declared[var] = strip_unset(value)
    try:
        plan = open_store(module).apply(
            declared, actor=ACTOR, check_mode=module.check_mode, purge=module.params["purge"]
        )
    except mar_store.InvalidConfigError as exc:
        fail_invalid(module, exc)
    _warn(module, plan)
    result = dict(changed=bool(plan.changed), changes=plan.diff or {}, version=plan.version)
    if module._diff:
        result["diff"] = config_diff(plan.diff)
    module.exit_json(**result)
