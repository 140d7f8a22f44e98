#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: domain_mapping
short_description: Map recipient domains to an account or chained profile
version_added: 0.1.0
description:
- Creates, updates or removes one domain mapping in the engine host's state directory.
- 'A mapping is identified by its profile: each profile has at most one mapping, and a task for the same profile
  with other domains updates that mapping. Domains compare case-insensitively after IDNA normalisation and in any
  order.'
- A domain may appear in one mapping only. C(ALL) maps every domain that no other mapping lists.
extends_documentation_fragment:
- mailsec.mar.common
options:
  domains:
    description:
    - Recipient domains, compared case-insensitively after IDNA normalisation, or C(ALL) for every domain not mapped
      elsewhere. Required when the mapping is present.
    type: list
    elements: str
  profile:
    description:
    - Name of the account profile or chained profile that reaches these domains' mailboxes; it identifies the mapping.
    type: str
    required: true
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
- name: Reach example.com through Exchange Online
  mailsec.mar.domain_mapping:
    state_dir: "{{ mar_state_dir }}"
    domains:
      - example.com
    profile: exo

- name: Stop mapping any domain to the old tenant
  mailsec.mar.domain_mapping:
    profile: old-tenant
    state: absent
"""

RETURN = r"""
object:
  description:
    - The domain mapping as applied, with the engine's defaults filled in and every secret shown as C(<set>).
    - Not returned when O(state=absent).
  returned: when O(state=present)
  type: dict
  sample: {"domains": ["example.com"], "profile": "exo"}
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailsec.mar.plugins.module_utils.mar_common import ensure_engine, run_object_module
from ansible_collections.mailsec.mar.plugins.module_utils.mar_specs import DOMAIN_MAPPING_OPTIONS, object_spec


def main():
    module = AnsibleModule(argument_spec=object_spec(DOMAIN_MAPPING_OPTIONS, 'profile'), supports_check_mode=True)
    ensure_engine(module)
    run_object_module(module, "domain_mapping", DOMAIN_MAPPING_OPTIONS)


if __name__ == "__main__":
    main()
