#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: account_profile
short_description: Account profile for Exchange Online (Graph) or Exchange on-premises (EWS)
version_added: 0.1.0
description:
- Creates, updates or removes one account profile in the engine host's state directory.
- A C(graph) profile is an Entra ID app registration with a certificate; an C(ews) profile is a service account
  with the ApplicationImpersonation role.
- Secret values are stored in files readable by their owner only, never shown in the output, and appear in the diff
  only as C(<set>) or C(<changed>).
- A profile still used by a chained profile or a domain mapping cannot be removed; the engine names what uses it.
extends_documentation_fragment:
- mailsec.mar.common
options:
  name:
    description:
    - 'Unique profile name: letters, digits, C(_), C(-) and C(.).'
    type: str
    required: true
  description:
    description:
    - What this profile is for.
    type: str
  type:
    description:
    - C(graph) for Exchange Online through Microsoft Graph, C(ews) for Exchange on-premises through Exchange Web
      Services. Required when the profile is present.
    type: str
    choices:
    - graph
    - ews
  client_id:
    description:
    - 'Graph: application (client) id of the app registration, a GUID.'
    type: str
  tenant_id:
    description:
    - 'Graph: directory (tenant) id, a GUID, or a verified domain of the tenant.'
    type: str
  thumbprint:
    description:
    - 'Graph: thumbprint of the certificate registered on the app, SHA-1 or SHA-256, as hex (with or without spaces
      or colons, any case) or base64.'
    type: str
  private_key:
    description:
    - 'Graph: the certificate''s private key, PEM, RSA of at least 2048 bits. It is never shown in the output; the
      diff shows C(<set>) or C(<changed>).'
    type: str
  private_key_passphrase:
    description:
    - 'Graph: passphrase of an encrypted private key. It is never shown in the output.'
    type: str
  certificate:
    description:
    - 'Graph: the certificate, PEM. When given, the thumbprint must be its thumbprint.'
    type: str
  cloud:
    description:
    - 'Graph: national cloud whose login and Graph hosts are used. The engine''s default is C(global).'
    type: str
    choices:
    - global
    - usgov
    - china
  authority_url:
    description:
    - 'Graph: base URL of the login host, without the tenant. It overrides the cloud''s host, for the sandbox and
      private endpoints.'
    type: str
  graph_url:
    description:
    - 'Graph: base URL of the Graph host, without C(/v1.0). It overrides the cloud''s host.'
    type: str
  ca_certificate:
    description:
    - PEM of a CA trusted for this profile's hosts, for a private CA or a self-signed server certificate. Server
      certificates are always verified.
    type: str
  username:
    description:
    - 'EWS: the impersonation account, C(DOMAIN\\user) or a user principal name.'
    type: str
  password:
    description:
    - 'EWS: password of the impersonation account. It is never shown in the output; the diff shows C(<set>) or C(<changed>).'
    type: str
  host:
    description:
    - 'EWS: the Exchange server or load balancer host name (optionally C(host:port)), or the full EWS URL.'
    type: str
  auth:
    description:
    - 'EWS: authentication method. The engine''s default is C(ntlm).'
    type: str
    choices:
    - ntlm
    - basic
  version:
    description:
    - 'EWS: pins the Exchange Server version instead of detecting it.'
    type: str
    choices:
    - exchange2013
    - exchange2016
    - exchange2019
  test_address:
    description:
    - Mailbox that M(mailsec.mar.connection_test) uses when no address is given.
    type: str
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
- name: Exchange Online through Microsoft Graph
  mailsec.mar.account_profile:
    state_dir: "{{ mar_state_dir }}"
    name: exo
    description: Exchange Online tenant
    type: graph
    client_id: 00000000-0000-0000-0000-000000000001
    tenant_id: 00000000-0000-0000-0000-0000000000aa
    thumbprint: r5IFynyIaVQ1WsM5hJdo66MUaXU=
    private_key: "{{ vault_exo_private_key }}"
    test_address: postmaster@example.com

- name: Exchange 2019 through EWS with impersonation
  mailsec.mar.account_profile:
    name: onprem
    description: Exchange 2019 in the data centre
    type: ews
    username: CORP\svc-mar
    password: "{{ vault_onprem_password }}"
    host: mail.corp.example.com
    auth: ntlm

- name: Remove a profile nothing uses any more
  mailsec.mar.account_profile:
    name: old-tenant
    state: absent
"""

RETURN = r"""
object:
  description:
    - The account profile as applied, with the engine's defaults filled in and every secret shown as C(<set>).
    - Not returned when O(state=absent).
  returned: when O(state=present)
  type: dict
  sample: {"name": "exo", "type": "graph", "client_id": "00000000-0000-0000-0000-000000000001", "private_key": "<set>"}
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailsec.mar.plugins.module_utils.mar_common import ensure_engine, run_object_module
from ansible_collections.mailsec.mar.plugins.module_utils.mar_specs import ACCOUNT_PROFILE_OPTIONS, object_spec


def main():
    module = AnsibleModule(argument_spec=object_spec(ACCOUNT_PROFILE_OPTIONS, 'name'), supports_check_mode=True)
    ensure_engine(module)
    run_object_module(module, "account_profile", ACCOUNT_PROFILE_OPTIONS)


if __name__ == "__main__":
    main()
