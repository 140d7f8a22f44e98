"""Every configuration module through the real ansible-playbook.

All modules run in one playbook, each against its own state directory, so
the standard sequence costs a handful of ansible-playbook runs: check mode
(changed, nothing written), real run (changed), run again (ok), check again
(ok). Further runs cover order and default values (no change), updates
(only the changed keys in the diff, secrets as <changed>) and removal with
the same sequence.
Every run is verbose (-vvv) and its whole output is searched for the secret
values.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from mar_runner.config.store import ConfigStore
from mar_sandbox.certs import make_app_certificate
import sys

from tests.integration.ansible.ansible_run import case_inventory, local_play, parallel_play

pytestmark = [pytest.mark.ansible, pytest.mark.slow]

PASSPHRASE = "Key-Passphrase-7c1e"
EWS_PASSWORD = "Ews-Password-93ab"
EWS_PASSWORD_NEW = "Ews-Password-Rotated-5d20"
SMTP_PASSWORD = "Smtp-Password-4f81"
SMTP_PASSWORD_NEW = "Smtp-Password-Rotated-66c2"
CLIENT_ID = "00000000-0000-0000-0000-000000000001"
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"


@pytest.fixture(scope="module")
def graph_credential():
    """An app certificate with its private key encrypted under PASSPHRASE."""
    key_pem, cert_pem, sha1, _sha256 = make_app_certificate("mar-ansible-test")
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    ).decode()
    return {"private_key": encrypted, "certificate": cert_pem, "thumbprint": sha1}


def graph_profile(credential: dict, **extra) -> dict:
    profile = {
        "name": "exo",
        "description": "Exchange Online",
        "type": "graph",
        "client_id": CLIENT_ID,
        "tenant_id": TENANT_ID,
        "thumbprint": credential["thumbprint"],
        "private_key": credential["private_key"],
        "private_key_passphrase": PASSPHRASE,
    }
    profile.update(extra)
    return profile


def ews_profile(password: str = EWS_PASSWORD, **extra) -> dict:
    profile = {
        "name": "onprem",
        "description": "Exchange 2019",
        "type": "ews",
        "username": "CORP\\svc-mar",
        "password": password,
        "host": "mail.corp.example.com",
    }
    profile.update(extra)
    return profile


def settings(smtp_password: str = SMTP_PASSWORD, **extra) -> dict:
    value = {
        "enabled": True,
        "lookback": "14d",
        "alerts": {
            "interval": "2h",
            "smtp": {"host": "relay.example.com", "port": 587, "starttls": True, "username": "mar",
                     "password": smtp_password, "from": "mar@example.com", "to": ["soc@example.com"]},
        },
    }
    value.update(extra)
    return value


POLICY = {
    "name": "DEFAULT",
    "mailbox_auto_remediation": {"action": "forward_and_delete", "forward_to": "soc@example.com"},
}


def secrets(credential: dict) -> list[str]:
    """Every secret value, plus a line from the middle of the private key's PEM body."""
    body_line = credential["private_key"].splitlines()[5]
    return [credential["private_key"], body_line, PASSPHRASE, EWS_PASSWORD, EWS_PASSWORD_NEW, SMTP_PASSWORD,
            SMTP_PASSWORD_NEW]


@pytest.fixture
def state_dirs(tmp_path, graph_credential):
    """One state directory per module; the chain and the mapping need two profiles applied first."""
    dirs = {name: tmp_path / name for name in
            ("settings", "graph", "ews", "chain", "mapping", "policy", "config")}
    for name in ("chain", "mapping"):
        ConfigStore(dirs[name]).apply(
            {"mar_account_profiles": [graph_profile(graph_credential), ews_profile()]}, actor="test setup"
        )
    return dirs


