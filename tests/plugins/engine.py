"""Fixtures of the engine area: an in-memory stub backend and record builders."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mar_runner.engine.backend import Copy, FindResult, Target
from mar_runner.engine.errors import BackendError, backend_error

ATTACHMENT = b"malicious payload for tests"
SHA = hashlib.sha256(ATTACHMENT).hexdigest()
VERDICT_TIME = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@dataclass
class StubVerdict:
    verdict_id: str
    sha256: str = SHA
    verdict: str = "malicious"
    observed_at: datetime = VERDICT_TIME
    previous_verdict: str | None = None
    file_name: str | None = "invoice.docm"
    threat_name: str | None = None
    source: str | None = "test"
    origin: str | None = "test:1"


@dataclass
class StubRecipient:
    address: str
    mid: str | None = None
    policy: str | None = None
    status: str = "delivered"
    delivered_at: datetime | None = None
    rid: int = 0


@dataclass
class StubAttachment:
    name: str
    sha256: str


@dataclass
class StubDelivery:
    message_key: str
    message_id: str | None
    recipients: list[StubRecipient]
    mids: list[str] = field(default_factory=lambda: ["100"])
    sender: str | None = "attacker@evil.example"
    subject: str | None = "Invoice"
    received_at: datetime | None = VERDICT_TIME - timedelta(hours=2)
    attachments: list[StubAttachment] = field(default_factory=lambda: [StubAttachment("invoice.docm", SHA)])


class StubTracking:
    def __init__(self, deliveries: list[StubDelivery]) -> None:
        self.deliveries = deliveries

    def deliveries_by_sha256(self, sha256: str) -> list[StubDelivery]:
        return [d for d in self.deliveries if any(a.sha256 == sha256 for a in d.attachments)]


class StubMailServer:
    """Mailboxes shared by the stub backends of several profiles."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.mailboxes: dict[str, dict[str, dict[str, Any]]] = {}
        self.sent: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str, str]] = []

    def add(self, mailbox: str, message_id: str, folder: str = "Inbox", sha256: str = SHA) -> str:
        item_id = f"item{next(self.ids)}"
        self.mailboxes.setdefault(mailbox, {})[item_id] = {
            "message_id": message_id, "folder": folder, "sha256": sha256, "draft": False,
        }
        return item_id

    def messages(self, mailbox: str, folder: str | None = None) -> list[dict[str, Any]]:
        items = self.mailboxes.get(mailbox, {}).values()
        return [item for item in items if folder is None or item["folder"] == folder]


class StubBackend:
    """A backend over StubMailServer; ``failures`` maps an operation to errors raised in turn."""

    kind = "graph"

    def __init__(self, name: str, server: StubMailServer, *, mailboxes: set[str] | None = None,
                 fail_all: str | None = None, failures: dict[str, list[BackendError]] | None = None) -> None:
        self.profile_name = name
        self.server = server
        self.serves = mailboxes
        self.fail_all = fail_all
        self.failures = failures or {}

    def _enter(self, op: str, mailbox: str) -> None:
        self.server.calls.append((self.profile_name, op, mailbox))
        if self.fail_all:
            raise backend_error(self.fail_all, "stub failure")
        queue = self.failures.get(op)
        if queue:
            raise queue.pop(0)
        if self.serves is not None and mailbox not in self.serves:
            raise backend_error("wrong_profile_type", "mailbox is hosted elsewhere")
        if mailbox not in self.server.mailboxes:
            raise backend_error("mailbox_not_found", "no mailbox")

    def find(self, mailbox: str, target: Target) -> FindResult:
        self._enter("find", mailbox)
        with self.server.lock:
            copies = [Copy(item_id, item["folder"]) for item_id, item in self.server.mailboxes[mailbox].items()
                      if item["message_id"] == target.message_id and item["sha256"] == target.sha256
                      and not item["draft"] and item["folder"] not in ("Sent Items", "Purges")]
        return FindResult(copies, "message_id" if copies else None)

    def delete(self, mailbox: str, copy: Copy, mode: str) -> None:
        self._enter("delete", mailbox)
        with self.server.lock:
            item = self.server.mailboxes[mailbox].get(copy.item_id)
            if item is None:
                raise backend_error("message_not_found", "The specified object was not found in the store.")
            if mode == "hard":
                del self.server.mailboxes[mailbox][copy.item_id]
            else:
                item["folder"] = "Recoverable Items"

    def create_forward(self, mailbox: str, copy: Copy, to: str) -> str:
        self._enter("create_forward", mailbox)
        with self.server.lock:
            source = self.server.mailboxes[mailbox][copy.item_id]
            draft_id = f"draft{next(self.server.ids)}"
            self.server.mailboxes[mailbox][draft_id] = {
                "message_id": None, "folder": "Drafts", "sha256": source["sha256"], "draft": True, "to": to,
            }
        return draft_id

    def draft_state(self, mailbox: str, draft_id: str) -> str:
        self._enter("draft_state", mailbox)
        item = self.server.mailboxes[mailbox].get(draft_id)
        if item is None:
            return "missing"
        return "draft" if item["draft"] else "sent"

    def send_draft(self, mailbox: str, draft_id: str) -> None:
        self._enter("send_draft", mailbox)
        with self.server.lock:
            item = self.server.mailboxes[mailbox][draft_id]
            item["draft"] = False
            item["folder"] = "Sent Items"
            self.server.sent.append({"from": mailbox, "to": item["to"], "sha256": item["sha256"]})

    def check(self, mailbox: str) -> None:
        self._enter("check", mailbox)

    def close(self) -> None:
        pass


