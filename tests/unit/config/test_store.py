"""The applied-configuration store: planning, idempotent apply, secrets in 0600 files, object-level changes."""

from __future__ import annotations

import copy
import hashlib
import os
import sqlite3
import stat

import pytest

from mar_runner.config.store import ConfigStore, InvalidConfigError


def snapshot(state_dir) -> dict:
    """Return every file of the state directory with its content hash and modification time."""
    result = {}
    for root, _dirs, files in os.walk(state_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                result[os.path.relpath(path, state_dir)] = (hashlib.sha256(handle.read()).hexdigest(), os.stat(path).st_mtime_ns)
    return result


def rows(state_dir) -> int:
    conn = sqlite3.connect(state_dir / "mar.db")
    try:
        return conn.execute("SELECT COUNT(*) FROM cfg_snapshots").fetchone()[0]
    finally:
        conn.close()


def db_bytes(state_dir) -> bytes:
    data = b""
    for name in ("mar.db", "mar.db-wal"):
        if (state_dir / name).exists():
            data += (state_dir / name).read_bytes()
    return data


def test_first_apply_changes(state_dir, valid_config):
    plan = ConfigStore(state_dir).apply(valid_config, actor="tester")
    assert plan.changed
    assert plan.version == 1


def test_second_apply_writes_nothing(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    before = snapshot(state_dir)
    plan = store.apply(copy.deepcopy(valid_config), actor="tester")
    assert not plan.changed
    assert plan.diff == {}
    assert plan.version is None
    assert rows(state_dir) == 1
    assert snapshot(state_dir) == before


def test_changed_secret_shows_only_changed(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    valid_config["mar_account_profiles"][1]["password"] = "second-password"
    plan = store.apply(valid_config, actor="tester")
    assert plan.diff == {"mar_account_profiles": {"onprem": {"state": "changed", "fields": {"password": "<changed>"}}}}
    assert "second-password" not in repr(plan)
    assert store.current()["mar_account_profiles"][1]["password"] == "second-password"


def test_new_secret_shows_set(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    valid_config["mar_settings"]["alerts"] = {"smtp": {"host": "relay.example.com", "from": "mar@example.com", "to": ["soc@example.com"], "password": "relay-pass"}}
    plan = store.apply(valid_config, actor="tester")
    assert plan.diff["mar_settings"]["alerts.smtp.password"] == "<set>"
    assert "relay-pass" not in repr(plan)


def test_secrets_live_in_0600_files_not_in_database(state_dir, valid_config, app_keys):
    ConfigStore(state_dir).apply(valid_config, actor="tester")
    data = db_bytes(state_dir)
    assert b"first-password" not in data
    assert app_keys.key_pem.splitlines()[1].encode() not in data
    secret_files = list((state_dir / "secrets").iterdir())
    assert len(secret_files) == 2
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in secret_files)
    assert stat.S_IMODE((state_dir / "secrets").stat().st_mode) == 0o700


def test_replaced_secret_file_is_removed(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    valid_config["mar_account_profiles"][1]["password"] = "second-password"
    store.apply(valid_config, actor="tester")
    contents = sorted(path.read_text() for path in (state_dir / "secrets").iterdir())
    assert len(contents) == 2
    assert "first-password" not in contents


def test_reordering_is_not_a_change(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    valid_config["mar_account_profiles"].reverse()
    valid_config["mar_domain_mappings"].reverse()
    valid_config["mar_domain_mappings"][0]["domains"] = ["ALL"]
    valid_config["mar_domain_mappings"][1]["domains"] = ["CORP.Example.com"]
    assert not store.plan(valid_config).changed


def test_policy_order_is_a_change(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    valid_config["mar_policies"].reverse()
    assert store.plan(valid_config).diff == {
        "mar_policies": {"<order>": {"before": ["VIP", "DEFAULT"], "after": ["DEFAULT", "VIP"]}}
    }


def test_default_written_out_is_not_a_change(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    valid_config["mar_account_profiles"][1]["auth"] = "ntlm"
    valid_config["mar_settings"]["concurrency"] = {"workers": 32}
    valid_config["mar_policies"][1]["mailbox_auto_remediation"]["delete_mode"] = "hard"
    assert not store.plan(valid_config).changed


def test_field_change_is_keyed_and_minimal(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    valid_config["mar_settings"]["max_attempts"] = 5
    valid_config["mar_account_profiles"][1]["host"] = "mail2.corp.example.com"
    assert store.plan(valid_config).diff == {
        "mar_settings": {"max_attempts": {"before": 3, "after": 5}},
        "mar_account_profiles": {
            "onprem": {"state": "changed", "fields": {"host": {"before": "mail.corp.example.com", "after": "mail2.corp.example.com"}}}
        },
    }


def test_invalid_config_refused_and_nothing_written(state_dir, valid_config):
    valid_config["mar_domain_mappings"][0]["profile"] = "ghost"
    with pytest.raises(InvalidConfigError) as error:
        ConfigStore(state_dir).apply(valid_config, actor="tester")
    assert [issue.format() for issue in error.value.issues] == [
        "object 'mar_domain_mappings[0]': unknown profile 'ghost'; "
        "declare it in mar_account_profiles or mar_chained_profiles, or correct the name"
    ]
    assert not state_dir.exists()


def test_check_mode_writes_nothing(state_dir, valid_config):
    plan = ConfigStore(state_dir).apply(valid_config, actor="tester", check_mode=True)
    assert plan.changed
    assert not state_dir.exists()


def test_current_shape(state_dir, valid_config, app_keys):
    store = ConfigStore(state_dir)
    assert store.current() is None
    store.apply(valid_config, actor="tester")
    current = store.current()
    graph, ews = current["mar_account_profiles"]
    assert current["mar_settings"]["concurrency"] == {"workers": 32, "per_mailbox": 4, "per_service_account": 8}
    assert current["mar_settings"]["alerts"] == {"interval": "1h", "smtp": None}
    assert current["mar_settings"]["logs"] == {"max_bytes": 10485760, "backups": 5, "syslog": None}
    assert graph["thumbprint_sha1"] == app_keys.sha1
    assert graph["thumbprint_sha256"] == app_keys.sha256
    assert graph["private_key"] == app_keys.key_pem
    assert graph["cloud"] == "global"
    assert graph["authority_url"] is None
    assert ews["password"] == "first-password"
    assert ews["auth"] == "ntlm"
    assert ews["version"] is None
    assert current["mar_policies"][0]["mailbox_auto_remediation"] == {
        "action": "delete", "enabled": True, "forward_to": None, "delete_mode": "hard"
    }


def test_sha256_thumbprint_without_certificate(state_dir, valid_config, app_keys):
    profile = valid_config["mar_account_profiles"][0]
    profile["thumbprint"] = app_keys.sha256.lower()
    del profile["certificate"]
    ConfigStore(state_dir).apply(valid_config, actor="tester")
    graph = ConfigStore(state_dir).current()["mar_account_profiles"][0]
    assert (graph["thumbprint_sha1"], graph["thumbprint_sha256"]) == (None, app_keys.sha256)


def test_object_present_then_unchanged(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    chain = {"name": "backwards", "profiles": ["exo", "onprem"]}
    first = store.apply_object("chained_profile", chain, actor="tester")
    second = store.apply_object("chained_profile", chain, actor="tester")
    assert first.diff == {
        "mar_chained_profiles": {"backwards": {"state": "added", "after": {"description": "", "name": "backwards", "profiles": ["exo", "onprem"]}}}
    }
    assert not second.changed


def test_object_absent_refused_when_referenced(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    with pytest.raises(InvalidConfigError) as error:
        store.apply_object("account_profile", {"name": "exo"}, state="absent", actor="tester")
    assert [issue.format() for issue in error.value.issues] == [
        "object 'hybrid': unknown account profile 'exo'; declare it in mar_account_profiles or correct the name",
        "object 'mar_domain_mappings[0]': unknown profile 'exo'; "
        "declare it in mar_account_profiles or mar_chained_profiles, or correct the name",
    ]


def test_domain_mapping_keyed_by_profile(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    plan = store.apply_object("domain_mapping", {"profile": "exo", "domains": ["example.com", "example.org"]}, actor="tester")
    assert plan.diff == {
        "mar_domain_mappings": {
            "exo": {"state": "changed", "fields": {"domains": {"before": ["example.com"], "after": ["example.com", "example.org"]}}}
        }
    }
    removed = store.apply_object("domain_mapping", {"profile": "exo"}, state="absent", actor="tester")
    assert list(removed.diff["mar_domain_mappings"]) == ["exo"]
    assert [m["profile"] for m in store.current()["mar_domain_mappings"]] == ["onprem", "hybrid"]


def test_settings_object(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    plan = store.apply_object("settings", {"max_attempts": 2}, check_mode=True)
    assert plan.diff == {"mar_settings": {"max_attempts": {"before": 3, "after": 2}}}


def test_unknown_kind_rejected(state_dir):
    with pytest.raises(ValueError) as error:
        ConfigStore(state_dir).plan_object("mailbox", {"name": "x"})
    assert str(error.value) == (
        "unknown object kind 'mailbox': use one of settings, account_profile, chained_profile, domain_mapping, policy"
    )


def test_purge_false_keeps_undeclared(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    partial = {"mar_policies": [{"name": "EXTRA", "mailbox_auto_remediation": {"action": "delete"}}]}
    plan = store.apply(partial, actor="tester", purge=False)
    assert list(plan.diff) == ["mar_policies"]
    assert [p["name"] for p in store.current()["mar_policies"]] == ["VIP", "DEFAULT", "EXTRA"]


def test_purge_removes_undeclared(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="tester")
    valid_config["mar_policies"] = valid_config["mar_policies"][1:]
    plan = store.apply(valid_config, actor="tester")
    assert plan.diff["mar_policies"]["VIP"]["state"] == "removed"


def test_history_records_who_and_what(state_dir, valid_config):
    store = ConfigStore(state_dir)
    store.apply(valid_config, actor="alice")
    valid_config["mar_settings"]["max_attempts"] = 4
    store.apply(valid_config, actor="bob")
    history = store.history()
    assert [(h["version"], h["actor"]) for h in history] == [(1, "alice"), (2, "bob")]
    assert history[1]["changes"] == {"mar_settings": {"max_attempts": {"before": 3, "after": 4}}}
