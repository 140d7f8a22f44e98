#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: settings
short_description: Engine settings of one engine host
version_added: 0.1.0
description:
- 'Sets C(mar_settings) in the engine host''s state directory: whether remediation runs, attempts per profile, timeouts,
  the look-back window, concurrency limits, alerts and logs.'
- Options the task leaves out take the engine's defaults, and a value equal to its default is no change.
- With O(state=absent) the declared settings are removed and the engine's defaults apply.
extends_documentation_fragment:
- mailsec.mar.common
options:
  enabled:
    description:
    - When false nothing is remediated and the report says why. The engine's default is C(true).
    type: bool
  max_attempts:
    description:
    - 'How many tries in total, the first included, the engine makes to reach a mailbox through one profile before
      it moves on: 1 to 5. The engine''s default is C(3).'
    type: int
  cloud_timeout:
    description:
    - 'Connect and read timeout in seconds for Microsoft Graph and the token endpoint: 15 to 90. The engine''s default
      is C(30).'
    type: int
  onprem_timeout:
    description:
    - 'Connect and read timeout in seconds for Exchange Web Services: 15 to 90. The engine''s default is C(30).'
    type: int
  lookback:
    description:
    - Look-back window, an integer with unit C(h) or C(d), at most C(90d). Deliveries older than this, counted back
      from the verdict's time, are reported as C(outside_lookback). The engine's default is C(30d).
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
        - Requests in flight per mailbox, 1 to 4 (the Microsoft Graph limit per app and mailbox). The engine's default
          is C(4).
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
        - Minimum time between two alerts of one kind for one profile, an integer with unit C(h) or C(d). The engine's
          default is C(1h).
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
- name: Turn remediation on with a 14-day look-back window
  mailsec.mar.settings:
    state_dir: "{{ mar_state_dir }}"
    enabled: true
    lookback: 14d
    max_attempts: 3

- name: Send alerts through the local relay
  mailsec.mar.settings:
    alerts:
      interval: 1h
      smtp:
        host: relay.example.com
        port: 587
        starttls: true
        username: mar-alerts
        password: "{{ vault_smtp_password }}"
        from: mar@example.com
        to:
          - soc@example.com
"""

RETURN = r"""
object:
  description:
    - The settings as applied, with the engine's defaults filled in and every secret shown as C(<set>).
    - Not returned when O(state=absent).
  returned: when O(state=present)
  type: dict
  sample: {"enabled": true, "max_attempts": 3, "cloud_timeout": 30, "onprem_timeout": 30, "lookback": "30d"}
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailsec.mar.plugins.module_utils.mar_common import ensure_engine, run_object_module
from ansible_collections.mailsec.mar.plugins.module_utils.mar_specs import SETTINGS_OPTIONS, object_spec


def main():
    module = AnsibleModule(argument_spec=object_spec(SETTINGS_OPTIONS, None), supports_check_mode=True)
    ensure_engine(module)
    run_object_module(module, "settings", SETTINGS_OPTIONS)


if __name__ == "__main__":
    main()