def make_config(action: str = "delete", *, mappings=None, chains=None, profiles=None, policies=None,
                **settings: Any) -> dict[str, Any]:
    """Build a configuration dict as the config store returns it."""
    policy = {"name": "DEFAULT", "mailbox_auto_remediation": {"enabled": True, "action": action}}
    if action != "delete":
        policy["mailbox_auto_remediation"]["forward_to"] = "soc@example.com"
    base_settings = {"enabled": True, "max_attempts": 3, "cloud_timeout": 30, "onprem_timeout": 30,
                     "lookback": "30d", "concurrency": {"workers": 8, "per_mailbox": 4, "per_service_account": 8}}
    base_settings.update(settings)
    return {
        "mar_settings": base_settings,
        "mar_account_profiles": profiles or [{"name": "exo", "type": "graph"}, {"name": "onprem", "type": "ews"}],
        "mar_chained_profiles": chains or [],
        "mar_domain_mappings": mappings or [{"domains": ["example.com"], "profile": "exo"}],
        "mar_policies": policies or [policy],
    }


@pytest.fixture
def mail_server() -> StubMailServer:
    return StubMailServer()


# -- integration: a sandbox with one tenant, one on-premises organisation and engine profiles ----------

TENANT = "00000000-0000-0000-0000-0000000000aa"
CLIENT = "00000000-0000-0000-0000-000000000001"
SCOPED_CLIENT = "00000000-0000-0000-0000-000000000002"
NO_ROLE_CLIENT = "00000000-0000-0000-0000-000000000003"
NO_SEND_CLIENT = "00000000-0000-0000-0000-000000000004"
RECEIVED = "2026-12-01T10:00:00Z"
PAYLOAD = b"MZ malicious test payload " * 40
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@dataclass
class AppCredentials:
    key_pem: str
    cert_pem: str
    sha1: str
    sha256: str
    encrypted_key_pem: str


def make_app_credentials(passphrase: bytes = b"test-passphrase") -> AppCredentials:
    """Create an RSA key and a self-signed certificate for an app registration."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mar engine test app")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(passphrase)).decode()
    return AppCredentials(
        key_pem=key_pem,
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        sha1=cert.fingerprint(hashes.SHA1()).hex().upper(),
        sha256=cert.fingerprint(hashes.SHA256()).hex().upper(),
        encrypted_key_pem=encrypted,
    )


def seed_message(message_id: str, *, folder: str = "inbox", payload: bytes = PAYLOAD,
                 sender: str = "attacker@evil.example", received: str = RECEIVED) -> dict[str, Any]:
    import base64

    return {
        "internet_message_id": message_id,
        "from": sender,
        "subject": "Invoice",
        "received": received,
        "folder": folder,
        "attachments": [{"name": "invoice.docm", "content_base64": base64.b64encode(payload).decode()}],
    }


def base_seed(app: AppCredentials, mailboxes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A tenant (example.com) with three apps and an on-premises organisation (corp.example.com)."""
    return {
        "tenants": [{
            "id": TENANT,
            "name": "Example",
            "domains": ["example.com"],
            "apps": [
                {"client_id": CLIENT, "roles": ["Mail.ReadWrite", "Mail.Send"], "certificates": [{"pem": app.cert_pem}]},
                {"client_id": SCOPED_CLIENT, "roles": ["Mail.ReadWrite", "Mail.Send"], "scope": ["alice@example.com"],
                 "certificates": [{"pem": app.cert_pem}]},
                {"client_id": NO_ROLE_CLIENT, "roles": [], "certificates": [{"pem": app.cert_pem}]},
                {"client_id": NO_SEND_CLIENT, "roles": ["Mail.ReadWrite"], "certificates": [{"pem": app.cert_pem}]},
            ],
        }],
        "onprem": [{
            "name": "corp",
            "version": "exchange2016",
            "domains": ["corp.example.com", "example.com"],
            "auth": ["ntlm", "basic"],
            "netbios_domain": "CORP",
            "service_accounts": [
                {"username": "svc-mar", "password": "Corp-Pass-1", "impersonation": True},
                {"username": "svc-noimp", "password": "Corp-Pass-2", "impersonation": False},
            ],
        }],
        "mailboxes": mailboxes if mailboxes is not None else [
            {"address": "alice@example.com", "tenant": TENANT, "folders": ["inbox/Projects"],
             "messages": [seed_message("<m1@evil.example>"), seed_message("<m1@evil.example>", folder="inbox/Projects")]},
            {"address": "bob@example.com", "tenant": TENANT, "messages": [seed_message("<m1@evil.example>")]},
            {"address": "soc@example.com", "tenant": TENANT},
            {"address": "carol@corp.example.com", "onprem": "corp", "messages": [seed_message("<m1@evil.example>")]},
            {"address": "dave@example.com", "onprem": "corp", "messages": [seed_message("<m1@evil.example>")]},
            {"address": "soc@corp.example.com", "onprem": "corp"},
        ],
    }


