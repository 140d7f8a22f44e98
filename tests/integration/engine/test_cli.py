"""marctl replay and marctl test-connection through the applied configuration, tracking and verdict files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mar_runner.config.store import ConfigStore
from tests.plugins.engine import CLIENT, PAYLOAD_SHA, TENANT, messages_with

MID1 = "<m1@evil.example>"


def declared_config(sandbox, app, action="forward_and_delete") -> dict:
    ca = Path(sandbox.ca_file).read_text()
    return {
        "mar_settings": {"enabled": True, "max_attempts": 3, "cloud_timeout": 15, "onprem_timeout": 15,
                         "lookback": "30d"},
        "mar_account_profiles": [
            {"name": "exo", "description": "sandbox tenant", "type": "graph", "client_id": CLIENT,
             "tenant_id": TENANT, "thumbprint": app.sha1, "private_key": app.key_pem,
             "authority_url": sandbox.login_url, "graph_url": sandbox.graph_url, "ca_certificate": ca,
             "test_address": "alice@example.com"},
            {"name": "onprem", "description": "sandbox Exchange", "type": "ews", "username": "CORP\\svc-mar",
             "password": "Corp-Pass-1", "host": sandbox.ews_host("corp"), "ca_certificate": ca,
             "version": "exchange2016",
             "test_address": "carol@corp.example.com"},
        ],
        "mar_chained_profiles": [],
        "mar_domain_mappings": [
            {"domains": ["example.com"], "profile": "exo"},
            {"domains": ["corp.example.com"], "profile": "onprem"},
        ],
        "mar_policies": [{"name": "DEFAULT", "mailbox_auto_remediation": {
            "enabled": True, "action": action, "forward_to": "soc@example.com"}}],
    }


@pytest.fixture
def applied(state_dir, engine_sandbox, app_credentials):
    ConfigStore(state_dir).apply(declared_config(engine_sandbox, app_credentials))
    return state_dir


def write_inputs(tmp_path, recipients, sha256=PAYLOAD_SHA):
    tracking = tmp_path / "tracking.jsonl"
    record = {"message_id": MID1, "mids": [100], "sender": "attacker@evil.example", "subject": "Invoice",
              "received_at": "2026-12-01T10:00:00Z",
              "attachments": [{"name": "invoice.docm", "sha256": sha256}],
              "recipients": [{"address": address, "status": "delivered"} for address in recipients]}
    tracking.write_text(json.dumps(record) + "\n")
    verdicts = tmp_path / "verdicts.json"
    verdicts.write_text(json.dumps([{"sha256": sha256, "verdict": "malicious", "file_name": "invoice.docm",
                                     "observed_at": "2026-12-01T12:00:00Z", "source": "test"}]))
    return tracking, verdicts


def marctl(state_dir, *args):
    return subprocess.run(
        [sys.executable, "-m", "mar_runner.cli.main", "--state-dir", str(state_dir), *args],
        capture_output=True, text=True, timeout=120,
    )


def test_replay_then_replay_again(applied, engine_sandbox, tmp_path):
    tracking, verdicts = write_inputs(tmp_path, ["alice@example.com", "carol@corp.example.com"])
    first = marctl(applied, "replay", "--tracking", str(tracking), str(verdicts))
    assert first.returncode == 0, first.stderr
    assert "alice@example.com" in first.stdout
    assert "Recipients: 2, succeeded: 2, failed: 0, skipped: 0, in progress: 0, already done: 0" in first.stdout
    assert messages_with(engine_sandbox, "alice@example.com", MID1) == []
    assert messages_with(engine_sandbox, "carol@corp.example.com", MID1) == []
    assert len(messages_with(engine_sandbox, "soc@example.com")) == 2
    second = marctl(applied, "replay", str(verdicts))
    assert second.returncode == 0, second.stderr
    assert "Nothing changed: every recipient already had a final outcome." in second.stdout
    assert len(messages_with(engine_sandbox, "soc@example.com")) == 2


def test_replay_writes_mail_and_remediation_logs(applied, engine_sandbox, tmp_path):
    tracking, verdicts = write_inputs(tmp_path, ["alice@example.com"])
    result = marctl(applied, "replay", "--tracking", str(tracking), str(verdicts))
    assert result.returncode == 0, result.stderr
    mail_log = (applied / "logs" / "mail.log").read_text()
    assert "alice@example.com" in mail_log
    assert (applied / "logs" / "remediation.log").stat().st_size > 0
    events = [json.loads(line) for line in (applied / "logs" / "events.jsonl").read_text().splitlines()]
    assert [event["event"] for event in events if event["event"] == "run_finished"] == ["run_finished"]


def test_replay_without_configuration_writes_no_logs(state_dir, tmp_path):
    _, verdicts = write_inputs(tmp_path, ["alice@example.com"])
    marctl(state_dir, "replay", str(verdicts))
    assert not (state_dir / "logs").exists()


def test_replay_with_failures_exits_3(applied, engine_sandbox, tmp_path):
    tracking, verdicts = write_inputs(tmp_path, ["zed@example.com", "user5@example.org"])
    result = marctl(applied, "replay", "--tracking", str(tracking), str(verdicts))
    assert result.returncode == 3, result.stderr
    assert "no_profile_mapped" in result.stdout
    assert "mailbox_not_found" in result.stdout


def test_dry_run_json(applied, engine_sandbox, tmp_path):
    tracking, verdicts = write_inputs(tmp_path, ["alice@example.com"])
    result = marctl(applied, "replay", "--dry-run", "--format", "json", "--tracking", str(tracking), str(verdicts))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dry_run"] is True
    assert data["changed"] is False
    assert data["outcomes"][0]["copies"] == 2
    assert len(messages_with(engine_sandbox, "alice@example.com", MID1)) == 2


def test_replay_without_configuration_exits_2(state_dir, tmp_path):
    _, verdicts = write_inputs(tmp_path, ["alice@example.com"])
    result = marctl(state_dir, "replay", str(verdicts))
    assert result.returncode == 2
    assert "no configuration has been applied to" in result.stderr


def test_replay_missing_file_exits_2(applied, tmp_path):
    result = marctl(applied, "replay", str(tmp_path / "nope.json"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"marctl replay: file not found: {tmp_path / 'nope.json'}"


def test_outcomes_readable_for_reports(applied, engine_sandbox, tmp_path):
    from mar_runner.engine import OutcomeStore
    from mar_runner.state import open_db

    tracking, verdicts = write_inputs(tmp_path, ["alice@example.com"])
    assert marctl(applied, "replay", "--tracking", str(tracking), str(verdicts)).returncode == 0
    stored = OutcomeStore(open_db(applied)).query(sha256=PAYLOAD_SHA)
    assert [o["recipient"] for o in stored] == ["alice@example.com"]
    assert stored[0]["file_name"] == "invoice.docm"
    assert stored[0]["verdict_source"] == "test"
    assert stored[0]["mids"] == ["100"]


def test_test_connection_cli(applied, engine_sandbox):
    ok = marctl(applied, "test-connection", "exo")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "Profile exo reached alice@example.com: connection succeeded."
    failed = marctl(applied, "test-connection", "onprem", "zed@corp.example.com")
    assert failed.returncode == 1
    assert "Message: The SMTP address has no mailbox associated with it" in failed.stdout
    japanese = marctl(applied, "--lang", "ja", "test-connection", "onprem", "zed@corp.example.com")
    assert "メッセージ: この SMTP アドレスに関連付けられたメールボックスはありません" in japanese.stdout
    unknown = marctl(applied, "test-connection", "nope")
    assert unknown.returncode == 2
    assert "unknown account profile 'nope'" in unknown.stderr


def test_replay_in_two_shards(applied, engine_sandbox, tmp_path):
    tracking, verdicts = write_inputs(tmp_path, ["alice@example.com", "bob@example.com"])
    first = marctl(applied, "replay", "--shard", "0/2", "--format", "json", "--tracking", str(tracking), str(verdicts))
    second = marctl(applied, "replay", "--shard", "1/2", "--format", "json", str(verdicts))
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    recipients = [o["recipient"] for run in (first, second) for o in json.loads(run.stdout)["outcomes"]]
    assert sorted(recipients) == ["alice@example.com", "bob@example.com"]
    assert messages_with(engine_sandbox, "alice@example.com", MID1) == []
    assert messages_with(engine_sandbox, "bob@example.com", MID1) == []


def test_invalid_shard_exits_2(applied, tmp_path):
    _, verdicts = write_inputs(tmp_path, ["alice@example.com"])
    result = marctl(applied, "replay", "--shard", "2/2", str(verdicts))
    assert result.returncode == 2
    assert result.stderr.strip() == "marctl replay: invalid --shard 2/2: use I/N with 0 <= I < N, such as 0/2"


def test_replay_garbage_verdict_exits_1(applied, tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("this is not a verdict file\n")
    result = marctl(applied, "replay", str(garbage))
    assert result.returncode == 1, result.stdout
    assert f"{garbage}:1:" in result.stderr
    assert "marctl replay: 1 input error(s); fix the files named above and replay them again" in result.stderr


def test_second_replay_counts_no_actions(applied, engine_sandbox, tmp_path):
    tracking, verdicts = write_inputs(tmp_path, ["alice@example.com"])
    marctl(applied, "replay", "--tracking", str(tracking), str(verdicts))
    second = marctl(applied, "replay", "--format", "json", str(verdicts))
    counters = json.loads(second.stdout)["counters"]
    assert counters["unchanged"] == 1
    assert counters["forwarded_and_deleted"] == 0
