"""The replay action plugin, connection_test and report_info through ansible-playbook.

The sandbox contains the demo's seed and the playbook uses the example
inventory, so one verdict reaches the five recipients the demo shows:
remediated on Graph, on EWS, by the second profile of a chain, message
already deleted by the user, and a domain with no profile. The read-only
modules run on the state that replay leaves, and never report a change.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.integration.ansible import demo_setup as demo
from tests.integration.ansible.ansible_run import local_play

pytestmark = [pytest.mark.ansible, pytest.mark.slow]

EXPECTED = {
    "alice@example.com": ("success", None, "exo", ["exo"]),
    "bob@corp.example.com": ("success", None, "onprem", ["onprem"]),
    "carol@migrating.example.com": ("success", None, "exo", ["onprem", "exo"]),
    "dave@example.com": ("failed", "message_not_found", None, ["exo"]),
    "erin@partner.example.net": ("failed", "no_profile_mapped", None, []),
}
REMEDIATED = ("alice@example.com", "bob@corp.example.com", "carol@migrating.example.com")


@pytest.fixture
def sandbox_seed():
    """The demo's seed instead of the standard one."""
    return str(demo.SEED)


def read_only_tasks(state_dir) -> list[dict]:
    return [
        {"name": "test all", "mailsec.mar.connection_test": {"state_dir": str(state_dir)}},
        {"name": "test onprem", "mailsec.mar.connection_test": {"state_dir": str(state_dir), "profile": "onprem",
                                                                 "address": "bob@corp.example.com"}},
        {"name": "test unknown mailbox", "mailsec.mar.connection_test": {"state_dir": str(state_dir), "profile": "exo",
                                                                          "address": "nobody@example.com"},
         "ignore_errors": True},
        {"name": "report", "mailsec.mar.report_info": {"state_dir": str(state_dir), "format": "table"}},
        {"name": "report ja", "mailsec.mar.report_info": {"state_dir": str(state_dir), "lang": "ja",
                                                           "sha256": demo.SHA256}},
    ]


def replay_task(state_dir) -> dict:
    return {
        "name": "replay",
        "mailsec.mar.replay": {
            "state_dir": str(state_dir),
            "tracking_logs": [str(demo.MAIL_LOG), str(demo.AMP_LOG)],
            "verdicts": [str(demo.VERDICT)],
        },
    }


def outcomes_by_recipient(result: dict) -> dict:
    return {outcome["recipient"]: outcome for outcome in result["outcomes"]}


def assert_untouched(sandbox):
    for address in REMEDIATED:
        assert len(demo.messages_with(sandbox, address)) == 1, address
    assert demo.forwarded_copies(sandbox) == []


