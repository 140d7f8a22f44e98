#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: connection_test
short_description: Test that the engine can reach a mailbox through a profile
version_added: 0.1.0
description:
  - Connects through one account profile to one mailbox, with the configuration last applied to the engine
    host's state directory, exactly as a remediation would (token or sign-in, then a mailbox search).
  - Without O(profile), tests every account profile against its C(test_address); profiles without one are
    listed in RV(untested_profiles).
  - A failed connection fails the task with the server's message as the appliance shows it, its cause and its
    fix, for example C(Error validating credentials. Credential validation failed) for a wrong thumbprint.
  - Reads only; it never reports a change.
extends_documentation_fragment:
  - mailsec.mar.common.READ_ONLY
options:
  profile:
    description:
      - Name of the account profile to test. When not set, every account profile with a C(test_address) is
        tested.
    type: str
  address:
    description:
      - Mailbox address to reach. When not set, the profile's C(test_address) is used.
      - Needs O(profile).
    type: str
  lang:
    description:
      - Language of the diagnosis (message, cause and fix). When not set, the locale of the engine host decides.
    type: str
    choices: [en, ja]
  timeout:
    description:
      - Connect and read timeout in seconds for this test, in place of the configured C(cloud_timeout) or
        C(onprem_timeout).
    type: int
author:
  - mailsec.mar contributors (@mailsec)
"""

EXAMPLES = r"""
- name: Test every profile against its test address
  mailsec.mar.connection_test:
    state_dir: "{{ mar_state_dir }}"

- name: Test whether the on-premises profile reaches one mailbox
  mailsec.mar.connection_test:
    profile: onprem
    address: bob@corp.example.com
  register: onprem_test

- name: Test a profile without failing the play, then show the diagnosis
  mailsec.mar.connection_test:
    profile: exo
  register: exo_test
  ignore_errors: true

- name: Show why it failed
  ansible.builtin.debug:
    msg: "{{ exo_test.results | map(attribute='message') | list }}"
  when: exo_test is failed
"""

RETURN = r"""
results:
  description: One entry per profile and address tested.
  returned: always
  type: list
  elements: dict
  contains:
    ok:
      description: Whether the mailbox was reached.
      type: bool
    profile:
      description: The account profile.
      type: str
    address:
      description: The mailbox address.
      type: str
    reason:
      description: Stable reason code of a failure, such as C(authentication_failed), else null.
      type: str
    diagnosis:
      description: Key of the diagnosis row, such as C(wrong_thumbprint), else null.
      type: str
    server_message:
      description: The server's own error text, when it sent one.
      type: str
    message:
      description: The message as the appliance shows it.
      type: str
    cause:
      description: The likely cause.
      type: str
    fix:
      description: What to change.
      type: str
  sample:
    - ok: false
      profile: exo
      address: alice@example.com
      reason: authentication_failed
      diagnosis: wrong_thumbprint
      message: Error validating credentials. Credential validation failed
      cause: No certificate with this thumbprint is registered on the app.
      fix: Copy the thumbprint of the certificate uploaded to the app registration.
untested_profiles:
  description: Account profiles not tested because they have no C(test_address) and no O(address) was given.
  returned: always
  type: list
  elements: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from mar_runner.config.store import ConfigStore
    from mar_runner.engine.connection import test_connection
    from mar_runner.engine.errors import EngineError
    from mar_runner.i18n import set_language
    from mar_runner.state import resolve_state_dir
except ImportError:
    MAR_RUNNER_IMPORT_ERROR = traceback.format_exc()
else:
    MAR_RUNNER_IMPORT_ERROR = None


def targets(module, config):
    """Return the (profile, address) pairs to test and the names of profiles without a test address."""
    profile = module.params["profile"]
    if profile:
        return [(profile, module.params["address"])], []
    pairs = []
    untested = []
    for entry in config.get("mar_account_profiles") or []:
        if entry.get("test_address"):
            pairs.append((entry["name"], entry["test_address"]))
        else:
            untested.append(entry["name"])
    return pairs, untested


def describe_failure(result):
    """Return one line per failed test: profile, address, the appliance's message, cause and fix."""
    text = "Profile '{0}' cannot reach {1}: {2}".format(result["profile"], result["address"], result["message"])
    if result.get("cause"):
        text += " Cause: {0}".format(result["cause"])
    if result.get("fix"):
        text += " Fix: {0}".format(result["fix"])
    return text


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state_dir=dict(type="path"),
            profile=dict(type="str"),
            address=dict(type="str"),
            lang=dict(type="str", choices=["en", "ja"]),
            timeout=dict(type="int"),
        ),
        required_by=dict(address="profile"),
        supports_check_mode=True,
    )
    if MAR_RUNNER_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib("mailsec-mar (Python package mar_runner)", reason="to test connections"),
            exception=MAR_RUNNER_IMPORT_ERROR,
        )
    if module.params["lang"]:
        set_language(module.params["lang"])

    state_dir = resolve_state_dir(module.params["state_dir"])
    config = ConfigStore(state_dir).current()
    if config is None:
        module.fail_json(
            msg="No configuration has been applied to {0}: apply one first (playbooks/apply.yml).".format(state_dir),
            results=[],
            untested_profiles=[],
        )
    pairs, untested = targets(module, config)

    results = []
    for profile, address in pairs:
        try:
            outcome = test_connection(state_dir, profile, address, timeout=module.params["timeout"], lang=module.params["lang"])
        except EngineError as exc:
            module.fail_json(msg=str(exc), results=results, untested_profiles=untested)
        results.append(outcome.to_dict())

    failures = [result for result in results if not result["ok"]]
    if failures:
        module.fail_json(msg="\n".join(describe_failure(result) for result in failures), results=results, untested_profiles=untested)
    module.exit_json(changed=False, results=results, untested_profiles=untested)


if __name__ == "__main__":
    main()
