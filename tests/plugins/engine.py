"""Fixtures of the engine area: an in-memory stub backend and record builders."""

from __future__ import annotations

import hashlib
import itertools
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
