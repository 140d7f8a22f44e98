"""YAML inputs that would silently become a wrong config are reported with file, line and column."""

from __future__ import annotations

from mar_runner.config.positions import VaultValue, load_yaml_text
from mar_runner.config.sources import load_paths
from mar_runner.config.validate import validate_config


def issues_of(path: str, **options) -> list[str]:
    loaded = load_paths([path], **options)
    return [issue.format() for issue in loaded.issues + validate_config(loaded.config, loaded.source)]


def test_duplicate_key_names_both_lines(write_yaml):
    path = write_yaml(
        """
        mar_settings:
          max_attempts: 3
          lookback: 30d
          max_attempts: 5
        """
    )
    assert issues_of(path) == [
        f"{path}:4:3: duplicate key 'max_attempts' (first on line 2, again on line 4); "
        "keep one of them: YAML would silently use the last"
    ]


def test_yaml11_boolean_as_domain(write_yaml):
    path = write_yaml(
        """
        mar_account_profiles:
          - {name: onprem, description: d, type: ews, username: CORP\\svc, password: p, host: mail.corp.example.com}
        mar_domain_mappings:
          - domains: [example.com, no]
            profile: onprem
        """
    )
    assert issues_of(path) == [
        f"{path}:4:28: object 'mar_domain_mappings[0]': 'domains' is the YAML 1.1 boolean no, not the text 'no'; "
        "quote it: 'no'"
    ]


def test_yaml11_boolean_off_as_name(write_yaml):
    path = write_yaml(
        """
        mar_policies:
          - name: off
            mailbox_auto_remediation: {action: delete}
        """
    )
    assert issues_of(path) == [
        f"{path}:2:11: object 'mar_policies[0]': 'name' is the YAML 1.1 boolean off, not the text 'off'; quote it: 'off'"
    ]


def test_yaml11_boolean_yes_where_boolean_belongs_is_fine(write_yaml):
    path = write_yaml("mar_settings:\n  enabled: yes\n")
    assert issues_of(path) == []


def test_unquoted_wildcard_in_flow_list(write_yaml):
    path = write_yaml("mar_domain_mappings:\n  - domains: [ *.example.com ]\n    profile: exo\n")
    assert issues_of(path) == [
        f"{path}:2:16: unquoted value starting with '*' is read as a YAML alias; "
        "quote it, for example '*.example.com' (wildcard domains are not supported: list each domain)"
    ]


def test_unquoted_wildcard_in_block_list(write_yaml):
    path = write_yaml("mar_domain_mappings:\n  - domains:\n      - *.example.com\n    profile: exo\n")
    assert issues_of(path) == [
        f"{path}:3:9: unquoted value starting with '*' is read as a YAML alias; "
        "quote it, for example '*.example.com' (wildcard domains are not supported: list each domain)"
    ]


def test_quoted_wildcard_is_not_supported(write_yaml):
    path = write_yaml(
        """
        mar_account_profiles:
          - {name: onprem, description: d, type: ews, username: CORP\\svc, password: p, host: mail.corp.example.com}
        mar_domain_mappings:
          - domains: ['*.example.com']
            profile: onprem
        """
    )
    assert issues_of(path) == [
        f"{path}:4:15: object 'mar_domain_mappings[0]': wildcard domain '*.example.com' is not supported; "
        "list each domain, or map ALL to cover every domain not listed"
    ]


def test_plain_scalar_starting_with_at(write_yaml):
    path = write_yaml("mar_policies:\n  - name: P\n    recipients: [@example.com]\n")
    assert issues_of(path) == [
        f"{path}:3:18: a plain value cannot start with '@' in YAML; quote it, for example '@example.com'"
    ]


def test_leading_zero_integer(write_yaml):
    path = write_yaml("mar_settings:\n  cloud_timeout: 030\n")
    assert issues_of(path) == [
        f"{path}:2:18: number 030 has a leading zero, which YAML reads as octal or as a string; "
        "write it without the leading zero, or quote it if it is text"
    ]


def test_leading_zero_that_is_not_octal(write_yaml):
    path = write_yaml("mar_settings:\n  max_attempts: 09\n")
    assert issues_of(path)[0] == (
        f"{path}:2:17: number 09 has a leading zero, which YAML reads as octal or as a string; "
        "write it without the leading zero, or quote it if it is text"
    )


