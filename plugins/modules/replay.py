#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The action plugin of the same name does the work; this file contains its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: replay
short_description: Replay retrospective verdicts through the remediation engine
version_added: 0.1.0
description:
  - Reads one or more verdict files, finds every delivered message that carried a file now judged malicious, and
    forwards and/or deletes it in each recipient's mailbox as the recipient's policy specifies.
  - Runs on the controller, with the configuration last applied to the controller's state directory; the engine
    itself connects to Microsoft Graph and Exchange Web Services.
  - Optionally imports tracking logs (AsyncOS mail and AMP logs, consolidated event logs or JSON Lines) first.
  - The run is idempotent. A ledger in the state directory makes a second run on the same verdicts change nothing, so it
    reports C(ok). Recipients that failed for a transient reason are tried again by the next run.
  - C(changed) means a mailbox was changed or a forward was sent.
  - Per-recipient failures are returned in RV(outcomes) and fail the task only with
    O(fail_on_recipient_failure=true).
  - The result never holds a secret of the applied configuration; the plugin replaces any it finds with
    C(********).
options:
  verdicts:
    description:
      - Verdict files (JSON, YAML, JSON Lines or CSV records, AMP engine log lines, Secure Endpoint event JSON).
      - Relative paths are looked up like other files of the play, relative to the playbook's directory.
    type: list
    elements: path
    required: true
  tracking_logs:
    description:
      - Tracking logs imported into the tracking index before the replay. A file imported before adds nothing
        again.
    type: list
    elements: path
    default: []
  state_dir:
    description:
      - State directory on the controller. When not set, the variable C(mar_state_dir) is used, then
        E(MAR_STATE_DIR), then C(~/.local/state/mar).
    type: path
  fail_on_recipient_failure:
    description:
      - Fail the task when any recipient ended C(failed).
    type: bool
    default: false
requirements:
  - The engine package C(mailsec-mar) (Python package C(mar_runner)) in the Python that runs C(ansible-playbook).
attributes:
  action:
    description: The work is done by an action plugin on the controller.
    support: full
  check_mode:
    description: Check mode runs the engine's dry run; it reports what would happen and changes no mailbox.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  delegation:
    description: Always runs on the controller; delegation does not change that.
    support: none
  platform:
    description: Runs on the controller.
    support: full
    platforms: posix
notes:
  - In check mode C(changed) tells whether a real run would change a mailbox or send a forward.
  - In check mode the O(tracking_logs) are still imported into the tracking index, because the dry run needs the
    deliveries they record. No mailbox is changed and no outcome is stored.
author:
  - mailsec.mar contributors (@mailsec)
"""

EXAMPLES = r"""
- name: Import the gateway's logs and replay the retrospective verdict
  mailsec.mar.replay:
    tracking_logs:
      - /var/log/esa/mail.current
      - /var/log/esa/amp.current
    verdicts:
      - /var/spool/mar/verdicts/2026-12-02.json
  register: replay

- name: Show the counters
  ansible.builtin.debug:
    var: replay.counters

- name: Replay and fail when any recipient could not be remediated
  mailsec.mar.replay:
    verdicts: "{{ query('ansible.builtin.fileglob', '/var/spool/mar/verdicts/*.json') }}"
    fail_on_recipient_failure: true
"""

RETURN = r"""
run_id:
  description: Id of this replay run in the logs and the state directory.
  returned: always
  type: str
  sample: 3f2a9c1b7d04
dry_run:
  description: Whether this was a dry run (check mode).
  returned: always
  type: bool
enabled:
  description: False when C(mar_settings.enabled) is false and nothing was done.
  returned: always
  type: bool
disabled_reason:
  description: The reason code when nothing was done, else null.
  returned: always
  type: str
counters:
  description:
    - Recipient counters of this run. C(unchanged) counts recipients the ledger already held a final result
      for.
  returned: always
  type: dict
  sample:
    verdicts: 1
    recipients: 5
    success: 3
    failed: 2
    skipped: 0
    in_progress: 0
    deleted: 0
    forwarded: 0
    forwarded_and_deleted: 3
    unchanged: 0
outcomes:
  description: One entry per verdict, message and recipient.
  returned: always
  type: list
  elements: dict
  contains:
    recipient:
      description: Recipient address.
      type: str
    status:
      description: C(success), C(failed), C(skipped) or C(in_progress).
      type: str
    reason:
      description: Stable reason code of a failure or skip, such as C(message_not_found) or C(no_profile_mapped).
      type: str
    action:
      description: C(forward), C(delete) or C(forward_and_delete).
      type: str
    profile:
      description: The account profile that succeeded.
      type: str
    profiles_tried:
      description: Account profiles tried, in order.
      type: list
      elements: str
    copies:
      description: How many copies of the message were acted on.
      type: int
    replayed:
      description: True when the ledger already held this result, so nothing was done again.
      type: bool
    changed:
      description: True when this run changed the mailbox or sent a forward.
      type: bool
verdict_outcomes:
  description: Verdicts that reached no recipient, such as C(no_delivery_found).
  returned: always
  type: list
  elements: dict
notices:
  description: Notices such as a clean verdict that follows a remediation, which also raises an alert.
  returned: always
  type: list
  elements: dict
input_errors:
  description: Verdict records that could not be read, as C(FILE:LINE) and the problem.
  returned: always
  type: list
  elements: str
"""