def test_replay_sequence_and_read_only_modules(sandbox, run_playbook, tmp_path):
    state = tmp_path / "state"
    secrets = [demo.EWS_PASSWORD, demo.private_key_line()]
    applied = run_playbook([demo.engine_play([demo.apply_task(state, demo.profile_overrides(sandbox))])], verbose=False)
    assert applied.returncode == 0, applied.output[-4000:]
    replay = [local_play([replay_task(state)])]

    # Check mode is a dry run: it reports the change a real run would make and changes no mailbox.
    check = run_playbook(replay, check=True)
    assert check.returncode == 0, check.output[-4000:]
    dry = check.result("replay")
    assert dry["changed"] is True
    assert dry["dry_run"] is True
    assert_untouched(sandbox)

    # The real run forwards three copies to the SOC and deletes the message from three mailboxes.
    real = run_playbook(replay)
    assert real.returncode == 0, real.output[-4000:]
    for secret in secrets:
        assert secret not in real.output
    result = real.result("replay")
    assert result["changed"] is True
    outcomes = outcomes_by_recipient(result)
    assert set(outcomes) == set(EXPECTED)
    for recipient, (status, reason, profile, tried) in EXPECTED.items():
        outcome = outcomes[recipient]
        assert outcome["status"] == status, recipient
        assert outcome["reason"] == reason, recipient
        assert outcome["profile"] == profile, recipient
        assert outcome["profiles_tried"] == tried, recipient
    assert result["counters"]["forwarded_and_deleted"] == 3
    assert result["counters"]["failed"] == 2
    for address in REMEDIATED:
        assert demo.messages_with(sandbox, address) == [], address
    forwards = demo.forwarded_copies(sandbox)
    assert len(forwards) == 3
    for forward in forwards:
        assert [attachment["sha256"] for attachment in forward["attachments"]] == [demo.SHA256]
    assert [message["subject"] for message in demo.messages_with(sandbox, "dave@example.com", "<news-2026-12@vendor.example.org>")] == [
        "December product news"
    ]

    # A second run on the same files is ok and forwards nothing again. The
    # read-only modules run after it on the state the replay left.
    again = run_playbook([local_play([replay_task(state), *read_only_tasks(state)])])
    assert again.returncode == 0, again.output[-4000:]
    for secret in secrets:
        assert secret not in again.output
    assert again.result("replay")["changed"] is False
    assert len(demo.forwarded_copies(sandbox)) == 3
    assert_read_only_results(again)

    # Check mode after the run: nothing left to do, and still no change from the read-only modules.
    check_again = run_playbook([local_play([replay_task(state), *read_only_tasks(state)])], check=True, verbose=False)
    assert check_again.returncode == 0, check_again.output[-4000:]
    for name in ("replay", "test all", "test onprem", "report", "report ja"):
        assert check_again.result(name)["changed"] is False, name

    # playbooks/replay.yml with fail_on_recipient_failure: the task fails when
    # recipients failed, and reports how many.
    extra_vars = json.dumps({
        "mar_state_dir": str(state),
        "mar_verdict_files": [str(demo.VERDICT)],
        "mar_tracking_logs": [str(demo.MAIL_LOG), str(demo.AMP_LOG)],
        "mar_fail_on_recipient_failure": True,
    })
    strict = run_playbook(playbook("replay.yml"), "-e", extra_vars, verbose=False)
    assert strict.returncode == 2
    assert strict.task("Replay the verdicts")["status"] == "failed"
    assert strict.result("Replay the verdicts")["msg"] == "2 recipient(s) ended failed; see outcomes for the reasons."
    assert len(demo.forwarded_copies(sandbox)) == 3

    # playbooks/test_connections.yml reaches both profiles' test addresses and changes nothing.
    tested = run_playbook(playbook("test_connections.yml"), "-e", json.dumps({"mar_state_dir": str(state)}), verbose=False)
    assert tested.returncode == 0, tested.output[-4000:]
    connection_tests = tested.result("mailsec.mar.mar_config : Test the connection of every profile to its test address")
    assert connection_tests["changed"] is False
    assert [(r["profile"], r["ok"]) for r in connection_tests["results"]] == [("exo", True), ("onprem", True)]

    # playbooks/report.yml prints the report table.
    report = run_playbook(playbook("report.yml"), "-e", json.dumps({"mar_state_dir": str(state)}), verbose=False)
    assert report.returncode == 0, report.output[-4000:]
    lines = report.result("Show the report")["msg"]
    assert lines[0].startswith("Remediation report generated ")
    assert any(line.split()[:2] == ["Failed", "erin@partner.example.net"] for line in lines)


def playbook(name: str) -> list[dict]:
    """Return the plays of one of the collection's playbooks."""
    return yaml.safe_load((demo.REPO / "playbooks" / name).read_text(encoding="utf-8"))


def assert_read_only_results(run):
    every_profile = run.result("test all")
    assert every_profile["changed"] is False
    assert [(r["profile"], r["address"], r["ok"]) for r in every_profile["results"]] == [
        ("exo", "alice@example.com", True),
        ("onprem", "bob@corp.example.com", True),
    ]
    assert every_profile["untested_profiles"] == []
    assert run.result("test onprem")["changed"] is False

    unknown = run.task("test unknown mailbox")
    assert unknown["status"] == "failed"
    assert unknown["result"]["changed"] is False
    assert unknown["result"]["results"][0]["reason"] == "mailbox_not_found"
    assert unknown["result"]["msg"].startswith(
        "Profile 'exo' cannot reach nobody@example.com: The requested user nobody@example.com is invalid"
    )

    report = run.result("report")
    assert report["changed"] is False
    assert report["report"]["counters"] == {
        "deleted": 0, "forwarded": 0, "forwarded_and_deleted": 3, "failed": 2, "in_progress": 0, "skipped": 0,
    }
    section = report["report"]["files"][0]
    assert section["sha256"] == demo.SHA256
    assert {row["recipient"]: row["profile"] for row in section["remediated"]} == {
        "alice@example.com": "exo",
        "bob@corp.example.com": "onprem",
        "carol@migrating.example.com": "exo",
    }
    assert [(row["recipient"], row["reason"]) for row in section["failed"]] == [("dave@example.com", "message_not_found")]
    assert [row["recipient"] for row in section["no_profile"]] == ["erin@partner.example.net"]
    assert "dave@example.com" in report["text"]
    assert run.result("report ja")["changed"] is False


def test_replay_without_configuration_fails(run_playbook, tmp_path):
    state = tmp_path / "empty"
    run = run_playbook([local_play([replay_task(state)])], verbose=False)
    assert run.returncode == 2
    assert run.task("replay")["status"] == "failed"
    assert run.result("replay")["msg"] == (
        f"No configuration has been applied to {state}: apply one first with playbooks/apply.yml."
    )
    assert not state.exists()