def test_syntax_error_is_invalid_file_with_position(write_yaml):
    path = write_yaml("mar_settings:\n  max_attempts: [3\n")
    assert issues_of(path) == [
        f"{path}:3:1: invalid YAML: did not find expected ',' or ']'; fix the syntax at this position"
    ]


VAULT_TEXT = """\
mar_account_profiles:
  - name: onprem
    description: d
    type: ews
    username: CORP\\svc
    password: !vault |
      $ANSIBLE_VAULT;1.1;AES256
      6162636465
    host: mail.corp.example.com
"""


def test_vault_value_without_password_is_a_warning(write_yaml, monkeypatch, tmp_path):
    # No vault password from ansible.cfg or the environment either.
    monkeypatch.setattr("mar_runner.config.vault._configured_sources", lambda: [])
    path = write_yaml(VAULT_TEXT)
    assert issues_of(path) == [f"{path}:6: vault-encrypted value not checked: give a vault password to check it"]


def test_vault_ciphertext_is_never_the_value():
    loaded = load_yaml_text(VAULT_TEXT, "f.yml")
    password = loaded.data["mar_account_profiles"][0]["password"]
    assert isinstance(password, VaultValue)
    assert str(password) == "<vault-encrypted>"
    assert "ANSIBLE_VAULT" not in repr(password)


def _encrypted_value(password_file, plaintext: str) -> str:
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import VaultLib, get_file_vault_secret

    secret = get_file_vault_secret(filename=str(password_file), loader=DataLoader())
    secret.load()
    ciphertext = VaultLib([("default", secret)]).encrypt(plaintext).decode()
    return "".join("  " + line + "\n" for line in ciphertext.splitlines())


REFERENCE_TEXT = """\
mar_account_profiles:
  - name: onprem
    description: d
    type: ews
    username: CORP\\svc
    password: "{{ vault_onprem_password }}"
    host: mail.corp.example.com
vault_onprem_password: !vault |
"""


def test_template_of_vault_value_is_unchecked(write_yaml, tmp_path, monkeypatch):
    monkeypatch.setattr("mar_runner.config.vault._configured_sources", lambda: [])
    password_file = tmp_path / "pw.txt"
    password_file.write_text("pw\n")
    path = write_yaml(REFERENCE_TEXT + _encrypted_value(password_file, "s3cret"))
    loaded = load_paths([path])
    assert issues_of(path) == [f"{path}:8: vault-encrypted value not checked: give a vault password to check it"]
    assert loaded.source.unchecked == {("mar_account_profiles", 0, "password")}


def test_template_of_vault_value_decrypted(write_yaml, tmp_path, monkeypatch):
    monkeypatch.setattr("mar_runner.config.vault._configured_sources", lambda: [])
    password_file = tmp_path / "pw.txt"
    password_file.write_text("pw\n")
    path = write_yaml(REFERENCE_TEXT + _encrypted_value(password_file, "s3cret"))
    loaded = load_paths([path], password_files=[str(password_file)])
    assert issues_of(path, password_files=[str(password_file)]) == []
    assert loaded.config["mar_account_profiles"][0]["password"] == "s3cret"


def test_merge_key_is_applied():
    text = (
        "defaults: &ews\n  type: ews\n  auth: basic\n"
        "profile:\n  <<: *ews\n  auth: ntlm\n  name: onprem\n"
    )
    loaded = load_yaml_text(text, "f.yml")
    assert loaded.issues == []
    assert loaded.data["profile"] == {"type": "ews", "auth": "ntlm", "name": "onprem"}


def test_misspelt_variable_warns(write_yaml):
    path = write_yaml("mar_settings:\n  enabled: true\nmar_polices:\n  - name: DEFAULT\nmar_state_dir: /var/lib/mar\n")
    assert issues_of(path) == [
        f"{path}:3:1: unknown variable 'mar_polices' is not part of the configuration; did you mean mar_policies?"
    ]


def test_undefined_template_variable_in_file(write_yaml, monkeypatch):
    monkeypatch.setattr("mar_runner.config.vault._configured_sources", lambda: [])
    path = write_yaml(REFERENCE_TEXT.replace("vault_onprem_password: !vault |\n", ""))
    issues = issues_of(path)
    assert len(issues) == 1
    assert issues[0].startswith(f"{path}:6:15: cannot resolve template {{{{ vault_onprem_password }}}}: ")
    assert issues[0].endswith("; define the variable it uses or correct the expression")
