"""Basic and connection-bound NTLM authentication, driven by pyspnego's client."""

from __future__ import annotations

import base64

import pytest
import spnego

from mar_sandbox.ews.auth import AuthenticationFailed, ConnectionAuth, authenticate, register_backend
from mar_sandbox.ews.backend import ServiceAccount

ACCOUNT = ServiceAccount("CORP", "svc", "Secret-1", True, ("basic", "ntlm"), ("corp.example",))
METHODS = ("ntlm", "basic")


class Accounts:
    """The two account queries authentication makes, over a fixed list."""

    def __init__(self, accounts):
        self.accounts = accounts

    def service_accounts(self):
        return self.accounts

    def service_account(self, login):
        return next((account for account in self.accounts if account.matches(login)), None)


BACKEND = Accounts([ACCOUNT])
register_backend(BACKEND)


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


@pytest.mark.parametrize("login", ["CORP\\svc", "corp\\SVC", "svc", "svc@corp.example", "svc@CORP"])
def test_basic_accepts_login_forms(login):
    account, challenge = authenticate(basic(login, "Secret-1"), ConnectionAuth(), BACKEND, METHODS, "h")
    assert account is ACCOUNT
    assert challenge is None


@pytest.mark.parametrize(
    "header",
    [basic("CORP\\svc", "wrong"), basic("CORP\\other", "Secret-1"), "Basic !!!", "Bearer abc", None],
    ids=["wrong-password", "unknown-user", "bad-base64", "other-scheme", "missing"],
)
def test_basic_rejections_challenge(header):
    with pytest.raises(AuthenticationFailed) as raised:
        authenticate(header, ConnectionAuth(), BACKEND, METHODS, "mail.corp.example")
    assert raised.value.challenges == ["Negotiate", "NTLM", 'Basic realm="mail.corp.example"']


def test_basic_not_offered():
    with pytest.raises(AuthenticationFailed) as raised:
        authenticate(basic("CORP\\svc", "Secret-1"), ConnectionAuth(), BACKEND, ("ntlm",), "h")
    assert raised.value.challenges == ["Negotiate", "NTLM"]


def ntlm_handshake(username: str, password: str, state: ConnectionAuth):
    client = spnego.client(username, password, protocol="ntlm")
    negotiate = base64.b64encode(client.step()).decode()
    account, challenge = authenticate(f"NTLM {negotiate}", state, BACKEND, METHODS, "h")
    assert account is None
    assert challenge.startswith("NTLM ")
    token = client.step(base64.b64decode(challenge[5:]))
    return authenticate(f"NTLM {base64.b64encode(token).decode()}", state, BACKEND, METHODS, "h")


@pytest.mark.parametrize("username", ["CORP\\svc", "svc@corp.example", "svc"])
def test_ntlm_binds_connection(username):
    state = ConnectionAuth()
    account, challenge = ntlm_handshake(username, "Secret-1", state)
    assert account is ACCOUNT
    assert challenge is None
    assert authenticate(None, state, BACKEND, METHODS, "h") == (ACCOUNT, None)


def test_negotiate_wraps_ntlm():
    state = ConnectionAuth()
    client = spnego.client("CORP\\svc", "Secret-1", hostname="localhost", protocol="negotiate")
    header = "Negotiate " + base64.b64encode(client.step()).decode()
    account = None
    for _ in range(3):
        account, challenge = authenticate(header, state, BACKEND, METHODS, "h")
        if account is not None:
            break
        assert challenge.startswith("Negotiate ")
        header = "Negotiate " + base64.b64encode(client.step(base64.b64decode(challenge[10:]))).decode()
    assert account is ACCOUNT


def test_ntlm_wrong_password():
    state = ConnectionAuth()
    with pytest.raises(AuthenticationFailed):
        ntlm_handshake("CORP\\svc", "wrong", state)
    with pytest.raises(AuthenticationFailed):
        authenticate(None, state, BACKEND, METHODS, "h")


def test_ntlm_other_connection_unauthenticated():
    ntlm_handshake("CORP\\svc", "Secret-1", ConnectionAuth())
    with pytest.raises(AuthenticationFailed):
        authenticate(None, ConnectionAuth(), BACKEND, METHODS, "h")


def test_ntlm_authenticate_without_negotiate():
    with pytest.raises(AuthenticationFailed):
        authenticate("NTLM " + base64.b64encode(b"NTLMSSP\x00\x03\x00\x00\x00").decode(), ConnectionAuth(), BACKEND, METHODS, "h")
