"""Migration of the legacy single Office 365 credential set into a profile mapped to ALL."""

from __future__ import annotations

import pytest
import yaml

from mar_runner.config.migrate import MigrationError, dump, migrate
from mar_runner.config.positions import load_yaml_text

LEGACY = {
    "mar_legacy_office365": {
        "client_id": "00000000-0000-0000-0000-000000000001",
        "tenant_id": "contoso.onmicrosoft.com",
        "thumbprint": "r5IFynyIaVQ1WsM5hJdo66MUaXU=",
        "private_key": "{{ vault_o365_key }}",
    },
    "mar_policies": [{"name": "DEFAULT", "mailbox_auto_remediation": {"action": "delete"}}],
}


def test_legacy_becomes_default_profile_on_all():
    variables, message = migrate(LEGACY)
    assert message == "mar_legacy_office365 was migrated into the graph account profile Default, mapped to ALL"
    assert "mar_legacy_office365" not in variables
    assert variables["mar_account_profiles"] == [
        {
            "name": "Default",
            "description": "Office 365 credentials migrated from mar_legacy_office365",
            "type": "graph",
            "client_id": "00000000-0000-0000-0000-000000000001",
            "tenant_id": "contoso.onmicrosoft.com",
            "thumbprint": "r5IFynyIaVQ1WsM5hJdo66MUaXU=",
            "private_key": "{{ vault_o365_key }}",
        }
    ]
    assert variables["mar_domain_mappings"] == [{"domains": ["ALL"], "profile": "Default"}]
    assert variables["mar_policies"] == LEGACY["mar_policies"]


def test_existing_all_mapping_is_kept():
    legacy = dict(LEGACY, mar_domain_mappings=[{"domains": ["ALL"], "profile": "other"}])
    variables, message = migrate(legacy)
    assert variables["mar_domain_mappings"] == [{"domains": ["ALL"], "profile": "other"}]
    assert message == (
        "mar_legacy_office365 was migrated into the graph account profile Default; ALL is already mapped, "
        "so map domains to Default yourself"
    )


def test_missing_field_rejected():
    with pytest.raises(MigrationError) as error:
        migrate({"mar_legacy_office365": {"client_id": "x"}})
    assert str(error.value) == "mar_legacy_office365 lacks tenant_id, thumbprint, private_key; add them before migrating"


def test_vault_value_stays_encrypted():
    text = (
        "mar_legacy_office365:\n  client_id: a\n  tenant_id: b\n  thumbprint: c\n"
        "  private_key: !vault |\n    $ANSIBLE_VAULT;1.1;AES256\n    6162\n"
    )
    variables, _message = migrate(load_yaml_text(text, "f.yml").data)
    output = dump(variables)
    assert "private_key: !vault |\n    $ANSIBLE_VAULT;1.1;AES256\n    6162\n" in output
    assert yaml.safe_load(output.replace("!vault", "")) is not None
