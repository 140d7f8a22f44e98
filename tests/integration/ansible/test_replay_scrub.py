"""The replay plugin's own secret scrubbing, on a configuration applied to a real state directory."""

from __future__ import annotations

import importlib.util

import pytest

from mar_runner.config.store import ConfigStore
from mar_sandbox.certs import make_app_certificate
from tests.integration.ansible.conftest import REPO


@pytest.fixture(scope="module")
def plugin():
    """The action plugin module, loaded from its file as Ansible's plugin loader would find it."""
    spec = importlib.util.spec_from_file_location("mar_replay_action", REPO / "plugins" / "action" / "replay.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def applied(tmp_path):
    key_pem, _cert, sha1, _sha256 = make_app_certificate("mar-scrub-test")
    config = {
        "mar_settings": {"alerts": {"smtp": {"host": "relay.example.com", "password": "Smtp-Secret-1",
                                             "from": "mar@example.com", "to": ["soc@example.com"]}}},
        "mar_account_profiles": [
            {"name": "exo", "description": "cloud", "type": "graph", "client_id": "00000000-0000-0000-0000-000000000001",
             "tenant_id": "00000000-0000-0000-0000-0000000000aa", "thumbprint": sha1, "private_key": key_pem},
            {"name": "onprem", "description": "on premises", "type": "ews", "username": "CORP\\svc",
             "password": "Ews-Secret-2", "host": "mail.corp.example.com"},
        ],
    }
    ConfigStore(tmp_path).apply(config, actor="test setup")
    return ConfigStore(tmp_path).current(), key_pem


def test_collect_secrets_finds_every_secret(plugin, applied):
    config, key_pem = applied
    assert plugin.collect_secrets(config) == {key_pem, "Ews-Secret-2", "Smtp-Secret-1"}


def test_scrub_replaces_secrets_at_any_depth(plugin, applied):
    config, key_pem = applied
    secrets = plugin.collect_secrets(config)
    result = {
        "msg": "login failed for CORP\\svc with Ews-Secret-2",
        "outcomes": [{"attempts": [{"message": "relay said Smtp-Secret-1"}], "Ews-Secret-2": key_pem}],
        "counters": {"failed": 1},
    }
    scrubbed = plugin.scrub(result, secrets)
    assert scrubbed == {
        "msg": "login failed for CORP\\svc with ********",
        "outcomes": [{"attempts": [{"message": "relay said ********"}], "********": "********"}],
        "counters": {"failed": 1},
    }


def test_collect_secrets_without_configuration(plugin):
    assert plugin.collect_secrets(None) == set()
