"""A profile that cannot sign in alerts once per interval across replays, through a local relay."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import socket

import pytest

from mar_runner.config.store import ConfigStore
from mar_runner.engine import replay
from mar_runner.logs import REMEDIATION_LOG, install_log_handlers
from tests.unit.alerts.smtp_relay import start_plain_relay

from .sandbox_replay import declared_config, report_seed

SHA_A = hashlib.sha256(b"first file").hexdigest()
SHA_B = hashlib.sha256(b"second file").hexdigest()


def _write_inputs(folder, sha256, message_id):
    tracking = folder / f"tracking-{sha256[:8]}.jsonl"
    tracking.write_text(
        json.dumps(
            {
                "message_id": message_id,
                "mids": [200],
                "received_at": "2026-12-01T10:00:00Z",
                "attachments": [{"name": "a.docm", "sha256": sha256}],
                "recipients": [{"address": "eve@broken.example.com", "status": "delivered"}],
            }
        )
        + "\n"
    )
    verdicts = folder / f"verdicts-{sha256[:8]}.json"
    verdicts.write_text(json.dumps([{"sha256": sha256, "verdict": "malicious", "observed_at": "2026-12-01T12:00:00Z", "source": "amp"}]))
    return tracking, verdicts


@pytest.fixture
def relay():
    controller, mailbox = start_plain_relay()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def syslog_receiver():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    yield receiver
    receiver.close()


def _received(receiver):
    datagrams = []
    while True:
        try:
            datagrams.append(receiver.recv(65535).decode("utf-8"))
        except TimeoutError:
            return datagrams


def test_one_alert_for_two_replays(tmp_path, engine_sandbox_session, app_credentials, relay, syslog_receiver):
    controller, mailbox = relay
    engine_sandbox_session.load_seed(report_seed(app_credentials))
    state_dir = tmp_path / "state"
    declared = declared_config(engine_sandbox_session, app_credentials, app_credentials.key_pem, controller.port)
    declared["mar_settings"]["logs"]["syslog"] = f"127.0.0.1:{syslog_receiver.getsockname()[1]}"
    ConfigStore(state_dir).apply(declared)
    settings = ConfigStore(state_dir).current()["mar_settings"]

    for sha256, message_id in ((SHA_A, "<a@evil.example>"), (SHA_B, "<b@evil.example>")):
        tracking, verdicts = _write_inputs(tmp_path, sha256, message_id)
        installed = install_log_handlers(state_dir, settings)
        try:
            result = replay(state_dir, [verdicts], tracking_paths=[tracking], timeout=5)
        finally:
            installed.close()
        assert [(outcome.status, outcome.reason) for outcome in result.outcomes] == [("failed", "authentication_failed")]

    assert len(mailbox.messages) == 1
    message = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default)
    assert message["Subject"] == "mailsec.mar: profile exo-broken cannot reach its mailboxes"
    log_lines = (state_dir / "logs" / REMEDIATION_LOG).read_text(encoding="utf-8").splitlines()
    assert len([line for line in log_lines if " alert " in line]) == 1
    assert len([line for line in log_lines if " run_started " in line]) == 2

    datagrams = _received(syslog_receiver)
    assert len([text for text in datagrams if " recipient_outcome " in text]) == 2
    assert len([text for text in datagrams if " alert " in text]) == 1
    assert all(text.startswith("<") and "mar: " in text for text in datagrams)


def _closed_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_failing_relay_does_not_stop_replay(tmp_path, engine_sandbox_session, app_credentials):
    engine_sandbox_session.load_seed(report_seed(app_credentials))
    state_dir = tmp_path / "state"
    # Nothing listens on the relay port, so every alert email fails to connect.
    ConfigStore(state_dir).apply(declared_config(engine_sandbox_session, app_credentials, app_credentials.key_pem, _closed_port()))
    settings = ConfigStore(state_dir).current()["mar_settings"]
    tracking, verdicts = _write_inputs(tmp_path, SHA_A, "<a@evil.example>")
    installed = install_log_handlers(state_dir, settings)
    try:
        result = replay(state_dir, [verdicts], tracking_paths=[tracking], timeout=5)
    finally:
        installed.close()

    assert [(outcome.status, outcome.reason) for outcome in result.outcomes] == [("failed", "authentication_failed")]
    log_lines = (state_dir / "logs" / REMEDIATION_LOG).read_text(encoding="utf-8").splitlines()
    delivery_errors = [line for line in log_lines if " error " in line and "kind=alert_delivery_failed" in line]
    assert len(delivery_errors) == 1
    assert "alert email not sent: relay 127.0.0.1:" in delivery_errors[0]
    assert " run_finished " in log_lines[-1]
