# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin mailsec.mar.replay: replay verdict files through the engine on the controller.

The engine reaches the mailboxes itself, so nothing is sent to a managed
host: the plugin reads its arguments, makes one call to
``mar_runner.engine.replay`` and shapes the result. Check mode is the
engine's dry run.
"""

from __future__ import annotations

import traceback

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

try:
    from mar_runner.config.defaults import secret_paths
    from mar_runner.config.store import ConfigStore
    from mar_runner.engine import ConfigurationMissing, replay
    from mar_runner.logs import install_log_handlers
    from mar_runner.state import resolve_state_dir
except ImportError:
    MAR_RUNNER_IMPORT_ERROR = traceback.format_exc()
else:
    MAR_RUNNER_IMPORT_ERROR = None

ARGUMENT_SPEC = dict(
    verdicts=dict(type="list", elements="path", required=True),
    tracking_logs=dict(type="list", elements="path", default=[]),
    state_dir=dict(type="path"),
    fail_on_recipient_failure=dict(type="bool", default=False),
)

REDACTED = "********"

# Outcome fields returned per recipient. Attempts stay in the state
# directory (marctl track shows them), because the task result should stay
# small when a verdict reaches thousands of mailboxes.
OUTCOME_FIELDS = (
    "recipient",
    "status",
    "reason",
    "action",
    "delete_mode",
    "forward_to",
    "policy",
    "profile",
    "profiles_tried",
    "copies",
    "folders",
    "mids",
    "message_id",
    "sha256",
    "verdict_id",
    "dry_run",
    "replayed",
    "changed",
)


def collect_secrets(config):
    """Return every secret value of the applied configuration (profile keys, passwords, SMTP password)."""
    values = set()
    if not config:
        return values
    for path in secret_paths(config):
        value = config
        for part in path:
            value = value[part]
        if isinstance(value, str) and value:
            values.add(value)
    smtp = ((config.get("mar_settings") or {}).get("alerts") or {}).get("smtp") or {}
    if smtp.get("password"):
        values.add(smtp["password"])
    return values


def scrub(value, secrets):
    """Return ``value`` with every occurrence of a secret replaced, in keys and values at any depth."""
    if isinstance(value, dict):
        return dict((scrub(key, secrets), scrub(item, secrets)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [scrub(item, secrets) for item in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    return value


def would_change(outcome):
    """Tell whether a dry-run outcome stands for a mailbox change a real run would make."""
    return outcome.get("status") == "success" and not outcome.get("replayed")


class ActionModule(ActionBase):
    """Replay verdicts on the controller and report per-recipient outcomes and counters."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp

        if MAR_RUNNER_IMPORT_ERROR is not None:
            raise AnsibleActionFail(
                "The engine package mailsec-mar (Python package mar_runner) is not importable by the Python that runs "
                "ansible-playbook. Install it into that environment, for example with pip install -e . in the "
                "repository.",
                result=dict(exception=MAR_RUNNER_IMPORT_ERROR),
            )

        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail("Invalid arguments: " + "; ".join(validation.error_messages))
        args = validation.validated_parameters

        state_dir = resolve_state_dir(args["state_dir"] or task_vars.get("mar_state_dir"))
        verdicts = [self._loader.path_dwim(path) for path in args["verdicts"]]
        tracking_logs = [self._loader.path_dwim(path) for path in args["tracking_logs"]]
        dry_run = bool(self._task.check_mode)

        config = ConfigStore(state_dir).current()
        if config is None:
            # Checked here, before the log handlers create folders in the state directory.
            raise AnsibleActionFail(
                "No configuration has been applied to {0}: apply one first with playbooks/apply.yml.".format(state_dir)
            )
        secrets = collect_secrets(config)
        logs = install_log_handlers(state_dir, config.get("mar_settings"))
        try:
            run = replay(state_dir, verdicts, dry_run=dry_run, tracking_paths=tracking_logs)
        except ConfigurationMissing as exc:
            raise AnsibleActionFail(scrub(str(exc), secrets))
        except (OSError, ValueError) as exc:
            raise AnsibleActionFail(scrub("Replay could not run: {0}".format(exc), secrets))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # An engine error whose text could quote a secret: report it scrubbed, never raw.
            raise AnsibleActionFail(
                scrub("Replay could not finish: {0}: {1}".format(type(exc).__name__, exc), secrets)
            )
        finally:
            logs.close()

        data = run.to_dict()
        outcomes = [dict((name, outcome.get(name)) for name in OUTCOME_FIELDS) for outcome in data["outcomes"]]
        if dry_run:
            changed = any(would_change(outcome) for outcome in outcomes)
        else:
            changed = bool(data["changed"])

        result.update(
            changed=changed,
            run_id=data["run_id"],
            dry_run=dry_run,
            enabled=data["enabled"],
            disabled_reason=data["disabled_reason"],
            counters=data["counters"],
            outcomes=outcomes,
            verdict_outcomes=data["verdict_outcomes"],
            notices=data["notices"],
            input_errors=data["input_errors"],
        )
        if data["input_errors"]:
            result["warnings"] = ["Verdict input: {0}".format(error) for error in data["input_errors"]]
        if not data["enabled"]:
            result["msg"] = "Remediation is turned off in the settings (mar_settings.enabled is false): nothing was done."
        failed_count = data["counters"].get("failed", 0)
        if args["fail_on_recipient_failure"] and failed_count:
            result["failed"] = True
            result["msg"] = "{0} recipient(s) ended failed; see outcomes for the reasons.".format(failed_count)
        return scrub(result, secrets)
