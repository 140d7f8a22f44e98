"""Cross-object rules: each failing input gives one exact error at its file, line and column."""

from __future__ import annotations

import textwrap

import pytest

from mar_runner.config.sources import load_paths
from mar_runner.config.validate import validate_config

EWS = "{name: onprem, description: d, type: ews, username: CORP\\\\svc, password: p, host: mail.corp.example.com}"


@pytest.fixture(autouse=True)
def no_configured_vault(monkeypatch):
    monkeypatch.setattr("mar_runner.config.vault._configured_sources", lambda: [])


def issues_of(path: str) -> list[str]:
    loaded = load_paths([path])
    return [issue.format() for issue in loaded.issues + validate_config(loaded.config, loaded.source)]


def _block(text: str) -> str:
    return textwrap.indent(text.strip("\n"), "  ") + "\n"


def graph_yaml(keys, *, client_id=None, tenant_id=None, thumbprint=None, key_pem=None, cert_pem=None, extra="") -> str:
    """A graph profile whose PEM values come from variables at the end of the file (lines 1-10 fixed)."""
    return (
        "mar_account_profiles:\n"
        "  - name: exo\n"
        "    description: d\n"
        "    type: graph\n"
        f"    client_id: {client_id or '00000000-0000-0000-0000-000000000001'}\n"
        f"    tenant_id: {tenant_id or '00000000-0000-0000-0000-0000000000aa'}\n"
        f"    thumbprint: \"{thumbprint or keys.sha1}\"\n"
        '    private_key: "{{ test_key }}"\n'
        '    certificate: "{{ test_cert }}"\n'
        f"    {extra or 'cloud: global'}\n"
        "test_key: |\n" + _block(key_pem or keys.key_pem) + "test_cert: |\n" + _block(cert_pem or keys.cert_pem)
    )


def test_valid_graph_profile(write_yaml, app_keys):
    assert issues_of(write_yaml(graph_yaml(app_keys))) == []


def test_sha256_thumbprint_of_certificate_accepted(write_yaml, app_keys):
    assert issues_of(write_yaml(graph_yaml(app_keys, thumbprint=app_keys.sha256.lower()))) == []


def test_client_id_not_guid(write_yaml, app_keys):
    path = write_yaml(graph_yaml(app_keys, client_id="my-app"))
    assert issues_of(path) == [
        f"{path}:5:16: object 'exo': client_id 'my-app' is not a GUID; copy the Application (client) ID of the "
        "app registration, like 00000000-0000-0000-0000-000000000001"
    ]


def test_tenant_id_domain_accepted(write_yaml, app_keys):
    assert issues_of(write_yaml(graph_yaml(app_keys, tenant_id="contoso.onmicrosoft.com"))) == []


def test_tenant_id_neither_guid_nor_domain(write_yaml, app_keys):
    path = write_yaml(graph_yaml(app_keys, tenant_id="contoso"))
    assert issues_of(path) == [
        f"{path}:6:16: object 'exo': tenant_id 'contoso' is neither a GUID nor a domain; copy the Directory (tenant) "
        "ID, or give a verified domain such as contoso.onmicrosoft.com"
    ]


def test_thumbprint_garbage(write_yaml, app_keys):
    path = write_yaml(graph_yaml(app_keys, thumbprint="not-a-hash"))
    assert issues_of(path) == [
        f"{path}:7:17: object 'exo': thumbprint 'not-a-hash' is not a SHA-1 or SHA-256 certificate hash; "
        "give 40 or 64 hex digits (spaces and colons allowed) or the base64 form of the hash"
    ]


def test_thumbprint_of_another_certificate(write_yaml, app_keys, other_keys):
    path = write_yaml(graph_yaml(app_keys, thumbprint=other_keys.sha1))
    assert issues_of(path) == [
        f"{path}:7:17: object 'exo': thumbprint is not the thumbprint of certificate (its SHA-1 thumbprint is "
        f"{app_keys.sha1}); copy the thumbprint shown for this certificate in the app registration"
    ]


