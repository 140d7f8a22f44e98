"""The EWS backend through real exchangelib (NTLM and Basic) against the sandbox over TLS."""

from __future__ import annotations

import pytest

from mar_runner.engine import replay
from tests.plugins.engine import (
    PAYLOAD_SHA,
    StubTracking,
    StubVerdict,
    TENANT,
    base_seed,
    engine_config,
    ews_profile,
    graph_profile,
    messages_with,
    sandbox_delivery,
    seed_message,
)

MID1 = "<m1@evil.example>"


def run(state_dir, config, tracking, **kwargs):
    verdicts = kwargs.pop("verdicts", [StubVerdict("v1", sha256=PAYLOAD_SHA)])
    return replay(state_dir, [], config=config, tracking=tracking, verdicts=verdicts,
                  timeout=kwargs.pop("timeout", 20), **kwargs)


def ews_config(sandbox, app, action="delete", forward_to="soc@corp.example.com", **overrides):
    config = engine_config(sandbox, app, action, forward_to=forward_to)
    config["mar_account_profiles"][1].update(overrides)
    return config


def test_hard_delete(state_dir, engine_sandbox, app_credentials):
    result = run(state_dir, ews_config(engine_sandbox, app_credentials), StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    outcome = result.outcomes[0]
    assert outcome.status == "success", outcome.attempts
    assert outcome.profile == "onprem"
    assert outcome.copies == 1
    assert messages_with(engine_sandbox, "carol@corp.example.com", MID1) == []


def test_soft_delete_recoverable(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials)
    config["mar_policies"][0]["mailbox_auto_remediation"]["delete_mode"] = "soft"
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts
    assert messages_with(engine_sandbox, "carol@corp.example.com", MID1) == []
    kept = messages_with(engine_sandbox, "carol@corp.example.com", MID1, area="recoverable")
    assert [m["well_known"] for m in kept] == ["recoverableitemsdeletions"]


def test_forward_and_delete(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials, "forward_and_delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts
    assert messages_with(engine_sandbox, "carol@corp.example.com", MID1) == []
    received = messages_with(engine_sandbox, "soc@corp.example.com")
    assert len(received) == 1
    assert [a["sha256"] for a in received[0]["attachments"]] == [PAYLOAD_SHA]


def test_forward_keeps_message(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials, "forward")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts
    assert len(messages_with(engine_sandbox, "carol@corp.example.com", MID1)) == 1
    assert len(messages_with(engine_sandbox, "soc@corp.example.com")) == 1


def test_basic_auth(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials, auth="basic", username="svc-mar")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts


def test_version_guessed(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials, version=None)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts


def test_wrong_password_is_authentication_failed(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials, password="wrong", auth="basic", username="svc-mar")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].reason == "authentication_failed"
    assert result.outcomes[0].attempts[0].message == f"HTTP 401 from {engine_sandbox.ews_host('corp')}"


def test_chain_bad_password_then_graph(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials, password="wrong")
    config["mar_chained_profiles"] = [{"name": "hybrid", "profiles": ["onprem", "exo"]}]
    config["mar_domain_mappings"] = [{"domains": ["ALL"], "profile": "hybrid"}]
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    outcome = result.outcomes[0]
    assert outcome.status == "success", outcome.attempts
    assert outcome.profiles_tried == ["onprem", "exo"]
    assert outcome.attempts[0].reason == "authentication_failed"
    assert messages_with(engine_sandbox, "bob@example.com", MID1) == []


def test_impersonation_denied(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials, username="CORP\\svc-noimp", password="Corp-Pass-2")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].reason == "permission_denied"
    assert len(messages_with(engine_sandbox, "carol@corp.example.com", MID1)) == 1


def test_migrated_mailbox_falls_through_to_graph(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials)
    config["mar_chained_profiles"] = [{"name": "hybrid", "profiles": ["onprem", "exo"]}]
    config["mar_domain_mappings"] = [{"domains": ["example.com"], "profile": "hybrid"}]
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "bob@example.com")]))
    outcome = result.outcomes[0]
    assert outcome.attempts[0].reason == "mailbox_not_found"
    assert outcome.profile == "exo"


