#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: config
short_description: Apply the whole declared configuration at once
version_added: 0.1.0
description:
- Validates the five configuration variables together (JSON Schema first, then the rules across objects) and applies
  them to the engine host's state directory in one step.
- An invalid configuration fails the task with every error and writes nothing.
- Objects are matched by their key, so a different order of profiles, chains or mappings, or a value equal to the
  engine's default, is no change. The order of policies is a change, because the first matching policy wins.
- Secret values are stored in files readable by their owner only; the diff shows them only as C(<set>), C(<changed>)
  or C(<unset>).
extends_documentation_fragment:
- mailsec.mar.common
options:
  settings:
    description:
    - Engine settings, the variable C(mar_settings). Left out or empty, the engine's defaults apply.
    type: dict
    suboptions:
      enabled:
        description:
        - When false nothing is remediated and the report says why. The engine's default is C(true).
        type: bool
      max_attempts:
        description:
        - 'How many tries in total, the first included, the engine makes to reach a mailbox through one profile
          before it moves on: 1 to 5. The engine''s default is C(3).'
        type: int
      cloud_timeout:
        description:
        - 'Connect and read timeout in seconds for Microsoft Graph and the token endpoint: 15 to 90. The engine''s
          default is C(30).'
        type: int
      onprem_timeout:
        description:
        - 'Connect and read timeout in seconds for Exchange Web Services: 15 to 90. The engine''s default is C(30).'
        type: int
      lookback:
        description:
        - Look-back window, an integer with unit C(h) or C(d), at most C(90d). Deliveries older than this, counted
          back from the verdict's time, are reported as C(outside_lookback). The engine's default is C(30d).
        type: str
      concurrency:
        description:
        - Limits on requests in flight.
        type: dict
        suboptions:
          workers:
            description:
            - Requests in flight across all mailboxes. The engine's default is C(32).
            type: int
          per_mailbox:
            description:
            - Requests in flight per mailbox, 1 to 4 (the Microsoft Graph limit per app and mailbox). The engine's
              default is C(4).
            type: int
          per_service_account:
            description:
            - EWS requests in flight per service account. The engine's default is C(8).
            type: int
      alerts:
        description:
        - Alerts raised when a profile cannot reach its mailbox system, and when a clean verdict follows a remediation.
        type: dict
        suboptions:
          interval:
            description:
            - Minimum time between two alerts of one kind for one profile, an integer with unit C(h) or C(d). The
              engine's default is C(1h).
            type: str
          smtp:
            description:
            - SMTP relay that delivers alerts by mail. Without it alerts only go to the log.
            type: dict
            suboptions:
              host:
                description:
                - Relay host name or address.
                type: str
              port:
                description:
                - Relay port. The engine's default is C(25).
                type: int
              starttls:
                description:
                - Upgrade the connection with STARTTLS. The engine's default is C(false).
                type: bool
              username:
                description:
                - Login name, when the relay needs one.
                type: str
              password:
                description:
                - Login password. It is never shown in the output or the diff.
                type: str
              to:
                description:
                - Recipient addresses of alert mails.
                type: list
                elements: str
              from:
                description:
                - Sender address of alert mails.
                type: str
      logs:
        description:
        - Log rotation and forwarding.
        type: dict
        suboptions:
          max_bytes:
            description:
            - Size in bytes at which a log file is rotated. The engine's default is 10 MiB.
            type: int
          backups:
            description:
            - How many rotated files are kept. The engine's default is C(5).
            type: int
          syslog:
            description:
            - Syslog address, C(host:port) for UDP or a socket path such as C(/dev/log).
            type: str
  account_profiles:
    description:
    - Account profiles, the variable C(mar_account_profiles). Secret fields are never shown in the output.
    type: list
    elements: dict
    suboptions:
      name:
        description:
        - 'Unique profile name: letters, digits, C(_), C(-) and C(.).'
        type: str
      description:
        description:
        - What this profile is for.
        type: str
      type:
        description:
        - C(graph) for Exchange Online through Microsoft Graph, C(ews) for Exchange on-premises through Exchange
          Web Services. Required when the profile is present.
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
        - 'Graph: thumbprint of the certificate registered on the app, SHA-1 or SHA-256, as hex (with or without
          spaces or colons, any case) or base64.'
        type: str
      private_key:
        description:
        - 'Graph: the certificate''s private key, PEM, RSA of at least 2048 bits. It is never shown in the output;
          the diff shows C(<set>) or C(<changed>).'
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
        - 'Graph: base URL of the login host, without the tenant. It overrides the cloud''s host, for the sandbox
          and private endpoints.'
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
        - 'EWS: password of the impersonation account. It is never shown in the output; the diff shows C(<set>)
          or C(<changed>).'
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
  chained_profiles:
    description:
    - Chained profiles, the variable C(mar_chained_profiles).
    type: list
    elements: dict
    suboptions:
      name:
        description:
        - Unique name among account and chained profiles.
        type: str
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
  domain_mappings:
    description:
    - Domain mappings, the variable C(mar_domain_mappings).
    type: list
    elements: dict
    suboptions:
      domains:
        description:
        - Recipient domains, compared case-insensitively after IDNA normalisation, or C(ALL) for every domain not
          mapped elsewhere. Required when the mapping is present.
        type: list
        elements: str
      profile:
        description:
        - Name of the account profile or chained profile that reaches these domains' mailboxes; it identifies the
          mapping.
        type: str
  policies:
    description:
    - 'Incoming mail policies, the variable C(mar_policies). Their order matters: the first policy whose patterns
      match a recipient applies.'
    type: list
    elements: dict
    suboptions:
      name:
        description:
        - Policy name. C(DEFAULT) applies to recipients that no other policy matches.
        type: str
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
            - C(hard) deletes permanently; C(soft) moves the message where the user can restore it. The engine's
              default is C(hard).
            type: str
            choices:
            - hard
            - soft
  purge:
    description:
    - Remove applied objects of every kind that the task does not declare.
    - When false, undeclared objects stay as they are and declared ones are created or updated.
    type: bool
    default: false
