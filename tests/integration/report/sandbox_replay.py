"""A real replay on the sandbox whose outcomes, logs and alerts the report tests read.

The configuration is applied to a fresh state directory, and the tracking
record and the verdict are files. The engine reaches the sandbox's Graph and
EWS over TLS with msal and exchangelib. As the Ansible replay action does,
``install_log_handlers`` runs first, then ``replay``. Alerts go to a local SMTP
relay on 127.0.0.1. The message's subject and file name carry markup,
quotes, CR/LF and an ANSI escape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mar_runner.config.store import ConfigStore
from mar_runner.engine import replay
from mar_runner.engine.run import ReplayResult
from mar_runner.logs import install_log_handlers
from tests.plugins.engine import CLIENT, PAYLOAD_SHA, TENANT, base_seed, seed_message
from tests.unit.alerts.smtp_relay import start_plain_relay

MESSAGE_ID = "<m1@evil.example>"
EVIL_SUBJECT = "Pay now <script>alert('s')</script> \"urgent\"\r\nINFO fake\x1b[31m"
EVIL_FILE_NAME = "<script>alert(\"f\")</script>'.docm"
WRONG_CLIENT = "00000000-0000-0000-0000-00000000dead"

# Recipient, delivery status, and the outcome the replay must reach.
RECIPIENTS: dict[str, tuple[str, str, str | None]] = {
    "alice@example.com": ("delivered", "success", None),
    "dave@example.com": ("delivered", "success", None),
    "carol@corp.example.com": ("delivered", "success", None),
    "gone@corp.example.com": ("delivered", "failed", "message_not_found"),
    "eve@broken.example.com": ("delivered", "failed", "authentication_failed"),
    "user5@example.org": ("delivered", "failed", "no_profile_mapped"),
    # A private key that does not match the certificate registered on the app
    # (AADSTS700027): a credentials error of the profile, alerted once.
    "frank1@wrongkey.example.com": ("delivered", "failed", "authentication_failed"),
    "frank2@wrongkey.example.com": ("delivered", "failed", "authentication_failed"),
    "frank3@wrongkey.example.com": ("delivered", "failed", "authentication_failed"),
    "bounced@example.com": ("bounced", "skipped", "not_delivered"),
}


@dataclass
class SandboxReplay:
    """The state directory of a finished replay, what it returned and the alert emails."""

    state_dir: Path
    result: ReplayResult
    alert_emails: list[bytes] = field(default_factory=list)


def report_seed(app: Any) -> dict[str, Any]:
    mailboxes = [
        {
            "address": "alice@example.com",
            "tenant": TENANT,
            "folders": ["inbox/Projects"],
            "messages": [seed_message(MESSAGE_ID), seed_message(MESSAGE_ID, folder="inbox/Projects")],
        },
        {"address": "gone@corp.example.com", "onprem": "corp"},
        {"address": "soc@example.com", "tenant": TENANT},
        {"address": "carol@corp.example.com", "onprem": "corp", "messages": [seed_message(MESSAGE_ID)]},
        {"address": "dave@example.com", "onprem": "corp", "messages": [seed_message(MESSAGE_ID)]},
    ]
    return base_seed(app, mailboxes)


def declared_config(sandbox: Any, app: Any, other_key_pem: str, relay_port: int) -> dict[str, Any]:
    ca = Path(sandbox.ca_file).read_text()
    graph = {
        "type": "graph",
        "client_id": CLIENT,
        "tenant_id": TENANT,
        "thumbprint": app.sha1,
        "private_key": app.key_pem,
        "authority_url": sandbox.login_url,
        "graph_url": sandbox.graph_url,
        "ca_certificate": ca,
    }
    return {
        "mar_settings": {
            "enabled": True,
            "max_attempts": 2,
            "cloud_timeout": 15,
            "onprem_timeout": 15,
            "lookback": "30d",
            "alerts": {
                "interval": "1h",
                "smtp": {"host": "127.0.0.1", "port": relay_port, "from": "mar@example.com", "to": ["secops@example.com"]},
            },
            "logs": {"max_bytes": 1048576, "backups": 2},
        },
        "mar_account_profiles": [
            {"name": "exo", "description": "sandbox tenant", **graph},
            {"name": "exo-broken", "description": "wrong client id", **graph, "client_id": WRONG_CLIENT},
            {"name": "exo-wrongkey", "description": "key of another certificate", **graph, "private_key": other_key_pem},
            {
                "name": "onprem",
                "description": "sandbox Exchange",
                "type": "ews",
                "username": "CORP\\svc-mar",
                "password": "Corp-Pass-1",
                "host": sandbox.ews_host("corp"),
                "ca_certificate": ca,
            },
        ],
        "mar_chained_profiles": [{"name": "hybrid", "description": "cloud first", "profiles": ["exo", "onprem"]}],
        "mar_domain_mappings": [
            {"domains": ["example.com"], "profile": "hybrid"},
            {"domains": ["corp.example.com"], "profile": "onprem"},
            {"domains": ["broken.example.com"], "profile": "exo-broken"},
            {"domains": ["wrongkey.example.com"], "profile": "exo-wrongkey"},
        ],
        "mar_policies": [{"name": "DEFAULT", "mailbox_auto_remediation": {"enabled": True, "action": "delete"}}],
    }


def _inputs(folder: Path) -> tuple[Path, Path]:
    tracking = folder / "tracking.jsonl"
    record = {
        "message_key": "gw:1",
        "message_id": MESSAGE_ID,
        "mids": [100],
        "sender": "attacker@evil.example",
        "subject": EVIL_SUBJECT,
        "received_at": "2026-12-01T10:00:00Z",
        "attachments": [{"name": EVIL_FILE_NAME, "sha256": PAYLOAD_SHA}],
        "recipients": [{"address": address, "status": status} for address, (status, _s, _r) in RECIPIENTS.items()],
    }
    tracking.write_text(json.dumps(record) + "\n", encoding="utf-8")
    verdicts = folder / "verdicts.json"
    verdicts.write_text(
        json.dumps(
            [
                {
                    "sha256": PAYLOAD_SHA,
                    "verdict": "malicious",
                    "file_name": EVIL_FILE_NAME,
                    "observed_at": "2026-12-01T12:00:00Z",
                    "source": "amp",
                }
            ]
        ),
        encoding="utf-8",
    )
    return tracking, verdicts


def run_sandbox_replay(folder: Path, sandbox: Any, app: Any, other_key_pem: str) -> SandboxReplay:
    """Apply the configuration, replay the verdict against the sandbox and return the state."""
    sandbox.load_seed(report_seed(app))
    controller, mailbox = start_plain_relay()
    state_dir = folder / "state"
    try:
        declared = declared_config(sandbox, app, other_key_pem, controller.port)
        ConfigStore(state_dir).apply(declared)
        tracking, verdicts = _inputs(folder)
        installed = install_log_handlers(state_dir, ConfigStore(state_dir).current()["mar_settings"])
        try:
            result = replay(state_dir, [verdicts], tracking_paths=[tracking], timeout=5)
        finally:
            installed.close()
    finally:
        controller.stop()
    return SandboxReplay(state_dir=state_dir, result=result, alert_emails=[raw for _f, _t, raw in mailbox.messages])