def test_message_id_without_brackets_on_server(state_dir, engine_sandbox, app_credentials):
    engine_sandbox.load_seed(base_seed(app_credentials, [
        {"address": "frank@corp.example.com", "onprem": "corp", "folders": ["inbox/Deep/Deeper"],
         "messages": [seed_message("bare@evil.example", folder="inbox/Deep/Deeper")]},
    ]))
    config = ews_config(engine_sandbox, app_credentials)
    result = run(state_dir, config, StubTracking([sandbox_delivery("<bare@evil.example>", "frank@corp.example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts
    assert result.outcomes[0].folders == ["Deeper"]
    assert messages_with(engine_sandbox, "frank@corp.example.com") == []


def test_server_busy_absorbed(state_dir, engine_sandbox, app_credentials):
    engine_sandbox.add_fault("throttle", service="ews", count=3, retry_after=0.05)
    config = ews_config(engine_sandbox, app_credentials, "delete")
    config["mar_settings"]["max_attempts"] = 5
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].status == "success", result.outcomes[0].attempts
    assert messages_with(engine_sandbox, "carol@corp.example.com", MID1) == []


def test_server_busy_beyond_attempts(state_dir, engine_sandbox, app_credentials):
    engine_sandbox.add_fault("throttle", service="ews", retry_after=0.01)
    config = ews_config(engine_sandbox, app_credentials, "delete")
    config["mar_settings"]["max_attempts"] = 2
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].reason == "throttled"


def test_untrusted_certificate(state_dir, engine_sandbox, app_credentials):
    config = ews_config(engine_sandbox, app_credentials, ca_certificate=None)
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].reason == "tls_verification_failed"


def test_wrong_host(state_dir, engine_sandbox, app_credentials):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ews_config(engine_sandbox, app_credentials, host=f"127.0.0.1:{port}")
    config["mar_settings"]["max_attempts"] = 1
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].reason == "connection_failed"


def test_impersonation_refused_for_one_of_five(state_dir, engine_sandbox, app_credentials):
    from mar_sandbox.ews.error_rules import ews_error_rules

    addresses = [f"staff{n}@corp.example.com" for n in range(5)]
    engine_sandbox.load_seed(base_seed(app_credentials, [
        {"address": address, "onprem": "corp", "messages": [seed_message(MID1)]} for address in addresses
    ]))
    ews_error_rules(engine_sandbox.context).add(code="ErrorImpersonateUserDenied", mailbox="staff2@corp.example.com")
    result = run(state_dir, ews_config(engine_sandbox, app_credentials), StubTracking([sandbox_delivery(MID1, *addresses)]))
    by_recipient = {o.recipient: o for o in result.outcomes}
    assert result.counters["success"] == 4
    assert by_recipient["staff2@corp.example.com"].reason == "permission_denied"
    assert len(messages_with(engine_sandbox, "staff2@corp.example.com", MID1)) == 1
    assert messages_with(engine_sandbox, "staff0@corp.example.com", MID1) == []


def test_http_403_is_permission_denied(state_dir, engine_sandbox, app_credentials):
    from mar_sandbox.ews.error_rules import ews_error_rules

    ews_error_rules(engine_sandbox.context).add(status=403, mailbox="carol@corp.example.com")
    result = run(state_dir, ews_config(engine_sandbox, app_credentials), StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].reason == "permission_denied"
    assert result.outcomes[0].attempts[0].message == f"HTTP 403 from {engine_sandbox.ews_host('corp')}"


def test_hang_times_out(state_dir, engine_sandbox, app_credentials):
    engine_sandbox.add_fault("hang", service="ews", seconds=5)
    config = ews_config(engine_sandbox, app_credentials)
    config["mar_settings"]["max_attempts"] = 1
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]), timeout=0.5)
    assert result.outcomes[0].reason == "timed_out"


def test_forward_too_large_leaves_message(state_dir, engine_sandbox, app_credentials):
    seed = base_seed(app_credentials)
    seed["settings"] = {"max_message_size": 1024}
    engine_sandbox.load_seed(seed)
    config = ews_config(engine_sandbox, app_credentials, "forward_and_delete")
    result = run(state_dir, config, StubTracking([sandbox_delivery(MID1, "carol@corp.example.com")]))
    assert result.outcomes[0].reason == "message_too_large"
    assert len(messages_with(engine_sandbox, "carol@corp.example.com", MID1)) == 1
    assert messages_with(engine_sandbox, "soc@corp.example.com") == []


def test_archive_searched(state_dir, engine_sandbox, app_credentials):
    engine_sandbox.load_seed(base_seed(app_credentials, [
        {"address": "gina@corp.example.com", "onprem": "corp", "archive": True,
         "messages": [seed_message(MID1, folder="archiveinbox"), seed_message(MID1)]},
    ]))
    result = run(state_dir, ews_config(engine_sandbox, app_credentials),
                 StubTracking([sandbox_delivery(MID1, "gina@corp.example.com")]))
    outcome = result.outcomes[0]
    assert outcome.status == "success", outcome.attempts
    assert outcome.copies == 2
    assert sorted(outcome.folders) == ["Archive/Inbox", "Inbox"]
    purges = ("recoverableitemspurges", "archiverecoverableitemspurges")
    left = [m["folder_path"] for m in messages_with(engine_sandbox, "gina@corp.example.com", MID1, area=None)
            if m["well_known"] not in purges]
    assert left == []
