"""marctl validate on the example inventory and on broken copies of it, through Ansible's loaders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.plugins.config import REPO

PASSWORD_FILE = str(REPO / "inventory" / "vault-password-sandbox-only.txt")
# Run from a folder without ansible.cfg and without vault settings in the environment.
NO_ANSIBLE_ENV = {"ANSIBLE_CONFIG": None, "ANSIBLE_VAULT_PASSWORD_FILE": None, "ANSIBLE_VAULT_IDENTITY_LIST": None}


@pytest.fixture
def inventory(tmp_path) -> Path:
    """A copy of the example inventory, to break on purpose."""
    target = tmp_path / "inventory"
    shutil.copytree(REPO / "inventory", target, ignore=shutil.ignore_patterns("logs", "*.log"))
    return target


def _vault_lines() -> list[int]:
    text = (REPO / "inventory" / "group_vars" / "all" / "vault.yml").read_text().splitlines()
    return [number for number, line in enumerate(text, 1) if ": !vault |" in line]


def test_example_inventory_is_valid(marctl):
    result = marctl("validate", "inventory/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == "inventory/ (host engine1): valid, 0 warning(s)\n"


def test_without_vault_password_each_value_warns(marctl, tmp_path):
    result = marctl("validate", str(REPO / "inventory"), cwd=tmp_path, env=NO_ANSIBLE_ENV)
    vault_file = REPO / "inventory" / "group_vars" / "all" / "vault.yml"
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{vault_file}:{line}: vault-encrypted value not checked: give a vault password to check it" for line in _vault_lines()
    ]


def test_strict_fails_on_unchecked_vault_values(marctl, tmp_path):
    result = marctl("validate", "--strict", str(REPO / "inventory"), cwd=tmp_path, env=NO_ANSIBLE_ENV)
    assert result.returncode == 1
    assert result.stderr.endswith(": invalid, 0 error(s), 2 warning(s)\n")


def test_vault_password_file_option(marctl, tmp_path):
    result = marctl("validate", "--vault-password-file", PASSWORD_FILE, str(REPO / "inventory"), cwd=tmp_path, env=NO_ANSIBLE_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_vault_id_option(marctl, tmp_path):
    result = marctl("validate", "--vault-id", f"sandbox@{PASSWORD_FILE}", str(REPO / "inventory"), cwd=tmp_path, env=NO_ANSIBLE_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_wrong_vault_password(marctl, tmp_path):
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password\n")
    result = marctl("validate", "--vault-password-file", str(wrong), str(REPO / "inventory"), cwd=tmp_path, env=NO_ANSIBLE_ENV)
    vault_file = REPO / "inventory" / "group_vars" / "all" / "vault.yml"
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        f"{vault_file}:{_vault_lines()[0]}:24: cannot decrypt this vault value with the given vault passwords; "
        "give the right vault password file or --vault-id"
    )


def test_missing_password_file_is_usage_error(marctl_here, tmp_path):
    result = marctl_here("validate", "--vault-password-file", "nowhere.txt", "inventory/")
    assert result.returncode == 2
    assert result.stderr == "marctl validate: vault password file nowhere.txt was not found; check the path\n"


def test_missing_path_is_usage_error(marctl_here):
    result = marctl_here("validate", "no-such-folder/")
    assert result.returncode == 2
    assert result.stderr == "marctl validate: no-such-folder/ does not exist; give a YAML file or an inventory folder\n"


def test_unknown_host_is_usage_error(marctl_here):
    result = marctl_here("validate", "--host", "ghost", "inventory/")
    assert result.returncode == 2
    assert result.stderr == "marctl validate: host 'ghost' is not in the inventory (hosts: engine1)\n"


def test_bad_option_is_usage_error(marctl_here):
    assert marctl_here("validate", "--no-such-option", "inventory/").returncode == 2


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _line_of(path: Path, needle: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_inventory_error_at_its_file_and_line(marctl_here, inventory):
    mar = inventory / "group_vars" / "all" / "mar.yml"
    _replace(mar, "profile: hybrid", "profile: hybrdi")
    result = marctl_here("validate", "--vault-password-file", PASSWORD_FILE, str(inventory))
    line = _line_of(mar, "profile: hybrdi")
    assert result.returncode == 1
    assert result.stdout == (
        f"{mar}:{line}:14: object 'mar_domain_mappings[2]': unknown profile 'hybrdi'; "
        "declare it in mar_account_profiles or mar_chained_profiles, or correct the name\n"
    )


def test_json_format(marctl_here, inventory):
    mar = inventory / "group_vars" / "all" / "mar.yml"
    _replace(mar, "max_attempts: 3", "max_attempts: 9")
    result = marctl_here("validate", "--format", "json", "--vault-password-file", PASSWORD_FILE, str(inventory))
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["valid"] is False
    assert report["host"] == "engine1"
    assert report["errors"] == [
        {
            "rule": "'max_attempts' is 9, outside 1-5",
            "fix": "use a value from 1 to 5",
            "file": str(mar),
            "line": _line_of(mar, "max_attempts: 9"),
            "column": 17,
            "object": "mar_settings",
            "severity": "error",
            "message": f"{mar}:{_line_of(mar, 'max_attempts: 9')}:17: object 'mar_settings': 'max_attempts' is 9, "
            "outside 1-5; use a value from 1 to 5",
        }
    ]


def test_japanese_messages(marctl_here, inventory):
    mar = inventory / "group_vars" / "all" / "mar.yml"
    _replace(mar, "profile: hybrid", "profile: hybrdi")
    result = marctl_here("--lang", "ja", "validate", "--vault-password-file", PASSWORD_FILE, str(inventory))
    line = _line_of(mar, "profile: hybrdi")
    assert result.stdout == (
        f"{mar}:{line}:14: オブジェクト 'mar_domain_mappings[2]': プロファイル 'hybrdi' がありません; "
        "mar_account_profiles か mar_chained_profiles で宣言するか、名前を修正してください\n"
    )


def test_duplicate_key_in_inventory(marctl_here, inventory):
    mar = inventory / "group_vars" / "all" / "mar.yml"
    _replace(mar, "  lookback: 30d\n", "  lookback: 30d\n  max_attempts: 4\n")
    result = marctl_here("validate", "--vault-password-file", PASSWORD_FILE, str(inventory))
    first, again = _line_of(mar, "max_attempts: 3"), _line_of(mar, "max_attempts: 4")
    assert result.returncode == 1
    assert result.stdout == (
        f"{mar}:{again}:3: duplicate key 'max_attempts' (first on line {first}, again on line {again}); "
        "keep one of them: YAML would silently use the last\n"
    )


def test_host_vars_override_for_chosen_host(marctl_here, inventory):
    (inventory / "hosts.yml").write_text(
        "all:\n  children:\n    mar_engines:\n      hosts:\n        engine1:\n        engine2:\n"
    )
    host_vars = inventory / "host_vars" / "engine2.yml"
    host_vars.parent.mkdir()
    host_vars.write_text("mar_settings:\n  max_attempts: 3\n  lookback: 2w\n")
    default = marctl_here("validate", "--vault-password-file", PASSWORD_FILE, str(inventory))
    chosen = marctl_here("validate", "--host", "engine2", "--vault-password-file", PASSWORD_FILE, str(inventory))
    assert default.returncode == 0, default.stdout
    assert chosen.returncode == 1
    assert chosen.stdout == (
        f"{host_vars}:3:13: object 'mar_settings': 'lookback' is '2w', not a duration; "
        "write a positive integer followed by h or d, like 12h or 30d\n"
    )


def test_undefined_template_variable(marctl_here, inventory):
    mar = inventory / "group_vars" / "all" / "mar.yml"
    _replace(mar, "{{ vault_onprem_password }}", "{{ vault_onprem_pasword }}")
    result = marctl_here("validate", "--vault-password-file", PASSWORD_FILE, str(inventory))
    line = _line_of(mar, "vault_onprem_pasword")
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"{mar}:{line}:15: cannot resolve template {{{{ vault_onprem_pasword }}}}: "
    )
    assert result.stdout.endswith("; define the variable it uses or correct the expression\n")


def test_whole_file_vault_without_password(marctl, inventory, tmp_path):
    secret = inventory / "group_vars" / "all" / "extra.yml"
    secret.write_text("extra_setting: 1\n")
    encrypted = marctl_encrypt(secret, tmp_path)
    assert encrypted.returncode == 0, encrypted.stderr
    result = marctl("validate", str(inventory), cwd=tmp_path, env=NO_ANSIBLE_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{secret}:1: vault-encrypted value not checked: give a vault password to check it" in result.stdout.splitlines()


def marctl_encrypt(path: Path, cwd: Path):
    import subprocess
    import sys

    ansible_vault = Path(sys.executable).with_name("ansible-vault")
    return subprocess.run(
        [str(ansible_vault), "encrypt", "--vault-password-file", PASSWORD_FILE, str(path)],
        cwd=cwd,
        env={k: v for k, v in __import__("os").environ.items() if not k.startswith("ANSIBLE_")},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_file_without_configuration(marctl_here, write_yaml):
    path = write_yaml("other_variable: 1\n")
    result = marctl_here("validate", path)
    assert result.returncode == 1
    assert result.stdout == (
        f"no configuration variables found in {path}; declare mar_settings, mar_account_profiles, "
        "mar_chained_profiles, mar_domain_mappings and mar_policies\n"
    )


def test_vault_password_file_from_environment(marctl, tmp_path):
    env = dict(NO_ANSIBLE_ENV, ANSIBLE_VAULT_PASSWORD_FILE=PASSWORD_FILE, LANG="ja_JP.UTF-8")
    result = marctl("validate", str(REPO / "inventory"), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == f"{REPO / 'inventory'} (ホスト engine1): 正しい設定です。警告 0 件\n"


def test_yaml11_boolean_in_inventory(marctl_here, inventory):
    mar = inventory / "group_vars" / "all" / "mar.yml"
    _replace(mar, "domains: [corp.example.com]", "domains: [corp.example.com, off]")
    result = marctl_here("validate", "--vault-password-file", PASSWORD_FILE, str(inventory))
    line = _line_of(mar, "corp.example.com, off")
    assert result.returncode == 1
    assert result.stdout == (
        f"{mar}:{line}:33: object 'mar_domain_mappings[1]': 'domains' is the YAML 1.1 boolean off, "
        "not the text 'off'; quote it: 'off'\n"
    )