def tasks(dirs: dict, credential: dict, variant: str = "base", state: str = "present") -> list[dict]:
    """The module tasks of one run; ``variant`` changes values without changing meaning, or updates them."""
    reordered = variant == "reordered"
    updated = variant == "updated"
    ews_extra = {"auth": "ntlm"} if reordered else {}
    if updated:
        ews_extra["test_address"] = "bob@corp.example.com"
    graph_extra = {"cloud": "global"} if reordered else {}
    domains = ["Corp.Example.com", "example.com"] if reordered else ["example.com", "corp.example.com"]
    policy = dict(POLICY, mailbox_auto_remediation=dict(POLICY["mailbox_auto_remediation"]))
    if reordered:
        policy["mailbox_auto_remediation"].update(enabled=True, delete_mode="hard")
    ews_password = EWS_PASSWORD_NEW if updated else EWS_PASSWORD
    smtp_password = SMTP_PASSWORD_NEW if updated else SMTP_PASSWORD
    settings_value = settings(smtp_password, max_attempts=3) if reordered else settings(smtp_password)
    absent = state == "absent"

    def task(name, module, args):
        return {"name": name, module: dict(args, state_dir=str(dirs[name]))}

    return [
        task("settings", "mailsec.mar.settings", {"state": "absent"} if absent else settings_value),
        task("graph", "mailsec.mar.account_profile",
             {"name": "exo", "state": "absent"} if absent else graph_profile(credential, **graph_extra)),
        task("ews", "mailsec.mar.account_profile",
             {"name": "onprem", "state": "absent"} if absent else ews_profile(ews_password, **ews_extra)),
        task("chain", "mailsec.mar.chained_profile",
             {"name": "hybrid", "state": "absent"} if absent else {"name": "hybrid", "description": "migrating", "profiles": ["onprem", "exo"]}),
        task("mapping", "mailsec.mar.domain_mapping",
             {"profile": "exo", "state": "absent"} if absent else {"profile": "exo", "domains": domains}),
        task("policy", "mailsec.mar.policy", {"name": "DEFAULT", "state": "absent"} if absent else policy),
        task("config", "mailsec.mar.config", {
            "settings": settings_value,
            "account_profiles": ([ews_profile(ews_password, **ews_extra), graph_profile(credential, **graph_extra)]
                                 if reordered else [graph_profile(credential), ews_profile(ews_password, **ews_extra)]),
            "chained_profiles": [{"name": "hybrid", "profiles": ["onprem", "exo"]}],
            "domain_mappings": [{"domains": domains, "profile": "exo"}, {"domains": ["migrating.example.com"], "profile": "hybrid"}],
            "policies": [policy],
            "purge": True,
        }),
    ]


MODULE_TASKS = ("settings", "graph", "ews", "chain", "mapping", "policy", "config")


def versions(dirs: dict) -> dict:
    return {name: ConfigStore(path).version() for name, path in dirs.items()}


def assert_no_secret(run, credential):
    for secret in secrets(credential):
        assert secret not in run.output


@pytest.fixture
def run_cases(run_playbook):
    """Run plays on an inventory with one local host per module task, side by side."""
    inventory = case_inventory(MODULE_TASKS, sys.executable)

    def run(plays, **options):
        return run_playbook(plays, inventory=inventory, **options)

    return run