def test_key_of_another_certificate(write_yaml, app_keys, other_keys):
    path = write_yaml(graph_yaml(app_keys, key_pem=other_keys.key_pem))
    assert issues_of(path) == [
        f"{path}:8:18: object 'exo': private_key does not belong to certificate; "
        "give the key and the certificate of the same key pair"
    ]


def test_certificate_given_as_key(write_yaml, app_keys):
    path = write_yaml(graph_yaml(app_keys, key_pem=app_keys.cert_pem))
    assert issues_of(path) == [
        f"{path}:8:18: object 'exo': private_key holds a certificate, not a private key; "
        "give the certificate's private key (PEM starting with -----BEGIN PRIVATE KEY-----)"
    ]


def test_key_given_as_certificate(write_yaml, app_keys):
    path = write_yaml(graph_yaml(app_keys, cert_pem=app_keys.key_pem))
    assert issues_of(path) == [
        f"{path}:9:18: object 'exo': certificate holds a private key, not a certificate; "
        "give the certificate in PEM form (-----BEGIN CERTIFICATE-----)"
    ]


def test_garbage_key(write_yaml, app_keys):
    path = write_yaml(graph_yaml(app_keys, key_pem="hello world"))
    assert issues_of(path) == [
        f"{path}:8:18: object 'exo': private_key is not a PEM private key; "
        "give the private key in PEM form (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)"
    ]


def test_ews_on_exchange_online_rejected(write_yaml):
    path = write_yaml(
        """
        mar_account_profiles:
          - name: cloud
            description: d
            type: ews
            username: svc@example.com
            password: p
            host: outlook.office365.com
        """
    )
    assert issues_of(path) == [
        f"{path}:7:11: object 'cloud': host 'outlook.office365.com' is Exchange Online, which no longer allows "
        "EWS impersonation; use a profile of type graph for Exchange Online mailboxes"
    ]


def test_ews_url_of_exchange_online_rejected(write_yaml):
    path = write_yaml(
        """
        mar_account_profiles:
          - {name: cloud, description: d, type: ews, username: svc@example.com, password: p,
             host: "https://outlook.office365.com/EWS/Exchange.asmx"}
        """
    )
    assert issues_of(path) == [
        f"{path}:3:12: object 'cloud': host 'outlook.office365.com' is Exchange Online, which no longer allows "
        "EWS impersonation; use a profile of type graph for Exchange Online mailboxes"
    ]


@pytest.mark.parametrize("host", ["mail.corp.example.com", "localhost:9445", "https://mail.corp.example.com/EWS/Exchange.asmx"])
def test_ews_host_forms_accepted(write_yaml, host):
    path = write_yaml(
        f"mar_account_profiles:\n  - {{name: o, description: d, type: ews, username: CORP\\\\svc, password: p, host: '{host}'}}\n"
    )
    assert issues_of(path) == []


def test_ews_host_invalid(write_yaml):
    path = write_yaml(
        "mar_account_profiles:\n  - {name: o, description: d, type: ews, username: CORP\\\\svc, password: p, host: 'http://mail'}\n"
    )
    assert issues_of(path) == [
        f"{path}:2:82: object 'o': host 'http://mail' is neither a host name nor an https EWS URL; give the Exchange "
        "server's host name, like mail.corp.example.com, or https://mail.corp.example.com/EWS/Exchange.asmx"
    ]


def test_ews_bad_auth(write_yaml):
    path = write_yaml(
        "mar_account_profiles:\n  - {name: o, description: d, type: ews, username: CORP\\\\svc, password: p, host: h.example.com,\n"
        "     auth: kerberos}\n"
    )
    assert issues_of(path) == [
        f"{path}:3:12: object 'o': 'auth' is 'kerberos', not one of the allowed values; use one of: ntlm, basic"
    ]


