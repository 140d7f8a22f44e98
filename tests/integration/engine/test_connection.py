"""Test connection: every diagnosis row, with the server's message, cause and fix."""

from __future__ import annotations

import socket

import pytest

from mar_runner.engine.connection import MissingAddress, UnknownProfile, test_connection as check_connection
from tests.plugins.engine import CLIENT, NO_ROLE_CLIENT, TENANT, engine_config, make_app_credentials

WRONG_CLIENT = "00000000-0000-0000-0000-0000000000ff"
WRONG_TENANT = "00000000-0000-0000-0000-0000000000ee"


def check(sandbox, app, profile, address=None, *, graph=None, ews=None, lang=None):
    config = engine_config(sandbox, app)
    config["mar_account_profiles"][0].update(graph or {})
    config["mar_account_profiles"][1].update(ews or {})
    return check_connection(None, profile, address, config=config, timeout=20, lang=lang)


def test_graph_success(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "exo")
    assert result.ok is True
    assert result.address == "alice@example.com"
    assert result.message == "Connection succeeded."


def test_ews_success(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "onprem")
    assert result.ok is True
    assert result.address == "carol@corp.example.com"


def test_no_mailbox(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "onprem", "zed@corp.example.com")
    assert result.ok is False
    assert result.reason == "mailbox_not_found"
    assert result.message == "The SMTP address has no mailbox associated with it"


def test_wrong_profile_type(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "exo", "dave@example.com")
    assert result.reason == "wrong_profile_type"
    assert result.message == (
        "The mailbox cannot be accessed using this profile or the required permissions may be missing"
    )


def test_access_denied(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "exo", graph={"client_id": NO_ROLE_CLIENT})
    assert result.reason == "permission_denied"
    assert result.message == "Access is denied. Check credentials and try again"


def test_wrong_client_id(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "exo", graph={"client_id": WRONG_CLIENT})
    assert result.reason == "authentication_failed"
    assert result.message == f"Application with identifier '{WRONG_CLIENT}' was not found in the directory {TENANT}"
    assert result.server_message.startswith("AADSTS700016")


def test_wrong_tenant_id(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "exo", graph={"tenant_id": WRONG_TENANT})
    assert result.reason == "authentication_failed"
    assert result.message == f"No service namespace named '{WRONG_TENANT}' was found in the data store."


def test_wrong_thumbprint(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "exo", graph={"thumbprint_sha1": "AB" * 20})
    assert result.reason == "authentication_failed"
    assert result.diagnosis == "wrong_thumbprint"
    assert result.message == "Error validating credentials. Credential validation failed"


def test_wrong_private_key(engine_sandbox, app_credentials):
    other = make_app_credentials()
    result = check(engine_sandbox, app_credentials, "exo", graph={"private_key": other.key_pem})
    assert result.reason == "authentication_failed"
    assert result.diagnosis == "invalid_signature"
    assert result.message == "Error validating credentials. Client assertion contains an invalid signature."


def test_clock_skew(engine_sandbox, app_credentials):
    engine_sandbox.set_clock_offset(3 * 3600)
    result = check(engine_sandbox, app_credentials, "exo")
    assert result.reason == "clock_skew"
    assert result.message == "Error validating credentials. Client assertion contains an invalid signature."
    assert "clock" in result.cause


def test_address_not_in_tenant(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "exo", "carol@corp.example.com")
    assert result.reason == "mailbox_not_found"
    assert result.message == "The requested user carol@corp.example.com is invalid"


def test_untrusted_ews_certificate(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "onprem", ews={"ca_certificate": None})
    host = engine_sandbox.ews_host("corp")
    assert result.reason == "tls_verification_failed"
    assert result.message == (
        f"Failed to verify exchange server('{host}') certificate. If self-signed certificate is used "
        "on exchange server install its custom CA certificate"
    )


def test_wrong_ews_password(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "onprem", ews={"password": "wrong"})
    assert result.reason == "authentication_failed"
    assert result.message == "Invalid username or password entered for exchange server ('carol@corp.example.com')"


def test_impersonation_denied(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "onprem",
                   ews={"username": "CORP\\svc-noimp", "password": "Corp-Pass-2"})
    assert result.reason == "permission_denied"
    assert result.message == "The account does not have permission to impersonate the requested user"


def test_wrong_ews_host(engine_sandbox, app_credentials):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check(engine_sandbox, app_credentials, "onprem", ews={"host": f"127.0.0.1:{port}"})
    assert result.reason == "connection_failed"
    assert result.message == f"Please check host 127.0.0.1:{port} is valid exchange server address."


def test_unreachable_graph_host(engine_sandbox, app_credentials):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check(engine_sandbox, app_credentials, "exo", graph={"graph_url": f"https://127.0.0.1:{port}"})
    assert result.reason == "connection_failed"
    assert result.message == f"Please check host 127.0.0.1:{port} is a valid Microsoft 365 login or Graph address."
    assert result.fix == ("Check cloud, authority_url and graph_url on the profile, "
                          "and the network path or proxy to that host.")


def test_unreachable_login_host(engine_sandbox, app_credentials):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = check(engine_sandbox, app_credentials, "exo", graph={"authority_url": f"https://127.0.0.1:{port}"})
    assert result.reason == "connection_failed"
    assert result.message == f"Please check host 127.0.0.1:{port} is a valid Microsoft 365 login or Graph address."


def test_diagnosis_in_japanese(engine_sandbox, app_credentials):
    result = check(engine_sandbox, app_credentials, "onprem",
                   ews={"username": "CORP\\svc-noimp", "password": "Corp-Pass-2"}, lang="ja")
    assert result.message == "このアカウントには要求されたユーザーを偽装する権限がありません"
    assert "ApplicationImpersonation" in result.fix


def test_unknown_profile(engine_sandbox, app_credentials):
    with pytest.raises(UnknownProfile, match="unknown account profile 'nope': use one of exo, onprem"):
        check(engine_sandbox, app_credentials, "nope")


def test_missing_address(engine_sandbox, app_credentials):
    with pytest.raises(MissingAddress, match="profile 'exo' has no test_address"):
        check(engine_sandbox, app_credentials, "exo", graph={"test_address": None})