def test_sequence_updates_and_removal(run_cases, state_dirs, graph_credential):
    dirs = state_dirs

    def play(**options):
        return [parallel_play(tasks(dirs, graph_credential, **options))]

    # 1. Check mode: every module reports a change and writes nothing.
    before = versions(dirs)
    check = run_cases(play(), check=True)
    assert check.returncode == 0, check.output[-4000:]
    assert_no_secret(check, graph_credential)
    for name in MODULE_TASKS:
        assert check.result(name)["changed"] is True, name
    assert versions(dirs) == before

    # The diffs of check mode: whole new objects, secrets only as <set>.
    graph_diff = check.result("graph")["diff"]
    assert graph_diff["before"] == {}
    assert graph_diff["after"]["private_key"] == "<set>"
    assert graph_diff["after"]["private_key_passphrase"] == "<set>"
    assert graph_diff["after"]["client_id"] == CLIENT_ID
    ews_diff = check.result("ews")["diff"]
    assert ews_diff["after"]["password"] == "<set>"
    assert ews_diff["after"]["auth"] == "ntlm"
    settings_diff = check.result("settings")["diff"]
    assert settings_diff["after"]["alerts.smtp.password"] == "<set>"
    assert settings_diff["after"]["lookback"] == "14d"
    chain_diff = check.result("chain")["diff"]
    assert chain_diff == {"before": {}, "after": {"name": "hybrid", "description": "migrating", "profiles": ["onprem", "exo"]}}
    mapping_diff = check.result("mapping")["diff"]
    assert mapping_diff == {"before": {}, "after": {"domains": ["example.com", "corp.example.com"], "profile": "exo"}}
    policy_diff = check.result("policy")["diff"]
    assert policy_diff == {
        "before": {},
        "after": {
            "name": "DEFAULT",
            "recipients": [],
            "mailbox_auto_remediation": {
                "enabled": True, "action": "forward_and_delete", "forward_to": "soc@example.com", "delete_mode": "hard",
            },
        },
    }
    config_diff = check.result("config")["diff"]
    assert set(config_diff["after"]) == {"mar_settings", "mar_account_profiles", "mar_chained_profiles",
                                         "mar_domain_mappings", "mar_policies"}
    assert set(config_diff["after"]["mar_account_profiles"]) == {"exo", "onprem"}
    assert config_diff["after"]["mar_account_profiles"]["onprem"]["password"] == "<set>"

    # 2. Real run: changed, and the objects are in the state directories.
    applied = run_cases(play())
    assert applied.returncode == 0, applied.output[-4000:]
    assert_no_secret(applied, graph_credential)
    for name in MODULE_TASKS:
        assert applied.result(name)["changed"] is True, name
    assert ConfigStore(dirs["ews"]).current()["mar_account_profiles"][0]["password"] == EWS_PASSWORD
    assert ConfigStore(dirs["graph"]).current()["mar_account_profiles"][0]["private_key_passphrase"] == PASSPHRASE
    assert ConfigStore(dirs["chain"]).current()["mar_chained_profiles"][0]["profiles"] == ["onprem", "exo"]
    assert applied.result("graph")["object"]["private_key"] == "<set>"
    written = versions(dirs)

    # 3. Run again: ok, nothing written.
    again = run_cases(play())
    assert again.returncode == 0, again.output[-4000:]
    for name in MODULE_TASKS:
        assert again.result(name)["changed"] is False, name
    assert versions(dirs) == written

    # 4. Check again: ok.
    check_again = run_cases(play(), check=True)
    assert check_again.returncode == 0, check_again.output[-4000:]
    for name in MODULE_TASKS:
        assert check_again.result(name)["changed"] is False, name
        assert check_again.result(name)["diff"] == {"before": {}, "after": {}}, name

    # 5. Another order, other case of a domain, defaults spelled out: no change.
    reordered = run_cases(play(variant="reordered"), check=True)
    assert reordered.returncode == 0, reordered.output[-4000:]
    for name in MODULE_TASKS:
        assert reordered.result(name)["changed"] is False, name

    # 6. An update: the diff holds only the changed keys, secrets as <changed>.
    updated = run_cases(play(variant="updated"))
    assert updated.returncode == 0, updated.output[-4000:]
    assert_no_secret(updated, graph_credential)
    ews_update = updated.result("ews")
    assert ews_update["changed"] is True
    assert ews_update["diff"] == {
        "before": {"password": "<set>", "test_address": None},
        "after": {"password": "<changed>", "test_address": "bob@corp.example.com"},
    }
    settings_update = updated.result("settings")
    assert settings_update["diff"] == {
        "before": {"alerts.smtp.password": "<set>"},
        "after": {"alerts.smtp.password": "<changed>"},
    }
    config_update = updated.result("config")["diff"]
    assert config_update["after"]["mar_account_profiles"] == {
        "onprem": {"password": "<changed>", "test_address": "bob@corp.example.com"}
    }
    assert updated.result("graph")["changed"] is False
    assert ConfigStore(dirs["ews"]).current()["mar_account_profiles"][0]["password"] == EWS_PASSWORD_NEW

    # 7. Removal, from the state the update left: the same sequence.
    removal = [parallel_play(tasks(dirs, graph_credential, state="absent")[:-1])]
    names = MODULE_TASKS[:-1]
    written = versions(dirs)
    remove_check = run_cases(removal, check=True)
    assert remove_check.returncode == 0, remove_check.output[-4000:]
    assert_no_secret(remove_check, graph_credential)
    for name in names:
        assert remove_check.result(name)["changed"] is True, name
    assert versions(dirs) == written
    assert remove_check.result("ews")["diff"]["before"]["password"] == "<set>"
    assert remove_check.result("ews")["diff"]["after"] == {}

    removed = run_cases(removal)
    assert removed.returncode == 0, removed.output[-4000:]
    for name in names:
        assert removed.result(name)["changed"] is True, name
    assert ConfigStore(dirs["ews"]).current()["mar_account_profiles"] == []
    assert ConfigStore(dirs["policy"]).current()["mar_policies"] == []
    assert not any((dirs["ews"] / "secrets").iterdir())

    removed_again = run_cases(removal, verbose=False)
    assert removed_again.returncode == 0, removed_again.output[-4000:]
    for name in names:
        assert removed_again.result(name)["changed"] is False, name
    remove_check_again = run_cases(removal, check=True, verbose=False)
    for name in names:
        assert remove_check_again.result(name)["changed"] is False, name


def test_invalid_object_fails_with_every_error(run_playbook, tmp_path):
    state = tmp_path / "state"
    run = run_playbook([local_play([{
        "name": "bad chain",
        "mailsec.mar.chained_profile": {"state_dir": str(state), "name": "hybrid", "profiles": ["nowhere", "nowhere"]},
    }])], verbose=False)
    assert run.returncode == 2
    assert run.task("bad chain")["status"] == "failed"
    assert run.result("bad chain")["errors"] == [
        "object 'hybrid': unknown account profile 'nowhere'; declare it in mar_account_profiles or correct the name",
        "object 'hybrid': profile 'nowhere' is listed twice; list each profile once",
    ]
    assert ConfigStore(state).version() is None
