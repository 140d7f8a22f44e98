# -*- coding: utf-8 -*-
# Copyright: mailsec.mar contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs of the configuration modules, one per object kind.

The specs only declare option names, types and which values are secret.
Every rule on the values (required fields per profile type, ranges,
cross-object references) belongs to the engine's validation, which the
modules call. The specs set no defaults, so an option the task leaves out
stays out of the declared object and the engine fills in its default.
"""

from __future__ import annotations

SMTP_OPTIONS = dict(
    host=dict(type="str"),
    port=dict(type="int"),
    starttls=dict(type="bool"),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    to=dict(type="list", elements="str"),
)
# "from" is a Python keyword, so it cannot be a keyword argument of dict().
SMTP_OPTIONS["from"] = dict(type="str")

SETTINGS_OPTIONS = dict(
    enabled=dict(type="bool"),
    max_attempts=dict(type="int"),
    cloud_timeout=dict(type="int"),
    onprem_timeout=dict(type="int"),
    lookback=dict(type="str"),
    concurrency=dict(
        type="dict",
        options=dict(
            workers=dict(type="int"),
            per_mailbox=dict(type="int"),
            per_service_account=dict(type="int"),
        ),
    ),
    alerts=dict(
        type="dict",
        options=dict(
            interval=dict(type="str"),
            smtp=dict(type="dict", options=SMTP_OPTIONS),
        ),
    ),
    logs=dict(
        type="dict",
        options=dict(
            max_bytes=dict(type="int"),
            backups=dict(type="int"),
            syslog=dict(type="str"),
        ),
    ),
)

ACCOUNT_PROFILE_OPTIONS = dict(
    name=dict(type="str"),
    description=dict(type="str"),
    type=dict(type="str", choices=["graph", "ews"]),
    client_id=dict(type="str"),
    tenant_id=dict(type="str"),
    thumbprint=dict(type="str"),
    private_key=dict(type="str", no_log=True),
    private_key_passphrase=dict(type="str", no_log=True),
    certificate=dict(type="str"),
    cloud=dict(type="str", choices=["global", "usgov", "china"]),
    authority_url=dict(type="str"),
    graph_url=dict(type="str"),
    ca_certificate=dict(type="str"),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    host=dict(type="str"),
    auth=dict(type="str", choices=["ntlm", "basic"]),
    version=dict(type="str", choices=["exchange2013", "exchange2016", "exchange2019"]),
    test_address=dict(type="str"),
)

CHAINED_PROFILE_OPTIONS = dict(
    name=dict(type="str"),
    description=dict(type="str"),
    profiles=dict(type="list", elements="str"),
)

DOMAIN_MAPPING_OPTIONS = dict(
    domains=dict(type="list", elements="str"),
    profile=dict(type="str"),
)

POLICY_OPTIONS = dict(
    name=dict(type="str"),
    recipients=dict(type="list", elements="str"),
    mailbox_auto_remediation=dict(
        type="dict",
        options=dict(
            enabled=dict(type="bool"),
            action=dict(type="str", choices=["forward", "delete", "forward_and_delete"]),
            forward_to=dict(type="str"),
            delete_mode=dict(type="str", choices=["hard", "soft"]),
        ),
    ),
)

STATE_DIR_OPTION = dict(state_dir=dict(type="path"))
STATE_OPTION = dict(state=dict(type="str", choices=["present", "absent"], default="present"))


def object_spec(options, key):
    """Return a module argument spec for one object kind; its key option, if any, is required."""
    spec = {}
    for name, option in options.items():
        spec[name] = dict(option)
    if key:
        spec[key] = dict(spec[key], required=True)
    spec.update(STATE_DIR_OPTION)
    spec.update(STATE_OPTION)
    return spec


def config_spec():
    """Return the argument spec of the config module: every kind at once, plus purge."""
    spec = dict(
        settings=dict(type="dict", options=SETTINGS_OPTIONS),
        account_profiles=dict(type="list", elements="dict", options=ACCOUNT_PROFILE_OPTIONS),
        chained_profiles=dict(type="list", elements="dict", options=CHAINED_PROFILE_OPTIONS),
        domain_mappings=dict(type="list", elements="dict", options=DOMAIN_MAPPING_OPTIONS),
        policies=dict(type="list", elements="dict", options=POLICY_OPTIONS),
        purge=dict(type="bool", default=False),
    )
    spec.update(STATE_DIR_OPTION)
    return spec
