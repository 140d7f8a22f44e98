"""The replay action plugin through ansible-playbook against the sandbox.

The sandbox holds the demo's seed and the playbook uses the example
inventory, so one verdict reaches the five recipients the demo shows:
remediated on Graph, on EWS, by the second profile of a chain, message
already deleted by the user, and a domain with no profile.
"""

from __future__ import annotations

import pytest

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


def test_replay_check_run_and_rerun(sandbox, run_playbook, tmp_path):
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

    # A second run on the same files is ok and forwards nothing again.
    again = run_playbook(replay, verbose=False)
    assert again.returncode == 0, again.output[-4000:]
    second = again.result("replay")
    assert second["changed"] is False
    assert len(demo.forwarded_copies(sandbox)) == 3

    # Check mode after the run: nothing left to do.
    check_again = run_playbook(replay, check=True, verbose=False)
    assert check_again.result("replay")["changed"] is False


def test_replay_fails_on_recipient_failure_when_asked(sandbox, run_playbook, tmp_path):
    state = tmp_path / "state"
    task = replay_task(state)
    task["mailsec.mar.replay"]["fail_on_recipient_failure"] = True
    run = run_playbook(
        [demo.engine_play([demo.apply_task(state, demo.profile_overrides(sandbox)), dict(task, delegate_to="localhost")])],
        verbose=False,
    )
    assert run.returncode == 2
    assert run.task("replay")["status"] == "failed"
    assert run.result("replay")["msg"] == "2 recipient(s) ended failed; see outcomes for the reasons."
    assert run.result("replay")["counters"]["forwarded_and_deleted"] == 3


def test_replay_without_configuration_fails(run_playbook, tmp_path):
    run = run_playbook([local_play([replay_task(tmp_path / "empty")])], verbose=False)
    assert run.returncode == 2
    assert run.task("replay")["status"] == "failed"
    assert "no configuration has been applied to" in run.result("replay")["msg"]