def test_ews_bad_ca_certificate(write_yaml):
    path = write_yaml(
        "mar_account_profiles:\n  - {name: o, description: d, type: ews, username: CORP\\\\svc, password: p, host: h.example.com,\n"
        "     ca_certificate: not a pem}\n"
    )
    assert issues_of(path) == [
        f"{path}:3:22: object 'o': ca_certificate is not a PEM certificate; "
        "give the certificate in PEM form (-----BEGIN CERTIFICATE-----)"
    ]


def test_ews_version_pinned(write_yaml):
    path = write_yaml(
        "mar_account_profiles:\n  - {name: o, description: d, type: ews, username: CORP\\\\svc, password: p, host: h.example.com,\n"
        "     version: exchange2010}\n"
    )
    assert issues_of(path) == [
        f"{path}:3:15: object 'o': 'version' is 'exchange2010', not one of the allowed values; "
        "use one of: exchange2013, exchange2016, exchange2019"
    ]


def test_chain_member_unknown_chain_and_repeated(write_yaml):
    path = write_yaml(
        f"""
        mar_account_profiles:
          - {EWS}
        mar_chained_profiles:
          - name: first
            profiles: [onprem]
          - name: second
            profiles: [onprem, first, onprem, ghost]
        """
    )
    assert issues_of(path) == [
        f"{path}:7:24: object 'second': 'first' is a chained profile; a chain holds account profiles only; "
        "list the account profiles of 'first' here instead",
        f"{path}:7:31: object 'second': profile 'onprem' is listed twice; list each profile once",
        f"{path}:7:39: object 'second': unknown account profile 'ghost'; "
        "declare it in mar_account_profiles or correct the name",
    ]


def test_chain_limits(write_yaml):
    chains = "".join(f"  - {{name: c{i}, profiles: [onprem]}}\n" for i in range(6))
    members = ", ".join(["onprem"] * 11)
    path = write_yaml(f"mar_account_profiles:\n  - {EWS}\nmar_chained_profiles:\n{chains}  - {{name: big, profiles: [{members}]}}\n")
    issues = issues_of(path)
    assert issues[0] == (
        f"{path}:9:5: object 'mar_chained_profiles': 7 chained profiles are declared, more than 5; "
        "keep at most 5 chained profiles"
    )
    assert issues[1] == f"{path}:10:27: object 'big': 'profiles' has 11 entries, more than 10; keep at most 10"


def test_names_character_set_and_duplicates(write_yaml):
    path = write_yaml(
        f"""
        mar_account_profiles:
          - {EWS}
          - {{name: "bad name", description: d, type: ews, username: CORP\\\\svc, password: p, host: h.example.com}}
        mar_chained_profiles:
          - name: onprem
            profiles: [onprem]
        """
    )
    assert issues_of(path) == [
        f"{path}:3:12: object 'bad name': name 'bad name' contains characters other than letters, digits, _, - and .; "
        "rename it using only letters, digits, _, - and .",
        f"{path}:5:11: object 'onprem': name 'onprem' is declared twice (first on line 2); "
        "give each profile and each policy its own name",
        f"{path}:6:16: object 'onprem': 'onprem' is a chained profile; a chain holds account profiles only; "
        "list the account profiles of 'onprem' here instead",
    ]