author:
- mailsec.mar contributors (@mailsec)
"""

EXAMPLES = r"""
- name: Apply the inventory's configuration and remove what it no longer declares
  mailsec.mar.config:
    state_dir: "{{ mar_state_dir }}"
    settings: "{{ mar_settings }}"
    account_profiles: "{{ mar_account_profiles }}"
    chained_profiles: "{{ mar_chained_profiles }}"
    domain_mappings: "{{ mar_domain_mappings }}"
    policies: "{{ mar_policies }}"
    purge: true

- name: Validate only; check mode writes nothing
  mailsec.mar.config:
    account_profiles: "{{ mar_account_profiles }}"
    domain_mappings: "{{ mar_domain_mappings }}"
    policies: "{{ mar_policies }}"
  check_mode: true
  changed_when: false
"""

RETURN = r"""
changes:
  description:
    - The keyed changes per variable, empty when nothing changed. List variables map each object's key to
      C(state) (C(added), C(removed) or C(changed)) and the object or its changed C(fields).
    - Secret fields appear only as C(<set>), C(<changed>) or C(<unset>).
  returned: always
  type: dict
  sample:
    mar_account_profiles:
      exo:
        state: changed
        fields:
          private_key: <changed>
          test_address:
            before: null
            after: postmaster@example.com
version:
  description: Number of the configuration version written, or null when nothing was written (no change, or check mode).
  returned: always
  type: int
  sample: 4
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailsec.mar.plugins.module_utils.mar_common import ensure_engine, run_config_module
from ansible_collections.mailsec.mar.plugins.module_utils.mar_specs import config_spec


def main():
    module = AnsibleModule(argument_spec=config_spec(), supports_check_mode=True)
    ensure_engine(module)
    run_config_module(module)


if __name__ == "__main__":
    main()
