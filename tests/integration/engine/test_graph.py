"""The Graph backend through real msal and urllib3 against the sandbox over TLS."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mar_runner.engine import replay
from tests.plugins.engine import (
    NO_SEND_CLIENT,
    PAYLOAD_SHA,
    SCOPED_CLIENT,
    StubTracking,
    StubVerdict,
    base_seed,
    engine_config,
    graph_profile,
    messages_with,
    sandbox_delivery,
    seed_message,
    TENANT,
)

MID1 = "<m1@evil.example>"


def run(state_dir, config, tracking, **kwargs):
    verdicts = kwargs.pop("verdicts", [StubVerdict("v1", sha256=PAYLOAD_SHA)])
    return replay(state_dir, [], config=config, tracking=tracking, verdicts=verdicts,
                  timeout=kwargs.pop("timeout", 20), **kwargs)


def graph_config(sandbox, app, action="delete", **profile_overrides):
    config = engine_config(sandbox, app, action)
    config["mar_account_profiles"][0].update(profile_overrides)
    return config


def test_hard_delete_every_copy(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "alice@example.com")]))
    outcome = result.outcomes[0]
    assert outcome.status == "success", outcome.attempts
    assert outcome.copies == 2
    assert sorted(outcome.folders) == ["Inbox", "Projects"]
    assert outcome.found_by == "message_id"
    assert messages_with(engine_sandbox, "alice@example.com", MID1) == []
    purged = messages_with(engine_sandbox, "alice@example.com", MID1, area="recoverable")
    assert [m["well_known"] for m in purged] == ["recoverableitemspurges"] * 2
    batches = [e for e in engine_sandbox.request_log("graph") if e.get("operation") == "batch"]
    assert len(batches) == 1


def test_soft_delete_keeps_it_recoverable(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "delete", delete_mode="soft")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].status == "success"
    assert messages_with(engine_sandbox, "bob@example.com", MID1) == []
    kept = messages_with(engine_sandbox, "bob@example.com", MID1, area="recoverable")
    assert [m["well_known"] for m in kept] == ["recoverableitemsdeletions"]


def test_forward_carries_attachment(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "forward")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts
    assert len(messages_with(engine_sandbox, "bob@example.com", MID1)) == 1
    received = messages_with(engine_sandbox, "soc@example.com")
    assert len(received) == 1
    assert [a["sha256"] for a in received[0]["attachments"]] == [PAYLOAD_SHA]
    sent = [m for m in messages_with(engine_sandbox, "bob@example.com") if m["well_known"] == "sentitems"]
    assert len(sent) == 1


def test_forward_and_delete(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "forward_and_delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "alice@example.com")]))
    assert result.outcomes[0].status == "success"
    assert result.counters["forwarded_and_deleted"] == 1
    assert messages_with(engine_sandbox, "alice@example.com", MID1) == []
    assert len(messages_with(engine_sandbox, "soc@example.com")) == 1


def test_failed_forward_leaves_message(state_dir, engine_sandbox, app_credentials):
    config = graph_config(engine_sandbox, app_credentials, "forward_and_delete", client_id=NO_SEND_CLIENT)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].status == "failed"
    assert result.outcomes[0].reason == "forward_failed"
    assert len(messages_with(engine_sandbox, "bob@example.com", MID1)) == 1
    assert messages_with(engine_sandbox, "soc@example.com") == []


def test_scope_denies_other_mailboxes(state_dir, engine_sandbox, app_credentials):
    config = graph_config(engine_sandbox, app_credentials, "delete", client_id=SCOPED_CLIENT)
    tracking = StubTracking([sandbox_delivery(MID1, "alice@example.com", "bob@example.com")])
    result = run(state_dir, config, tracking)
    by_recipient = {o.recipient: o for o in result.outcomes}
    assert by_recipient["alice@example.com"].status == "success"
    assert by_recipient["bob@example.com"].reason == "permission_denied"
    assert len(messages_with(engine_sandbox, "bob@example.com", MID1)) == 1


def test_unknown_mailbox(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "zed@example.com")]))
    assert result.outcomes[0].reason == "mailbox_not_found"


def test_already_deleted_reports_not_found(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "soc@example.com")]))
    assert result.outcomes[0].status == "failed"
    assert result.outcomes[0].reason == "message_not_found"


def test_hybrid_mailbox_found_by_second_profile(state_dir, engine_sandbox, app_credentials):
    config = engine_config(
        engine_sandbox, app_credentials, "delete",
        chains=[{"name": "hybrid", "profiles": ["exo", "onprem"]}],
        mappings=[{"domains": ["example.com"], "profile": "hybrid"}],
    )
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "dave@example.com")]))
    outcome = result.outcomes[0]
    assert outcome.status == "success", outcome.attempts
    assert outcome.profile == "onprem"
    assert outcome.attempts[0].reason == "wrong_profile_type"
    assert messages_with(engine_sandbox, "dave@example.com", MID1) == []


@pytest.mark.parametrize("message_id", [
    "<CAKEaRS+qOfSncg8ppnitd=jqiqDs28@mail.gmail.com>",
    "<a'b#c&d?e%f/g@evil.example>",
])
def test_message_id_special_characters(state_dir, engine_sandbox, app_credentials, message_id):
    seed = base_seed(app_credentials, [
        {"address": "erin@example.com", "tenant": TENANT, "messages": [seed_message(message_id)]},
        {"address": "soc@example.com", "tenant": TENANT},
    ])
    engine_sandbox.load_seed(seed)
    config = engine_config(engine_sandbox, app_credentials, "delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(message_id, "erin@example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts
    assert result.outcomes[0].found_by == "message_id"
    assert messages_with(engine_sandbox, "erin@example.com", message_id) == []


def test_fallback_search_when_message_id_differs(state_dir, engine_sandbox, app_credentials):
    seed = base_seed(app_credentials, [
        {"address": "erin@example.com", "tenant": TENANT,
         "messages": [seed_message("<rewritten@outlook.example>"), seed_message("<unrelated@evil.example>",
                                                                                 payload=b"harmless")]},
    ])
    engine_sandbox.load_seed(seed)
    config = engine_config(engine_sandbox, app_credentials, "delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery("<original@gmail.example>", "erin@example.com")]))
    outcome = result.outcomes[0]
    assert outcome.status == "success", outcome.attempts
    assert outcome.found_by == "fallback"
    assert messages_with(engine_sandbox, "erin@example.com", "<rewritten@outlook.example>") == []
    assert len(messages_with(engine_sandbox, "erin@example.com", "<unrelated@evil.example>")) == 1


def test_throttling_absorbed(state_dir, engine_sandbox, app_credentials):
    engine_sandbox.add_fault("throttle", service="graph", count=4, retry_after=0.05)
    config = engine_config(engine_sandbox, app_credentials, "delete", max_attempts=5)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "alice@example.com", "bob@example.com")]))
    assert [o.status for o in result.outcomes] == ["success", "success"]
    throttled = [e for e in engine_sandbox.request_log("graph") if e.get("status") == 429]
    assert throttled


def test_throttled_after_max_attempts_then_retried(state_dir, engine_sandbox, app_credentials):
    rule = engine_sandbox.add_fault("throttle", service="graph", retry_after=0.01)
    config = engine_config(engine_sandbox, app_credentials, "delete", max_attempts=2)
    tracking = StubTracking([sandbox_delivery(MID1, "bob@example.com")])
    first = run(state_dir, config, tracking)
    assert first.outcomes[0].reason == "throttled"
    engine_sandbox.remove_fault(rule)
    second = run(state_dir, config, tracking)
    assert second.outcomes[0].status == "success"
    assert messages_with(engine_sandbox, "bob@example.com", MID1) == []


def test_server_errors_become_connection_failed(state_dir, engine_sandbox, app_credentials):
    engine_sandbox.add_fault("server_error", service="graph", status=503)
    config = engine_config(engine_sandbox, app_credentials, "delete", max_attempts=2)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].reason == "connection_failed"


def test_hang_times_out(state_dir, engine_sandbox, app_credentials):
    engine_sandbox.add_fault("hang", service="graph", seconds=5)
    config = engine_config(engine_sandbox, app_credentials, "delete", max_attempts=1)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]), timeout=0.5)
    assert result.outcomes[0].reason == "timed_out"


def test_profile_ca_wins_over_environment(state_dir, engine_sandbox, app_credentials, monkeypatch, tmp_path):
    from tests.plugins.engine import make_app_credentials

    other = tmp_path / "other-ca.pem"
    other.write_text(make_app_credentials().cert_pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other))
    config = engine_config(engine_sandbox, app_credentials, "delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].status == "success"


def test_missing_ca_fails_verification(state_dir, engine_sandbox, app_credentials):
    config = graph_config(engine_sandbox, app_credentials, "delete", ca_certificate=None)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].reason == "tls_verification_failed"
    assert len(messages_with(engine_sandbox, "bob@example.com", MID1)) == 1


def test_one_token_shared_by_workers(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "delete")
    addresses = ["alice@example.com", "bob@example.com"]
    run(state_dir, config, StubTracking([sandbox_delivery(MID1, *addresses)]))
    token_calls = [e for e in engine_sandbox.request_log("login") if "token" in str(e.get("operation", e.get("path", "")))]
    assert len(token_calls) == 1


def test_sha256_thumbprint_with_certificate(state_dir, engine_sandbox, app_credentials):
    config = graph_config(engine_sandbox, app_credentials, "delete", thumbprint=app_credentials.sha256,
                          thumbprint_sha1=None, thumbprint_sha256=app_credentials.sha256,
                          certificate=app_credentials.cert_pem)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts


def test_sha256_thumbprint_without_certificate(state_dir, engine_sandbox, app_credentials):
    config = graph_config(engine_sandbox, app_credentials, "delete", thumbprint=app_credentials.sha256,
                          thumbprint_sha1=None, thumbprint_sha256=app_credentials.sha256)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].reason == "configuration_error"
    assert "needs the certificate" in result.outcomes[0].attempts[0].message


def test_passphrase_protected_key(state_dir, engine_sandbox, app_credentials):
    config = graph_config(engine_sandbox, app_credentials, "delete", private_key=app_credentials.encrypted_key_pem,
                          private_key_passphrase="test-passphrase")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts


def test_encrypted_key_without_passphrase(state_dir, engine_sandbox, app_credentials):
    config = graph_config(engine_sandbox, app_credentials, "delete", private_key=app_credentials.encrypted_key_pem)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].reason == "configuration_error"
    assert result.outcomes[0].attempts[0].message == (
        "profile exo: private_key is encrypted but private_key_passphrase is not set"
    )
    assert not engine_sandbox.request_log("login")


def test_per_mailbox_limit_avoids_concurrency_throttling(state_dir, engine_sandbox, app_credentials):
    messages = [seed_message(f"<bulk{n}@evil.example>") for n in range(12)]
    engine_sandbox.load_seed(base_seed(app_credentials, [
        {"address": "erin@example.com", "tenant": TENANT, "messages": messages},
    ]))
    engine_sandbox.add_fault("latency", service="graph", delay=0.05)
    config = engine_config(engine_sandbox, app_credentials, "delete", max_attempts=1)
    deliveries = [sandbox_delivery(f"<bulk{n}@evil.example>", "erin@example.com") for n in range(12)]
    result = run(state_dir, config, StubTracking(deliveries))
    assert result.counters["success"] == 12
    assert not [e for e in engine_sandbox.request_log("graph") if e.get("status") == 429]
    assert messages_with(engine_sandbox, "erin@example.com") == []


def test_dry_run_changes_nothing(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "forward_and_delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "alice@example.com")]), dry_run=True)
    assert result.outcomes[0].status == "success"
    assert result.outcomes[0].copies == 2
    assert result.changed is False
    assert len(messages_with(engine_sandbox, "alice@example.com", MID1)) == 2
    assert messages_with(engine_sandbox, "soc@example.com") == []


def test_replay_twice_makes_no_second_call(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "forward_and_delete")
    tracking = StubTracking([sandbox_delivery(MID1, "alice@example.com", "bob@example.com")])
    first = run(state_dir, config, tracking)
    calls = len(engine_sandbox.request_log("graph"))
    second = run(state_dir, config, tracking)
    assert first.changed is True
    assert second.changed is False
    assert second.counters["unchanged"] == 2
    assert len(engine_sandbox.request_log("graph")) == calls
    assert len(messages_with(engine_sandbox, "soc@example.com")) == 2


def test_dropped_connections_become_connection_failed(state_dir, engine_sandbox, app_credentials):
    config = engine_config(engine_sandbox, app_credentials, "delete", max_attempts=2)
    engine_sandbox.add_fault("drop", service="graph")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].reason == "connection_failed"
    assert len(messages_with(engine_sandbox, "bob@example.com", MID1)) == 1


def test_forward_too_large_leaves_message(state_dir, engine_sandbox, app_credentials):
    seed = base_seed(app_credentials)
    seed["settings"] = {"max_message_size": 1024}
    engine_sandbox.load_seed(seed)
    config = engine_config(engine_sandbox, app_credentials, "forward_and_delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    assert result.outcomes[0].status == "failed"
    assert result.outcomes[0].reason == "message_too_large"
    assert len(messages_with(engine_sandbox, "bob@example.com", MID1)) == 1
    assert messages_with(engine_sandbox, "soc@example.com") == []