def test_mapping_rules(write_yaml):
    path = write_yaml(
        f"""
        mar_account_profiles:
          - {EWS}
        mar_domain_mappings:
          - domains: [Example.COM, ALL]
            profile: onprem
          - domains: [example.com, ALL, bücher.example]
            profile: ghost
          - domains: [xn--bcher-kva.example, "not a domain", all]
            profile: onprem
        """
    )
    assert issues_of(path) == [
        f"{path}:6:15: object 'mar_domain_mappings[1]': domain 'example.com' is already mapped (first on line 4); "
        "keep each domain in one mapping only",
        f"{path}:6:28: object 'mar_domain_mappings[1]': ALL appears twice (first on line 4); "
        "keep each domain in one mapping only",
        f"{path}:7:14: object 'mar_domain_mappings[1]': unknown profile 'ghost'; "
        "declare it in mar_account_profiles or mar_chained_profiles, or correct the name",
        f"{path}:8:15: object 'mar_domain_mappings[2]': domain 'xn--bcher-kva.example' is already mapped "
        "(first on line 6); keep each domain in one mapping only",
        f"{path}:8:38: object 'mar_domain_mappings[2]': 'not a domain' is not a domain name; "
        "write a domain such as example.com, or ALL",
        f"{path}:8:54: object 'mar_domain_mappings[2]': 'all' must be written ALL in capitals; write ALL",
        f"{path}:9:14: object 'mar_domain_mappings[2]': profile 'onprem' has a second mapping (first on line 5); "
        "merge the domain lists into one mapping per profile",
    ]


def test_policy_rules(write_yaml):
    path = write_yaml(
        """
        mar_policies:
          - name: FWD
            recipients: ["@example.com", "user@", "a@b.example.com", "nobody", "*@example.com"]
            mailbox_auto_remediation: {action: forward}
          - name: DEL
            mailbox_auto_remediation: {action: delete, delete_mode: shred, forward_to: soc}
          - name: FWD
            mailbox_auto_remediation: {action: purge}
        """
    )
    assert issues_of(path) == [
        f"{path}:3:62: object 'FWD': recipient pattern 'nobody' is not an address, @domain or user@; "
        "write user@example.com, @example.com or user@",
        f"{path}:3:72: object 'FWD': recipient pattern '*@example.com' is not an address, @domain or user@; "
        "write user@example.com, @example.com or user@",
        f"{path}:4:31: object 'FWD': 'forward_to' is required for action 'forward'; "
        "add forward_to with the address that receives the forwarded messages",
        f"{path}:6:61: object 'DEL': 'delete_mode' is 'shred', not one of the allowed values; use one of: hard, soft",
        f"{path}:6:80: object 'DEL': 'forward_to' is 'soc', not an email address; write one address such as soc@example.com",
        f"{path}:7:11: object 'FWD': name 'FWD' is declared twice (first on line 2); "
        "give each profile and each policy its own name",
        f"{path}:8:40: object 'FWD': 'action' is 'purge', not one of the allowed values; "
        "use one of: forward, delete, forward_and_delete",
    ]


def test_settings_limits(write_yaml):
    path = write_yaml(
        """
        mar_settings:
          enabled: true
          max_attempts: 6
          cloud_timeout: 10
          onprem_timeout: 91
          lookback: 91d
          concurrency: {per_mailbox: 5}
          retries: 3
        """
    )
    assert issues_of(path) == [
        f"{path}:3:17: object 'mar_settings': 'max_attempts' is 6, outside 1-5; use a value from 1 to 5",
        f"{path}:4:18: object 'mar_settings': 'cloud_timeout' is 10, outside 15-90; use a value from 15 to 90",
        f"{path}:5:19: object 'mar_settings': 'onprem_timeout' is 91, outside 15-90; use a value from 15 to 90",
        f"{path}:6:13: object 'mar_settings': 'lookback' is 91d, longer than 90d; use at most 90d (or 2160h)",
        f"{path}:7:30: object 'mar_settings': 'per_mailbox' is 5, outside 1-4; use a value from 1 to 4",
        f"{path}:8:12: object 'mar_settings': unknown field 'retries'; remove it or correct the spelling; allowed "
        "fields: alerts, cloud_timeout, concurrency, enabled, logs, lookback, max_attempts, onprem_timeout",
    ]


def test_validate_config_without_positions(valid_config):
    valid_config["mar_domain_mappings"][0]["profile"] = "ghost"
    assert [issue.format() for issue in validate_config(valid_config)] == [
        "object 'mar_domain_mappings[0]': unknown profile 'ghost'; "
        "declare it in mar_account_profiles or mar_chained_profiles, or correct the name"
    ]