@pytest.fixture(scope="session")
def app_credentials() -> AppCredentials:
    return make_app_credentials()


@pytest.fixture(scope="session")
def engine_sandbox_session(app_credentials, tmp_path_factory):
    from mar_sandbox import Sandbox

    sandbox = Sandbox(base_seed(app_credentials), tmp_path_factory.mktemp("engine-sandbox"))
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def engine_sandbox(engine_sandbox_session, app_credentials):
    """The engine area's sandbox, reset to the base seed for each test."""
    engine_sandbox_session.load_seed(base_seed(app_credentials))
    yield engine_sandbox_session
    engine_sandbox_session.clear_faults()


def graph_profile(sandbox, app: AppCredentials, name: str = "exo", **overrides: Any) -> dict[str, Any]:
    profile = {
        "name": name, "type": "graph", "client_id": CLIENT, "tenant_id": TENANT,
        "thumbprint": app.sha1, "thumbprint_sha1": app.sha1, "thumbprint_sha256": None,
        "private_key": app.key_pem, "private_key_passphrase": None, "certificate": None, "cloud": "global",
        "authority_url": sandbox.login_url, "graph_url": sandbox.graph_url,
        "ca_certificate": Path(sandbox.ca_file).read_text(), "test_address": "alice@example.com",
    }
    profile.update(overrides)
    return profile


def ews_profile(sandbox, name: str = "onprem", **overrides: Any) -> dict[str, Any]:
    profile = {
        "name": name, "type": "ews", "username": "CORP\\svc-mar", "password": "Corp-Pass-1",
        "host": sandbox.ews_host("corp"), "auth": "ntlm", "version": "exchange2016",
        "ca_certificate": Path(sandbox.ca_file).read_text(), "test_address": "carol@corp.example.com",
    }
    profile.update(overrides)
    return profile


def engine_config(sandbox, app: AppCredentials, action: str = "delete", *, profiles=None, mappings=None,
                  chains=None, delete_mode: str | None = None, max_attempts: int = 3,
                  forward_to: str = "soc@example.com") -> dict[str, Any]:
    config = make_config(
        action,
        profiles=profiles or [graph_profile(sandbox, app), ews_profile(sandbox)],
        mappings=mappings or [
            {"domains": ["example.com"], "profile": "exo"},
            {"domains": ["corp.example.com"], "profile": "onprem"},
        ],
        chains=chains,
        max_attempts=max_attempts,
    )
    remediation = config["mar_policies"][0]["mailbox_auto_remediation"]
    if action != "delete":
        remediation["forward_to"] = forward_to
    if delete_mode:
        remediation["delete_mode"] = delete_mode
    return config


def messages_with(sandbox, address: str, message_id: str | None = None, area: str | None = "ipm") -> list[dict[str, Any]]:
    """Return the message summaries of a sandbox mailbox with their folder path.

    Only one Message-ID when ``message_id`` is set; only the user-visible
    folders (area ``ipm``) unless ``area`` says otherwise (None: all areas).
    """
    found = []
    for folder in sandbox.inspect(address)["folders"]:
        if area is not None and folder["area"] != area:
            continue
        for message in folder["messages"]:
            if message_id is None or message["internet_message_id"] == message_id:
                found.append({**message, "folder_path": folder["path"], "area": folder["area"],
                              "well_known": folder["well_known"]})
    return found


def sandbox_delivery(message_id: str, *addresses: str, sha256: str = PAYLOAD_SHA, **kwargs: Any) -> StubDelivery:
    return StubDelivery(
        message_key=message_id, message_id=message_id, recipients=[StubRecipient(a) for a in addresses],
        received_at=datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc),
        attachments=[StubAttachment("invoice.docm", sha256)], **kwargs,
    )
