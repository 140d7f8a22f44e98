"""The real msal against the sandbox's Entra ID endpoints: success paths and every AADSTS error it must see.

msal replays a 400 answer for 60 s from a cache bound to one application
object, so each case builds its own application (msal_app returns a new one).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from mar_sandbox.certs import make_app_certificate
from mar_sandbox.testing import (
    APP_FULL,
    APP_NO_ROLES,
    GRAPH_SCOPE,
    TENANT_DOMAIN,
    TENANT_ID,
    app_credential,
    client_session,
    msal_app,
)
from mar_sandbox.tokens import b64url_decode


def _claims(token: str) -> dict:
    return json.loads(b64url_decode(token.split(".")[1]))


def _acquire(sandbox, client_id=APP_FULL, **kwargs) -> dict:
    return msal_app(sandbox, client_id, **kwargs).acquire_token_for_client([GRAPH_SCOPE])


def test_token_with_public_certificate(sandbox):
    result = _acquire(sandbox)
    assert result["token_type"] == "Bearer"
    assert result["expires_in"] == 3599
    assert _claims(result["access_token"])["roles"] == ["Mail.ReadWrite", "Mail.Send"]


def test_token_with_sha1_thumbprint(sandbox):
    cred = app_credential(APP_FULL)
    result = _acquire(sandbox, credential={"private_key": cred.key_pem, "thumbprint": cred.sha1})
    assert "access_token" in result, result.get("error_description")
    assert _claims(result["access_token"])["tid"] == TENANT_ID


def test_token_by_tenant_domain(sandbox):
    result = _acquire(sandbox, tenant=TENANT_DOMAIN)
    assert "access_token" in result, result.get("error_description")


def test_token_without_consent_has_no_roles(sandbox):
    result = _acquire(sandbox, APP_NO_ROLES)
    assert "roles" not in _claims(result["access_token"])


def test_second_token_comes_from_cache(sandbox):
    app = msal_app(sandbox)
    first = app.acquire_token_for_client([GRAPH_SCOPE])
    second = app.acquire_token_for_client([GRAPH_SCOPE])
    assert first["token_source"] == "identity_provider"
    assert second["token_source"] == "cache"
    assert len([e for e in sandbox.request_log("login") if e["operation"] == "token"]) == 1


def test_unknown_tenant_fails_at_discovery(sandbox):
    with pytest.raises(ValueError) as raised:
        msal_app(sandbox, tenant="00000000-0000-0000-0000-00000000dead")
    assert str(raised.value).startswith(
        f"Unable to get authority configuration for {sandbox.login_url}/00000000-0000-0000-0000-00000000dead. "
    )
    entry = sandbox.request_log("login")[-1]
    assert entry["status"] == 400
    assert entry["error"] == "AADSTS90002"


def test_unknown_tenant_body(sandbox):
    session = client_session(sandbox.ca_file)
    answer = session.get(f"{sandbox.login_url}/nosuchtenant/v2.0/.well-known/openid-configuration")
    body = answer.json()
    assert answer.status_code == 400
    assert body["error"] == "invalid_tenant"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith(
        "AADSTS90002: Tenant 'nosuchtenant' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud. Check with your subscription administrator, this may happen if there are "
        "no active subscriptions for the tenant.\r\nTrace ID: "
    )
    assert body["error_uri"] == "https://login.microsoftonline.com/error?code=90002"


def test_unknown_client_id(sandbox):
    cred = app_credential(APP_FULL)
    result = _acquire(sandbox, "11111111-2222-3333-4444-555555555555", credential={"private_key": cred.key_pem, "public_certificate": cred.cert_pem})
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [700016]
    assert result["error_description"].startswith(
        "AADSTS700016: Application with identifier '11111111-2222-3333-4444-555555555555' was not found in the "
        f"directory '{TENANT_ID}'. This can happen if the application has not been installed by the administrator "
        "of the tenant or consented to by any user in the tenant. You may have sent your authentication request to "
        "the wrong tenant.\r\n"
    )


def test_sha256_given_as_thumbprint(sandbox):
    cred = app_credential(APP_FULL)
    result = _acquire(sandbox, credential={"private_key": cred.key_pem, "thumbprint": cred.sha256})
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]
    assert result["error_description"].startswith(
        "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on "
        f"application. [Reason - The key was not found., Thumbprint of key used by client: '{cred.sha256}', "
    )


def test_unregistered_certificate(sandbox):
    key, cert, _sha1, sha256 = make_app_certificate("not registered")
    result = _acquire(sandbox, credential={"private_key": key, "public_certificate": cert})
    assert result["error_codes"] == [700027]
    assert f"[Reason - The key was not found., Thumbprint of key used by client: '{sha256}'" in result["error_description"]


def test_wrong_private_key(sandbox):
    cred = app_credential(APP_FULL)
    other_key, _cert, _sha1, _sha256 = make_app_certificate("other key")
    result = _acquire(sandbox, credential={"private_key": other_key, "thumbprint": cred.sha1})
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith(
        "AADSTS700027: Client assertion contains an invalid signature. [Reason - The provided signature value did "
        f"not match the expected signature value., Thumbprint of key used by client: '{cred.sha1}', Found key 'Start="
    )


def test_expired_key(sandbox):
    now = dt.datetime.now(dt.timezone.utc)
    key, cert, _sha1, sha256 = make_app_certificate("expired", not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=35))
    seed = sandbox.seed_copy()
    seed["tenants"][0]["apps"][0]["certificates"] = [{"pem": cert}]
    sandbox.load_seed(seed)
    result = _acquire(sandbox, credential={"private_key": key, "public_certificate": cert})
    assert result["error_codes"] == [700027]
    assert (
        "AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is expired., "
        f"Thumbprint of key used by client: '{sha256}'"
    ) in result["error_description"]


def test_assertion_outside_time_range(sandbox):
    sandbox.set_clock_offset(3600)
    result = _acquire(sandbox)
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700024]
    pattern = (
        r"AADSTS700024: Client assertion is not within its valid time range\. Current time: "
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z, assertion valid from 1970-01-01T00:00:00\.0000000Z, expiry time "
        r"of assertion \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z\. Review the documentation at "
        r"https://learn\.microsoft\.com/entra/identity-platform/certificate-credentials \.\r\nTrace ID: "
    )
    assert re.match(pattern, result["error_description"]), result["error_description"]


def test_scope_without_default_suffix(sandbox):
    result = msal_app(sandbox).acquire_token_for_client(["https://graph.microsoft.com/Mail.Read"])
    assert result["error"] == "invalid_scope"
    assert result["error_description"].startswith(
        "AADSTS1002012: The provided value for scope https://graph.microsoft.com/Mail.Read is not valid. Client "
        "credential flows must have a scope value with /.default suffixed to the resource identifier (application "
        "ID URI).\r\n"
    )


def test_missing_assertion(sandbox):
    session = client_session(sandbox.ca_file)
    answer = session.post(
        f"{sandbox.login_url}/{TENANT_ID}/oauth2/v2.0/token",
        data={"client_id": APP_FULL, "grant_type": "client_credentials", "scope": GRAPH_SCOPE},
    )
    assert answer.status_code == 401
    assert answer.json()["error_description"].startswith(
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
    )


def test_garbage_assertion(sandbox):
    session = client_session(sandbox.ca_file)
    answer = session.post(
        f"{sandbox.login_url}/{TENANT_ID}/oauth2/v2.0/token",
        data={
            "client_id": APP_FULL,
            "grant_type": "client_credentials",
            "scope": GRAPH_SCOPE,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": "not.a.jwt",
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error_description"].startswith("AADSTS50027: JWT token is invalid or malformed.\r\n")


def test_token_lifetime_setting(sandbox):
    sandbox.set_token_lifetime(120)
    result = _acquire(sandbox)
    claims = _claims(result["access_token"])
    assert result["expires_in"] == 120
    assert claims["exp"] - claims["iat"] == 120