def test_valid_config_has_no_issues(valid_config):
    assert validate_config(valid_config) == []


def test_encrypted_key_without_passphrase(write_yaml, app_keys):
    from cryptography.hazmat.primitives import serialization

    encrypted = app_keys.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    ).decode()
    path = write_yaml(graph_yaml(app_keys, key_pem=encrypted))
    assert issues_of(path) == [
        f"{path}:8:18: object 'exo': private_key is encrypted but private_key_passphrase is not set; "
        "set private_key_passphrase, or give the key unencrypted"
    ]


def test_encrypted_key_with_passphrase(write_yaml, app_keys):
    from cryptography.hazmat.primitives import serialization

    encrypted = app_keys.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    ).decode()
    path = write_yaml(graph_yaml(app_keys, key_pem=encrypted, extra="private_key_passphrase: pw"))
    assert issues_of(path) == []


def test_short_key(write_yaml):
    from tests.plugins.config import make_key_material

    small = make_key_material(bits=1024)
    path = write_yaml(graph_yaml(small))
    assert issues_of(path) == [
        f"{path}:8:18: object 'exo': private_key is an RSA key of 1024 bits, fewer than 2048; "
        "create a certificate with an RSA key of at least 2048 bits"
    ]


def test_pfx_as_key(write_yaml, app_keys):
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    cert = x509.load_pem_x509_certificate(app_keys.cert_pem.encode())
    pfx = pkcs12.serialize_key_and_certificates(b"app", app_keys.key, cert, None, serialization.NoEncryption())
    text = "\n".join(base64.encodebytes(pfx).decode().split())
    path = write_yaml(graph_yaml(app_keys, key_pem=text))
    assert issues_of(path) == [
        f"{path}:8:18: object 'exo': private_key holds a PKCS#12 (PFX) file, not a PEM private key; "
        "extract the key with: openssl pkcs12 -in cert.pfx -nocerts -out key.pem"
    ]


def test_graph_ca_certificate_invalid(write_yaml, app_keys):
    path = write_yaml(graph_yaml(app_keys, extra="ca_certificate: not a certificate"))
    assert issues_of(path) == [
        f"{path}:10:21: object 'exo': ca_certificate is not a PEM certificate; "
        "give the certificate in PEM form (-----BEGIN CERTIFICATE-----)"
    ]


def test_graph_authority_url_must_be_https(write_yaml, app_keys):
    path = write_yaml(graph_yaml(app_keys, extra="authority_url: http://localhost:9443"))
    assert issues_of(path) == [
        f"{path}:10:20: object 'exo': 'authority_url' is 'http://localhost:9443', not an https URL; "
        "write the base URL starting with https://"
    ]


@pytest.mark.parametrize("host", ["outlook.office.com", "outlook.office365.us", "partner.outlook.cn", "eur.outlook.com"])
def test_other_exchange_online_hosts_rejected(write_yaml, host):
    path = write_yaml(
        f"mar_account_profiles:\n  - {{name: o, description: d, type: ews, username: CORP\\\\svc, password: p, host: '{host}'}}\n"
    )
    assert issues_of(path) == [
        f"{path}:2:82: object 'o': host '{host}' is Exchange Online, which no longer allows EWS impersonation; "
        "use a profile of type graph for Exchange Online mailboxes"
    ]


def test_boolean_domain_from_ansible(valid_config):
    # Ansible reads an unquoted `no` as False, and a module's list of str makes it "False".
    valid_config["mar_domain_mappings"][0]["domains"] = ["False"]
    assert [issue.format() for issue in validate_config(valid_config)] == [
        "object 'mar_domain_mappings[0]': 'False' is not a domain name; "
        "an unquoted yes, no, on, off, true or false is a YAML boolean: quote the domain"
    ]
