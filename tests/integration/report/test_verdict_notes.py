"""A clean verdict after a remediation, and a verdict that found no delivery, on the sandbox."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json

from mar_runner.cli.main import main
from mar_runner.config.store import ConfigStore
from mar_runner.engine import replay
from mar_runner.i18n import set_language
from tests.plugins.engine import PAYLOAD_SHA
from tests.unit.alerts.smtp_relay import start_plain_relay

from .sandbox_replay import MESSAGE_ID, declared_config, report_seed

UNSEEN_SHA = hashlib.sha256(b"a file nobody received").hexdigest()


def _verdicts(folder, name, entries):
    path = folder / name
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def _report_json(state_dir, capsys):
    assert main(["--state-dir", str(state_dir), "report", "--format", "json"]) == 0
    set_language(None)
    return json.loads(capsys.readouterr().out)


def test_clean_verdict_and_unmatched_verdict(tmp_path, engine_sandbox_session, app_credentials, capsys):
    engine_sandbox_session.load_seed(report_seed(app_credentials))
    controller, mailbox = start_plain_relay()
    try:
        state_dir = tmp_path / "state"
        ConfigStore(state_dir).apply(declared_config(engine_sandbox_session, app_credentials, app_credentials.key_pem, controller.port))
        tracking = tmp_path / "tracking.jsonl"
        tracking.write_text(
            json.dumps(
                {
                    "message_id": MESSAGE_ID,
                    "mids": [300],
                    "received_at": "2026-12-01T10:00:00Z",
                    "attachments": [{"name": "invoice.docm", "sha256": PAYLOAD_SHA}],
                    "recipients": [{"address": "alice@example.com", "status": "delivered"}],
                }
            )
            + "\n"
        )
        malicious = _verdicts(
            tmp_path,
            "malicious.json",
            [
                {"sha256": PAYLOAD_SHA, "verdict": "malicious", "file_name": "invoice.docm", "observed_at": "2026-12-01T12:00:00Z", "source": "amp"},
                {"sha256": UNSEEN_SHA, "verdict": "malicious", "file_name": "nobody.exe", "observed_at": "2026-12-01T12:00:00Z", "source": "amp"},
            ],
        )
        first = replay(state_dir, [malicious], tracking_paths=[tracking], timeout=5)
        assert [(outcome.recipient, outcome.status) for outcome in first.outcomes] == [("alice@example.com", "success")]

        clean = _verdicts(
            tmp_path,
            "clean.json",
            [{"sha256": PAYLOAD_SHA, "verdict": "clean", "previous_verdict": "malicious", "observed_at": "2026-12-02T12:00:00Z", "source": "amp"}],
        )
        replay(state_dir, [clean], timeout=5)
    finally:
        controller.stop()

    assert len(mailbox.messages) == 1
    warning = email.message_from_bytes(mailbox.messages[0][2], policy=email.policy.default)
    assert warning["Subject"] == f"mailsec.mar: clean verdict for a remediated file {PAYLOAD_SHA}"
    body = warning.get_content().replace("\r\n", "\n")
    assert f"- alice@example.com: delete of {MESSAGE_ID} at " in body

    document = _report_json(state_dir, capsys)
    notes = {(note["sha256"], note["code"]) for note in document["verdict_notes"]}
    assert notes == {(UNSEEN_SHA, "no_delivery_found"), (PAYLOAD_SHA, "clean_after_remediation")}
    assert document["counters"]["deleted"] == 1
    unseen = next(note for note in document["verdict_notes"] if note["sha256"] == UNSEEN_SHA)
    assert unseen["file_name"] == "nobody.exe"
    assert unseen["text"] == "No delivered message carries this SHA-256 in the tracking index."
