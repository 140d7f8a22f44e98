"""The pipeline against an in-memory stub backend: actions, skips, chains and the ledger."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from mar_runner.engine import replay
from mar_runner.engine.errors import backend_error
from mar_runner.engine.store import Ledger, LedgerKey, OutcomeStore
from mar_runner.state import open_db
from tests.plugins.engine import (
    SHA,
    VERDICT_TIME,
    StubBackend,
    StubDelivery,
    StubRecipient,
    StubTracking,
    StubVerdict,
    make_config,
)

SCHEMA = json.loads((Path(__file__).parents[3] / "schemas" / "outcome.schema.json").read_text())
MSGID = "<abc@evil.example>"


def run(state_dir, config, tracking, backends, *, verdicts=None, dry_run=False):
    return replay(
        state_dir,
        [],
        config=config,
        tracking=tracking,
        verdicts=verdicts or [StubVerdict("v1")],
        backend_factory=lambda profile: backends[profile["name"]],
        dry_run=dry_run,
    )


def one_delivery(*addresses, **kwargs):
    return StubTracking([StubDelivery("k1", MSGID, [StubRecipient(a) for a in addresses], **kwargs)])


def test_delete_removes_every_copy(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID, "Inbox")
    mail_server.add("alice@example.com", MSGID, "Inbox/Projects")
    backends = {"exo": StubBackend("exo", mail_server)}
    result = run(state_dir, make_config("delete"), one_delivery("alice@example.com"), backends)
    outcome = result.outcomes[0]
    assert outcome.status == "success"
    assert outcome.copies == 2
    assert sorted(outcome.folders) == ["Inbox", "Inbox/Projects"]
    assert mail_server.messages("alice@example.com") == []
    assert result.counters["deleted"] == 1
    assert result.changed is True


def test_outcome_matches_schema(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    backends = {"exo": StubBackend("exo", mail_server)}
    run(state_dir, make_config("delete"), one_delivery("alice@example.com"), backends)
    stored = OutcomeStore(open_db(state_dir)).query()
    assert len(stored) == 1
    jsonschema.validate(stored[0], SCHEMA)
    assert stored[0]["file_name"] == "invoice.docm"
    assert stored[0]["verdict_source"] == "test"


def test_soft_delete_keeps_recoverable_copy(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    config = make_config("delete")
    config["mar_policies"][0]["mailbox_auto_remediation"]["delete_mode"] = "soft"
    run(state_dir, config, one_delivery("alice@example.com"), {"exo": StubBackend("exo", mail_server)})
    assert [m["folder"] for m in mail_server.messages("alice@example.com")] == ["Recoverable Items"]


def test_forward_sends_once_and_keeps_message(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    backends = {"exo": StubBackend("exo", mail_server)}
    result = run(state_dir, make_config("forward"), one_delivery("alice@example.com"), backends)
    assert result.outcomes[0].status == "success"
    assert mail_server.sent == [{"from": "alice@example.com", "to": "soc@example.com", "sha256": SHA}]
    assert len(mail_server.messages("alice@example.com", "Inbox")) == 1
    assert result.counters["forwarded"] == 1


def test_forward_and_delete(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    backends = {"exo": StubBackend("exo", mail_server)}
    result = run(state_dir, make_config("forward_and_delete"), one_delivery("alice@example.com"), backends)
    assert result.outcomes[0].status == "success"
    assert len(mail_server.sent) == 1
    assert mail_server.messages("alice@example.com", "Inbox") == []
    assert result.counters["forwarded_and_deleted"] == 1


def test_failed_forward_leaves_message(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    failures = {"send_draft": [backend_error("server_error", "The message could not be sent.")]}
    backends = {"exo": StubBackend("exo", mail_server, failures=failures)}
    result = run(state_dir, make_config("forward_and_delete"), one_delivery("alice@example.com"), backends)
    assert result.outcomes[0].status == "failed"
    assert result.outcomes[0].reason == "forward_failed"
    assert len(mail_server.messages("alice@example.com", "Inbox")) == 1
    assert mail_server.sent == []


def test_too_large_forward_named(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    failures = {"create_forward": [backend_error("message_too_large", "ErrorMessageSizeExceeded")]}
    backends = {"exo": StubBackend("exo", mail_server, failures=failures)}
    result = run(state_dir, make_config("forward_and_delete"), one_delivery("alice@example.com"), backends)
    assert result.outcomes[0].reason == "message_too_large"
    assert len(mail_server.messages("alice@example.com", "Inbox")) == 1


def test_chain_falls_through_to_second(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    config = make_config(
        "delete",
        chains=[{"name": "hybrid", "profiles": ["onprem", "exo"]}],
        mappings=[{"domains": ["ALL"], "profile": "hybrid"}],
    )
    backends = {
        "onprem": StubBackend("onprem", mail_server, fail_all="authentication_failed"),
        "exo": StubBackend("exo", mail_server),
    }
    result = run(state_dir, config, one_delivery("alice@example.com"), backends)
    outcome = result.outcomes[0]
    assert outcome.status == "success"
    assert outcome.profile == "exo"
    assert outcome.profiles_tried == ["onprem", "exo"]
    assert [a.result for a in outcome.attempts] == ["failed", "success"]
    assert outcome.attempts[0].reason == "authentication_failed"


def test_chain_stops_at_first_success(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    config = make_config(
        "delete",
        chains=[{"name": "hybrid", "profiles": ["exo", "onprem"]}],
        mappings=[{"domains": ["example.com"], "profile": "hybrid"}],
    )
    backends = {"exo": StubBackend("exo", mail_server), "onprem": StubBackend("onprem", mail_server)}
    result = run(state_dir, config, one_delivery("alice@example.com"), backends)
    assert result.outcomes[0].profiles_tried == ["exo"]
    assert not [call for call in mail_server.calls if call[0] == "onprem"]


def test_hybrid_mailbox_found_by_second(state_dir, mail_server):
    mail_server.add("bob@example.com", MSGID)
    config = make_config(
        "delete",
        chains=[{"name": "hybrid", "profiles": ["exo", "onprem"]}],
        mappings=[{"domains": ["example.com"], "profile": "hybrid"}],
    )
    backends = {
        "exo": StubBackend("exo", mail_server, mailboxes=set()),
        "onprem": StubBackend("onprem", mail_server),
    }
    result = run(state_dir, config, one_delivery("bob@example.com"), backends)
    assert result.outcomes[0].profile == "onprem"
    assert result.outcomes[0].attempts[0].reason == "wrong_profile_type"


def test_unmapped_domain_makes_no_call(state_dir, mail_server):
    backends = {"exo": StubBackend("exo", mail_server)}
    result = run(state_dir, make_config("delete"), one_delivery("user5@example.org"), backends)
    assert result.outcomes[0].status == "failed"
    assert result.outcomes[0].reason == "no_profile_mapped"
    assert mail_server.calls == []


def test_skip_reasons(state_dir, mail_server):
    policies = [
        {"name": "DEFAULT", "mailbox_auto_remediation": {"enabled": True, "action": "delete"}},
        {"name": "VIP", "recipients": ["ceo@"], "mailbox_auto_remediation": {"enabled": False, "action": "delete"}},
    ]
    tracking = StubTracking([
        StubDelivery("k1", MSGID, [
            StubRecipient("ceo@example.com"),
            StubRecipient("bounced@example.com", status="bounced"),
        ]),
        StubDelivery("k2", "<old@evil.example>", [StubRecipient("old@example.com")],
                     received_at=VERDICT_TIME - timedelta(days=31)),
    ])
    result = run(state_dir, make_config("delete", policies=policies), tracking,
                 {"exo": StubBackend("exo", mail_server)})
    reasons = {o.recipient: (o.status, o.reason) for o in result.outcomes}
    assert reasons["ceo@example.com"] == ("skipped", "policy_disabled")
    assert reasons["bounced@example.com"] == ("skipped", "not_delivered")
    assert reasons["old@example.com"] == ("skipped", "outside_lookback")
    assert mail_server.calls == []


def test_policy_named_in_tracking_wins(state_dir, mail_server):
    policies = [
        {"name": "DEFAULT", "mailbox_auto_remediation": {"enabled": True, "action": "delete"}},
        {"name": "OFF", "mailbox_auto_remediation": {"enabled": False, "action": "delete"}},
    ]
    tracking = StubTracking([StubDelivery("k1", MSGID, [StubRecipient("a@example.com", policy="OFF")])])
    result = run(state_dir, make_config("delete", policies=policies), tracking, {"exo": StubBackend("exo", mail_server)})
    assert result.outcomes[0].reason == "policy_disabled"


def test_no_policy_at_all_skips(state_dir, mail_server):
    policies = [{"name": "OTHER", "recipients": ["@other.example"],
                 "mailbox_auto_remediation": {"enabled": True, "action": "delete"}}]
    result = run(state_dir, make_config("delete", policies=policies), one_delivery("a@example.com"),
                 {"exo": StubBackend("exo", mail_server)})
    assert result.outcomes[0].reason == "policy_disabled"


def test_no_delivery_found(state_dir, mail_server):
    result = run(state_dir, make_config("delete"), StubTracking([]), {"exo": StubBackend("exo", mail_server)})
    assert result.counters["no_delivery_found"] == 1
    assert result.verdict_outcomes[0]["reason"] == "no_delivery_found"


def test_disabled_does_nothing(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    config = make_config("delete", enabled=False)
    result = run(state_dir, config, one_delivery("alice@example.com"), {"exo": StubBackend("exo", mail_server)})
    assert result.enabled is False
    assert result.disabled_reason == "remediation_disabled"
    assert mail_server.calls == []


def test_non_malicious_verdicts_ignored(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    result = run(state_dir, make_config("delete"), one_delivery("alice@example.com"),
                 {"exo": StubBackend("exo", mail_server)},
                 verdicts=[StubVerdict("v1", verdict="clean"), StubVerdict("v2", verdict="unknown")])
    assert result.counters["verdicts_ignored"] == 2
    assert mail_server.calls == []
    assert result.notices == []


def test_clean_after_remediation_alerts(state_dir, mail_server, caplog):
    mail_server.add("alice@example.com", MSGID)
    backends = {"exo": StubBackend("exo", mail_server)}
    run(state_dir, make_config("delete"), one_delivery("alice@example.com"), backends)
    caplog.set_level("INFO", logger="mar.events")
    result = run(state_dir, make_config("delete"), one_delivery("alice@example.com"), backends,
                 verdicts=[StubVerdict("v9", verdict="clean")])
    assert result.counters["clean_after_remediation"] == 1
    assert result.notices[0]["recipients"] == ["alice@example.com"]
    alerts = [r for r in caplog.records if getattr(r, "mar_event", None) == "alert"]
    assert alerts[0].mar_fields["kind"] == "clean_after_remediation"
    assert alerts[0].levelname == "WARNING"


def test_replay_twice_changes_nothing(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    backends = {"exo": StubBackend("exo", mail_server)}
    first = run(state_dir, make_config("forward_and_delete"), one_delivery("alice@example.com"), backends)
    calls = len(mail_server.calls)
    second = run(state_dir, make_config("forward_and_delete"), one_delivery("alice@example.com"), backends)
    assert first.changed is True
    assert second.changed is False
    assert second.counters["unchanged"] == 1
    assert second.outcomes[0].status == "success"
    assert len(mail_server.calls) == calls
    assert len(mail_server.sent) == 1


def test_permanent_failure_is_final(state_dir, mail_server):
    backends = {"exo": StubBackend("exo", mail_server, fail_all="permission_denied")}
    run(state_dir, make_config("delete"), one_delivery("alice@example.com"), backends)
    calls = len(mail_server.calls)
    second = run(state_dir, make_config("delete"), one_delivery("alice@example.com"), backends)
    assert second.outcomes[0].reason == "permission_denied"
    assert second.outcomes[0].replayed is True
    assert len(mail_server.calls) == calls


def test_transient_failure_retried_next_replay(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    flaky = StubBackend("exo", mail_server, failures={"find": [backend_error("throttled", "busy")]})
    first = run(state_dir, make_config("delete"), one_delivery("alice@example.com"), {"exo": flaky})
    assert first.outcomes[0].reason == "throttled"
    second = run(state_dir, make_config("delete"), one_delivery("alice@example.com"), {"exo": flaky})
    assert second.outcomes[0].status == "success"
    assert mail_server.messages("alice@example.com") == []


def test_dry_run_changes_nothing(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    result = run(state_dir, make_config("forward_and_delete"), one_delivery("alice@example.com"),
                 {"exo": StubBackend("exo", mail_server)}, dry_run=True)
    assert result.outcomes[0].status == "success"
    assert result.outcomes[0].dry_run is True
    assert result.outcomes[0].copies == 1
    assert result.changed is False
    assert len(mail_server.messages("alice@example.com")) == 1
    assert mail_server.sent == []
    assert OutcomeStore(open_db(state_dir)).query() == []


def test_not_found_reported(state_dir, mail_server):
    mail_server.add("alice@example.com", "<other@x>")
    result = run(state_dir, make_config("delete"), one_delivery("alice@example.com"),
                 {"exo": StubBackend("exo", mail_server)})
    assert result.outcomes[0].status == "failed"
    assert result.outcomes[0].reason == "message_not_found"


def test_moved_copy_is_found_again(state_dir, mail_server):
    item = mail_server.add("alice@example.com", MSGID)
    backend = StubBackend("exo", mail_server)
    original_delete = backend.delete
    moved = {"done": False}

    def delete_after_move(mailbox, copy, mode):
        if not moved["done"]:
            moved["done"] = True
            data = mail_server.mailboxes[mailbox].pop(item)
            mail_server.mailboxes[mailbox]["moved1"] = {**data, "folder": "Archive"}
        return original_delete(mailbox, copy, mode)

    backend.delete = delete_after_move
    result = run(state_dir, make_config("delete"), one_delivery("alice@example.com"), {"exo": backend})
    assert result.outcomes[0].status == "success"
    assert mail_server.messages("alice@example.com") == []


def test_one_failing_recipient_others_proceed(state_dir, mail_server):
    for name in ("a", "b", "c", "d", "e"):
        mail_server.add(f"{name}@example.com", MSGID)
    backend = StubBackend("exo", mail_server)
    original_find = backend.find

    def find(mailbox, target):
        if mailbox == "c@example.com":
            raise backend_error("permission_denied", "The account does not have permission to impersonate the requested user.")
        return original_find(mailbox, target)

    backend.find = find
    addresses = [f"{n}@example.com" for n in "abcde"]
    result = run(state_dir, make_config("delete"), one_delivery(*addresses), {"exo": backend})
    assert result.counters["success"] == 4
    assert result.counters["failed"] == 1


def test_resume_sends_recorded_draft_once(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    backend = StubBackend("exo", mail_server)
    from mar_runner.engine.backend import Copy

    draft = backend.create_forward("alice@example.com", Copy("item1", "Inbox"), "soc@example.com")
    ledger = Ledger(open_db(state_dir))
    key = LedgerKey(SHA, MSGID, "alice@example.com", "forward")
    ledger.record(key, status="in_progress", step="draft_created", profile="exo", draft_id=draft, draft_profile="exo")
    result = run(state_dir, make_config("forward"), one_delivery("alice@example.com"), {"exo": backend})
    assert result.outcomes[0].status == "success"
    assert len(mail_server.sent) == 1
    assert ("exo", "create_forward", "alice@example.com") not in mail_server.calls[1:]


def test_resume_after_send_does_not_resend(state_dir, mail_server):
    mail_server.add("alice@example.com", MSGID)
    backend = StubBackend("exo", mail_server)
    from mar_runner.engine.backend import Copy

    draft = backend.create_forward("alice@example.com", Copy("item1", "Inbox"), "soc@example.com")
    backend.send_draft("alice@example.com", draft)
    ledger = Ledger(open_db(state_dir))
    key = LedgerKey(SHA, MSGID, "alice@example.com", "forward_and_delete")
    ledger.record(key, status="in_progress", step="draft_created", profile="exo", draft_id=draft, draft_profile="exo")
    result = run(state_dir, make_config("forward_and_delete"), one_delivery("alice@example.com"), {"exo": backend})
    assert result.outcomes[0].status == "success"
    assert len(mail_server.sent) == 1
    assert mail_server.messages("alice@example.com", "Inbox") == []


def test_unreachable_profile_alerts_once(state_dir, mail_server, caplog):
    caplog.set_level("INFO", logger="mar.events")
    backends = {"exo": StubBackend("exo", mail_server, fail_all="authentication_failed")}
    addresses = [f"u{n}@example.com" for n in range(10)]
    run(state_dir, make_config("delete"), one_delivery(*addresses), backends)
    alerts = [r for r in caplog.records if getattr(r, "mar_event", None) == "alert"]
    assert len(alerts) == 1
    assert alerts[0].mar_fields["profile"] == "exo"
    assert alerts[0].mar_fields["reason"] == "authentication_failed"


def test_events_carry_ids(state_dir, mail_server, caplog):
    caplog.set_level("INFO", logger="mar.events")
    mail_server.add("alice@example.com", MSGID)
    run(state_dir, make_config("delete"), one_delivery("alice@example.com"), {"exo": StubBackend("exo", mail_server)})
    names = [getattr(r, "mar_event", None) for r in caplog.records]
    for event in ("run_started", "profile_attempt", "action", "recipient_outcome", "run_finished"):
        assert event in names
    outcome = next(r for r in caplog.records if getattr(r, "mar_event", None) == "recipient_outcome")
    assert outcome.mar_fields["message_id"] == MSGID
    assert outcome.mar_fields["mid"] == "100"
    assert outcome.mar_fields["profile"] == "exo"


def test_missing_configuration_raises(state_dir, monkeypatch):
    from mar_runner.engine import ConfigurationMissing
    from mar_runner.engine import run as run_module

    monkeypatch.setattr(run_module.sources, "load_config", lambda state: None)
    with pytest.raises(ConfigurationMissing, match="no configuration has been applied"):
        replay(state_dir, [], tracking=StubTracking([]), verdicts=[])


def test_unexpected_error_fails_one_recipient(state_dir, mail_server):
    mail_server.add("a@example.com", MSGID)
    mail_server.add("b@example.com", MSGID)
    backend = StubBackend("exo", mail_server)
    original_find = backend.find

    def find(mailbox, target):
        if mailbox == "a@example.com":
            raise RuntimeError("bug")
        return original_find(mailbox, target)

    backend.find = find
    result = run(state_dir, make_config("delete"), one_delivery("a@example.com", "b@example.com"), {"exo": backend})
    by_recipient = {o.recipient: o for o in result.outcomes}
    assert by_recipient["a@example.com"].reason == "server_error"
    assert by_recipient["b@example.com"].status == "success"
    entry = Ledger(open_db(state_dir)).get(LedgerKey(SHA, MSGID, "a@example.com", "delete"))
    assert entry.status == "in_progress"


def test_shards_split_recipients(state_dir, mail_server):
    addresses = [f"u{n}@example.com" for n in range(20)]
    for address in addresses:
        mail_server.add(address, MSGID)
    backends = {"exo": StubBackend("exo", mail_server)}
    seen = []
    for index in range(3):
        result = replay(state_dir, [], config=make_config("delete"), tracking=one_delivery(*addresses),
                        verdicts=[StubVerdict("v1")], backend_factory=lambda p: backends[p["name"]], shard=(index, 3))
        seen.extend(o.recipient for o in result.outcomes)
    assert sorted(seen) == sorted(addresses)
    assert all(mail_server.messages(address) == [] for address in addresses)


def test_invalid_shard_rejected(state_dir):
    with pytest.raises(ValueError, match="invalid shard 2/2: use I/N with 0 <= I < N, such as 0/2"):
        replay(state_dir, [], config=make_config("delete"), tracking=StubTracking([]), verdicts=[], shard=(2, 2))
