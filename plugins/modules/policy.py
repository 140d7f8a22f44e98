#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: policy
short_description: Incoming mail policy for mailbox auto remediation
version_added: 0.1.0
description:
- Creates, updates or removes one incoming mail policy in the engine host's state directory.
- A recipient's policy is the one its tracking record names when that policy is configured, else the first policy
  whose O(recipients) patterns match, else C(DEFAULT).
extends_documentation_fragment:
- mailsec.mar.common
options:
  name:
    description:
    - Policy name. C(DEFAULT) applies to recipients that no other policy matches.
    type: str
    required: true
  recipients:
    description:
    - 'Recipient patterns this policy applies to: a full address, C(@domain) or C(user@).'
    type: list
    elements: str
  mailbox_auto_remediation:
    description:
    - What to do in the recipient's mailbox. Required when the policy is present.
    type: dict
    suboptions:
      enabled:
        description:
        - When false the recipients of this policy are skipped. The engine's default is C(true).
        type: bool
      action:
        description:
        - C(forward), C(delete), or C(forward_and_delete), which deletes only after the forward succeeded.
        type: str
        choices:
        - forward
        - delete
        - forward_and_delete
      forward_to:
        description:
        - The address messages are forwarded to. Required for the two forward actions.
        type: str
      delete_mode:
        description:
        - C(hard) deletes permanently; C(soft) moves the message where the user can restore it. The engine's default
          is C(hard).
        type: str
        choices:
        - hard
        - soft
  state:
    description:
    - C(present) creates or updates the object, C(absent) removes it.
    type: str
    choices:
    - present
    - absent
    default: present
author:
- mailsec.mar contributors (@mailsec)
"""

EXAMPLES = r"""
- name: Forward to the SOC, then delete
  mailsec.mar.policy:
    state_dir: "{{ mar_state_dir }}"
    name: DEFAULT
    mailbox_auto_remediation:
      enabled: true
      action: forward_and_delete
      forward_to: soc@example.com

- name: Only delete for the executives, and keep it restorable
  mailsec.mar.policy:
    name: executives
    recipients:
      - ceo@example.com
      - "@board.example.com"
    mailbox_auto_remediation:
      action: delete
      delete_mode: soft
"""

RETURN = r"""
object:
  description:
    - The policy as applied, with the engine's defaults filled in and every secret shown as C(<set>).
    - Not returned when O(state=absent).
  returned: when O(state=present)
  type: dict
  sample: {"name": "DEFAULT", "mailbox_auto_remediation": {"action": "delete", "delete_mode": "hard"}}
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailsec.mar.plugins.module_utils.mar_common import ensure_engine, run_object_module
from ansible_collections.mailsec.mar.plugins.module_utils.mar_specs import POLICY_OPTIONS, object_spec


def main():
    module = AnsibleModule(argument_spec=object_spec(POLICY_OPTIONS, 'name'), supports_check_mode=True)
    ensure_engine(module)
    run_object_module(module, "policy", POLICY_OPTIONS)


if __name__ == "__main__":
    main()
