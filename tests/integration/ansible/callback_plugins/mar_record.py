"""Test-only callback: write every task result of a playbook run to a JSON file.

The integration tests enable it with ANSIBLE_CALLBACKS_ENABLED=mar_record and
name the file in MAR_RECORD_FILE, so they assert on each task's exact result
(changed, diff, return values) while the default callback still prints the
normal output that the tests search for secrets.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Record host, task name, status and result of every task."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mar_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []

    def _record(self, result, status):
        self.records.append(
            {
                "host": result._host.get_name(),
                "task": result._task.get_name(),
                "status": status,
                "result": result._result,
            }
        )

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["MAR_RECORD_FILE"], "w", encoding="utf-8") as handle:
            json.dump(self.records, handle, default=str, indent=1)
