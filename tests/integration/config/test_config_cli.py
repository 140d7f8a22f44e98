"""marctl config apply, diff, show, history and migrate on the example inventory."""

from __future__ import annotations

import os

from tests.plugins.config import REPO

SANDBOX_EWS_PASSWORD = "Sandbox-Only-Passw0rd"
# Given explicitly: ansible.cfg is read once per process, maybe before the test moved to the repository.
VAULT = ("--vault-password-file", str(REPO / "inventory" / "vault-password-sandbox-only.txt"))


def test_apply_then_apply_again(marctl_here, tmp_path):
    state = str(tmp_path / "state")
    first = marctl_here("--state-dir", state, "config", "apply", *VAULT, "inventory/")
    second = marctl_here("--state-dir", state, "config", "apply", *VAULT, "inventory/")
    assert first.returncode == 0, first.stderr
    assert first.stdout.endswith(f"applied as version 1 to {state}\n")
    assert "exo:\n    state: added\n" in first.stdout
    assert second.returncode == 0
    assert second.stdout == "no change\n"


def test_diff_after_apply(marctl_here, tmp_path):
    state = str(tmp_path / "state")
    marctl_here("--state-dir", state, "config", "apply", *VAULT, "inventory/")
    result = marctl_here("--state-dir", state, "config", "diff", *VAULT, "inventory/")
    assert result.returncode == 0
    assert result.stdout == "no change\n"


def test_check_writes_nothing(marctl_here, tmp_path):
    state = tmp_path / "state"
    result = marctl_here("--state-dir", str(state), "config", "apply", "--check", *VAULT, "inventory/")
    assert result.returncode == 0
    assert result.stdout.endswith("check mode: nothing was written\n")
    assert not state.exists()


def test_show_masks_secrets(marctl_here, tmp_path):
    state = str(tmp_path / "state")
    marctl_here("--state-dir", state, "config", "apply", *VAULT, "inventory/")
    result = marctl_here("--state-dir", state, "config", "show")
    assert result.returncode == 0
    assert result.stdout.startswith(f"# version 1 of {state}\n")
    assert "  private_key: <set>\n" in result.stdout
    assert "  password: <set>\n" in result.stdout
    assert "PRIVATE KEY" not in result.stdout
    assert SANDBOX_EWS_PASSWORD not in result.stdout
    assert "  thumbprint_sha1: " in result.stdout


def test_show_before_apply(marctl_here, tmp_path):
    state = str(tmp_path / "state")
    result = marctl_here("--state-dir", state, "config", "show")
    assert result.returncode == 1
    assert result.stderr == f"no configuration has been applied to {state}; run marctl config apply\n"


def test_apply_invalid_refused(marctl_here, tmp_path, write_yaml):
    path = write_yaml("mar_domain_mappings:\n  - {domains: [example.com], profile: ghost}\n")
    state = tmp_path / "state"
    result = marctl_here("--state-dir", str(state), "config", "apply", path)
    assert result.returncode == 1
    assert result.stderr == (
        f"{path}:2:39: object 'mar_domain_mappings[0]': unknown profile 'ghost'; "
        "declare it in mar_account_profiles or mar_chained_profiles, or correct the name\n"
        "the configuration is invalid and was not applied\n"
    )
    assert not state.exists()


def test_apply_refuses_unchecked_vault_values(marctl, tmp_path):
    state = tmp_path / "state"
    env = {"ANSIBLE_CONFIG": None, "ANSIBLE_VAULT_PASSWORD_FILE": None, "ANSIBLE_VAULT_IDENTITY_LIST": None}
    result = marctl("--state-dir", str(state), "config", "apply", str(REPO / "inventory"), cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert result.stderr.endswith(
        "the configuration contains vault values that were not decrypted; give a vault password to apply it\n"
    )
    assert not state.exists()


def test_history(marctl_here, tmp_path):
    state = str(tmp_path / "state")
    marctl_here("--state-dir", state, "config", "apply", *VAULT, "inventory/")
    result = marctl_here("--state-dir", state, "config", "history")
    fields = result.stdout.strip().split("\t")
    assert fields[0] == "1"
    assert fields[3] == "mar_account_profiles, mar_chained_profiles, mar_domain_mappings, mar_policies, mar_settings"


def test_state_dir_from_environment(marctl_here, state_dir):
    marctl_here("config", "apply", *VAULT, "inventory/")
    assert (state_dir / "mar.db").exists()
    assert oct(os.stat(state_dir / "mar.db").st_mode & 0o777) == "0o600"


def test_migrate_prints_new_variables(marctl_here, write_yaml):
    path = write_yaml(
        """
        mar_legacy_office365:
          client_id: 00000000-0000-0000-0000-000000000001
          tenant_id: contoso.onmicrosoft.com
          thumbprint: r5IFynyIaVQ1WsM5hJdo66MUaXU=
          private_key: "{{ vault_o365_key }}"
        """
    )
    result = marctl_here("config", "migrate", path)
    assert result.returncode == 0
    assert result.stderr == "mar_legacy_office365 was migrated into the graph account profile Default, mapped to ALL\n"
    assert result.stdout == (
        "mar_account_profiles:\n"
        "- name: Default\n"
        "  description: Office 365 credentials migrated from mar_legacy_office365\n"
        "  type: graph\n"
        "  client_id: 00000000-0000-0000-0000-000000000001\n"
        "  tenant_id: contoso.onmicrosoft.com\n"
        "  thumbprint: r5IFynyIaVQ1WsM5hJdo66MUaXU=\n"
        "  private_key: '{{ vault_o365_key }}'\n"
        "mar_domain_mappings:\n"
        "- domains:\n"
        "  - ALL\n"
        "  profile: Default\n"
    )


def test_validate_warns_about_legacy_variable(marctl_here, write_yaml):
    path = write_yaml("mar_legacy_office365:\n  client_id: a\n")
    result = marctl_here("validate", path)
    assert result.returncode == 0
    assert result.stdout == (
        f"{path}:2:3: mar_legacy_office365 is the configuration of appliance releases before 13.0; "
        "run marctl config migrate to turn it into an account profile mapped to ALL\n"
    )


def test_unwritable_state_dir(marctl_here, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    state = str(blocker / "state")
    result = marctl_here("--state-dir", state, "config", "apply", *VAULT, "inventory/")
    assert result.returncode == 1
    assert result.stderr.startswith(f"cannot use the state directory {state}: ")
    assert result.stderr.endswith("; check that it exists and is writable\n")


def test_binary_file_is_reported(marctl_here, tmp_path):
    path = tmp_path / "config.yml"
    path.write_bytes(b"\xff\xfe\x00binary")
    result = marctl_here("validate", str(path))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{path}: cannot read the file: ")
    assert result.stdout.endswith("; check the path and that the file is UTF-8 text\n")
