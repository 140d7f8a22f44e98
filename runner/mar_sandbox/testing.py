"""Ready-made credentials, a standard seed and client helpers for tests and the demo.

The standard seed has one tenant (``contoso.example``) with four app
registrations that differ only in what they are allowed, one on-premises
organisation (``corp``, domain ``corp.example``) and a few mailboxes with a
known malicious message, so most tests need no seed of their own.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache

import requests

from mar_sandbox.certs import make_app_certificate

TENANT_ID = "5b0c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
TENANT_DOMAIN = "contoso.example"
ORG = "corp"
ORG_DOMAIN = "corp.example"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"

# Client ids of the standard apps.
APP_FULL = "0a1b2c3d-0000-4000-8000-000000000001"  # Mail.ReadWrite + Mail.Send
APP_READ = "0a1b2c3d-0000-4000-8000-000000000002"  # Mail.Read only
APP_NO_ROLES = "0a1b2c3d-0000-4000-8000-000000000003"  # consent never granted
APP_SCOPED = "0a1b2c3d-0000-4000-8000-000000000004"  # Mail.ReadWrite + Mail.Send, only alice

SERVICE_ACCOUNT = "svc-mar"
SERVICE_PASSWORD = "Sandbox-Passw0rd!"
PLAIN_ACCOUNT = "svc-plain"  # no impersonation right
PLAIN_PASSWORD = "Plain-Passw0rd!"

MALICIOUS_MESSAGE_ID = "<CAKEaRS+qOfSncg8ppnitd=jqiqDs28@mail.gmail.com>"
MALICIOUS_ATTACHMENT = "invoice.docm"
MALICIOUS_SIZE = 4096


@dataclass(frozen=True)
class AppCredential:
    """A certificate credential of an app registration; thumbprints are uppercase hex."""

    client_id: str
    key_pem: str
    cert_pem: str
    sha1: str
    sha256: str


@lru_cache(maxsize=None)
def app_credential(client_id: str) -> AppCredential:
    """Return the (per-process) certificate credential of a standard app."""
    key, cert, sha1, sha256 = make_app_certificate(f"mar-sandbox-{client_id[-4:]}")
    return AppCredential(client_id, key, cert, sha1, sha256)


def standard_seed() -> dict:
    """Return a fresh copy of the standard seed (see the module docstring)."""
    apps = [
        (APP_FULL, "mar full", ["Mail.ReadWrite", "Mail.Send"], None),
        (APP_READ, "mar read-only", ["Mail.Read"], None),
        (APP_NO_ROLES, "mar without consent", [], None),
        (APP_SCOPED, "mar scoped", ["Mail.ReadWrite", "Mail.Send"], [f"alice@{TENANT_DOMAIN}"]),
    ]
    app_entries = []
    for client_id, name, roles, scope in apps:
        entry: dict = {"client_id": client_id, "name": name, "roles": roles, "certificates": [{"pem": app_credential(client_id).cert_pem}]}
        if scope is not None:
            entry["scope"] = scope
        app_entries.append(entry)
    malicious = {
        "internet_message_id": MALICIOUS_MESSAGE_ID,
        "from": {"address": "attacker@evil.example", "name": "Accounts"},
        "subject": "Invoice 4711",
        "received": "2026-11-30T09:15:00Z",
        "body": "Please see the attached invoice.",
        "attachments": [{"name": MALICIOUS_ATTACHMENT, "content_type": "application/vnd.ms-word.document.macroEnabled.12", "size": MALICIOUS_SIZE}],
    }
    harmless = {
        "internet_message_id": "<weekly-report-1@contoso.example>",
        "from": f"carol@{TENANT_DOMAIN}",
        "subject": "Weekly report",
        "received": "2026-11-29T08:00:00Z",
        "attachments": [{"name": "report.txt", "content_type": "text/plain", "content": "all good\n"}],
    }
    seed = {
        "tenants": [{"id": TENANT_ID, "name": "contoso", "domains": [TENANT_DOMAIN, ORG_DOMAIN], "apps": app_entries}],
        "onprem": [
            {
                "name": ORG,
                "version": "exchange2016",
                "domains": [ORG_DOMAIN],
                "netbios_domain": "CORP",
                "auth": ["ntlm", "basic"],
                "service_accounts": [
                    {"username": SERVICE_ACCOUNT, "password": SERVICE_PASSWORD, "impersonation": True},
                    {"username": PLAIN_ACCOUNT, "password": PLAIN_PASSWORD, "impersonation": False},
                ],
            }
        ],
        "mailboxes": [
            {"address": f"alice@{TENANT_DOMAIN}", "tenant": TENANT_ID, "archive": True, "folders": ["inbox/Projects"],
             "messages": [malicious, harmless]},
            {"address": f"bob@{TENANT_DOMAIN}", "tenant": TENANT_ID, "messages": [dict(malicious, folder="inbox/Projects")]},
            {"address": f"security@{TENANT_DOMAIN}", "tenant": TENANT_ID},
            {"address": f"dave@{ORG_DOMAIN}", "onprem": ORG, "messages": [malicious]},
            {"address": f"erin@{ORG_DOMAIN}", "onprem": ORG},
        ],
    }
    return copy.deepcopy(seed)


def client_session(ca_file: str) -> requests.Session:
    """Return a requests session that trusts only the sandbox CA (REQUESTS_CA_BUNDLE is ignored)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    return session


def msal_app(sandbox, client_id: str = APP_FULL, *, tenant: str = TENANT_ID, credential: dict | None = None):  # noqa: ANN001, ANN201
    """Return a new msal ConfidentialClientApplication against the sandbox (no instance discovery).

    A new object per call also gives a fresh msal HTTP cache, which replays a
    400 response for 60 seconds.
    """
    import msal

    if credential is None:
        cred = app_credential(client_id)
        credential = {"private_key": cred.key_pem, "public_certificate": cred.cert_pem}
    return msal.ConfidentialClientApplication(
        client_id,
        authority=f"{sandbox.login_url}/{tenant}",
        client_credential=credential,
        instance_discovery=False,
        http_client=client_session(sandbox.ca_file),
    )


def graph_token(sandbox, client_id: str = APP_FULL) -> str:  # noqa: ANN001
    """Acquire an access token for a standard app with msal; raise RuntimeError with the error text otherwise."""
    result = msal_app(sandbox, client_id).acquire_token_for_client([GRAPH_SCOPE])
    if "access_token" not in result:
        raise RuntimeError(f"token request failed: {result.get('error')}: {result.get('error_description')}")
    return result["access_token"]
