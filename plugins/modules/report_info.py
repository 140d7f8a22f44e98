#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: report_info
short_description: Read the remediation report of an engine host
version_added: 0.1.0
description:
  - Returns the report data of the engine host's state directory for a period, the same data
    C(marctl report --format json) prints. Counters count recipients (deleted, forwarded, forwarded and
    deleted, failed, in progress, skipped), and each file's section lists the recipients remediated with the
    profile used, the recipients that failed with the profiles tried and the reason, and the recipients whose
    domain has no profile.
  - Optionally also returns the report rendered as a table, CSV, JSON or HTML text.
  - Reads only; it never reports a change.
extends_documentation_fragment:
  - mailsec.mar.common.READ_ONLY
options:
  since:
    description:
      - Start of the period. An ISO 8601 time or date (UTC when no offset is given), or a duration back from now
        such as C(24h) or C(7d).
      - When not set, the report starts with the first outcome.
    type: str
  until:
    description:
      - End of the period (exclusive), in the same forms as O(since).
    type: str
  sha256:
    description:
      - Report on one file only, given as its SHA-256 (64 hexadecimal digits).
    type: str
  include_dry_run:
    description:
      - Also include the outcomes of dry runs, which changed nothing.
    type: bool
    default: false
  lang:
    description:
      - Language of the report's texts (reasons, fixes, labels). Codes and keys stay English.
      - When not set, the locale of the engine host decides.
    type: str
    choices: [en, ja]
  format:
    description:
      - Also render the report in this format and return it as RV(text).
    type: str
    choices: [table, json, csv, html]
author:
  - mailsec.mar contributors (@mailsec)
"""

EXAMPLES = r"""
- name: Read the last day's report
  mailsec.mar.report_info:
    state_dir: "{{ mar_state_dir }}"
    since: 24h
  register: report

- name: Fail the play when a recipient could not be remediated
  ansible.builtin.assert:
    that: report.report.counters.failed == 0
    fail_msg: "{{ report.report.counters.failed }} recipient(s) failed"

- name: Print the report as a table, in Japanese
  mailsec.mar.report_info:
    lang: ja
    format: table
  register: table

- name: Show it
  ansible.builtin.debug:
    msg: "{{ table.text.splitlines() }}"
"""

RETURN = r"""
report:
  description:
    - The report document, as C(marctl report --format json) prints it.
  returned: success
  type: dict
  contains:
    counters:
      description: Recipient counters of the period.
      type: dict
      sample:
        deleted: 0
        forwarded: 0
        forwarded_and_deleted: 3
        failed: 2
        in_progress: 0
        skipped: 0
    files:
      description:
        - One section per SHA-256 with its file names, actions, counters and recipient rows (remediated,
          failed, skipped, no profile), failures first.
      type: list
      elements: dict
text:
  description: The report rendered in O(format).
  returned: when O(format) is set
  type: str
"""

import re
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from mar_runner.i18n import set_language
    from mar_runner.report import build_report, render
    from mar_runner.report.period import parse_time
    from mar_runner.report.render_json import report_document
    from mar_runner.report.source import deliveries_for, query_outcomes
    from mar_runner.state import open_db, resolve_state_dir
except ImportError:
    MAR_RUNNER_IMPORT_ERROR = traceback.format_exc()
else:
    MAR_RUNNER_IMPORT_ERROR = None

SHA256_PATTERN = re.compile(r"^[0-9a-fA-F]{64}$")


def period_bound(module, option):
    """Return the UTC time an option's value stands for, or fail the task naming the value."""
    value = module.params[option]
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        module.fail_json(
            msg="Invalid {0} value '{1}': use an ISO 8601 time such as 2026-12-04T09:00:00Z, a date such as "
            "2026-12-04, or a duration back from now such as 24h or 7d.".format(option, value)
        )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state_dir=dict(type="path"),
            since=dict(type="str"),
            until=dict(type="str"),
            sha256=dict(type="str"),
            include_dry_run=dict(type="bool", default=False),
            lang=dict(type="str", choices=["en", "ja"]),
            format=dict(type="str", choices=["table", "json", "csv", "html"]),
        ),
        supports_check_mode=True,
    )
    if MAR_RUNNER_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib("mailsec-mar (Python package mar_runner)", reason="to read the report"),
            exception=MAR_RUNNER_IMPORT_ERROR,
        )

    since = period_bound(module, "since")
    until = period_bound(module, "until")
    sha256 = module.params["sha256"]
    if sha256 is not None and not SHA256_PATTERN.match(sha256):
        module.fail_json(msg="Invalid sha256 value '{0}': give the file's SHA-256 as 64 hexadecimal digits.".format(sha256))
    sha256 = sha256.lower() if sha256 else None
    if module.params["lang"]:
        set_language(module.params["lang"])

    state_dir = resolve_state_dir(module.params["state_dir"])
    try:
        conn = open_db(state_dir, create=False)
    except FileNotFoundError:
        module.fail_json(
            msg="No state database in {0}: apply a configuration and replay verdicts first, or set state_dir.".format(state_dir)
        )
    try:
        outcomes = query_outcomes(conn, since=since, until=until, sha256=sha256)
        deliveries = deliveries_for(conn, set(outcome["sha256"] for outcome in outcomes))
    finally:
        conn.close()
    report = build_report(
        outcomes,
        deliveries=deliveries,
        since=since,
        until=until,
        sha256=sha256,
        include_dry_run=module.params["include_dry_run"],
        lang=module.params["lang"],
    )
    result = dict(changed=False, report=report_document(report))
    if module.params["format"]:
        result["text"] = render(report, module.params["format"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
