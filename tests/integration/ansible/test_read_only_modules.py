"""connection_test and report_info through ansible-playbook: they read and never report a change."""

from __future__ import annotations

import pytest

from tests.integration.ansible import demo_setup as demo

pytestmark = [pytest.mark.ansible, pytest.mark.slow]


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
        "delegate_to": "localhost",
        "mailsec.mar.replay": {
            "state_dir": str(state_dir),
            "tracking_logs": [str(demo.MAIL_LOG), str(demo.AMP_LOG)],
            "verdicts": [str(demo.VERDICT)],
        },
    }


def test_connection_test_and_report_never_change(sandbox, run_playbook, tmp_path):
    state = tmp_path / "state"
    overrides = demo.profile_overrides(sandbox)
    secrets = [demo.EWS_PASSWORD, demo.private_key_line()]
    tasks = [demo.apply_task(state, overrides), replay_task(state), *read_only_tasks(state)]
    run = run_playbook([demo.engine_play(tasks)])
    assert run.returncode == 0, run.output[-4000:]
    for secret in secrets:
        assert secret not in run.output

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

    # The same read-only tasks in check mode: still no change.
    check = run_playbook([demo.engine_play(read_only_tasks(state))], check=True, verbose=False)
    assert check.returncode == 0, check.output[-4000:]
    for name in ("test all", "test onprem", "report", "report ja"):
        assert check.result(name)["changed"] is False, name
