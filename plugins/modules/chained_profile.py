#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: chained_profile
short_description: 'Chained profile: account profiles tried in order'
version_added: 0.1.0
description:
- Creates, updates or removes one chained profile in the engine host's state directory.
- The engine tries the member profiles in the listed order for each recipient and stops at the first success, so
  a chain covers mailboxes that are being migrated.
extends_documentation_fragment:
- mailsec.mar.common
options:
  name:
    description:
    - Unique name among account and chained profiles.
    type: str
    required: true
  description:
    description:
    - What this chain is for.
    type: str
  profiles:
    description:
    - Account profile names in the order they are tried, 1 to 10, each once. The first success stops the chain.
      Required when the chain is present.
    type: list
    elements: str
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
- name: Mailboxes being migrated, on-premises first
  mailsec.mar.chained_profile:
    state_dir: "{{ mar_state_dir }}"
    name: hybrid
    description: mailboxes being migrated
    profiles:
      - onprem
      - exo
"""

RETURN = r"""
object:
  description:
    - The chained profile as applied, with the engine's defaults filled in and every secret shown as C(<set>).
    - Not returned when O(state=absent).
  returned: when O(state=present)
  type: dict
  sample: {"name": "hybrid", "description": "mailboxes being migrated", "profiles": ["onprem", "exo"]}
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailsec.mar.plugins.module_utils.mar_common import ensure_engine, run_object_module
from ansible_collections.mailsec.mar.plugins.module_utils.mar_specs import CHAINED_PROFILE_OPTIONS, object_spec


def main():
    module = AnsibleModule(argument_spec=object_spec(CHAINED_PROFILE_OPTIONS, 'name'), supports_check_mode=True)
    ensure_engine(module)
    run_object_module(module, "chained_profile", CHAINED_PROFILE_OPTIONS)


if __name__ == "__main__":
    main()
