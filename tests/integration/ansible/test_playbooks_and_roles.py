"""The playbooks and roles through ansible-playbook: syntax, idempotent apply, the sandbox role."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from tests.integration.ansible.ansible_run import local_play
from tests.integration.ansible.conftest import ANSIBLE_PLAYBOOK, REPO

pytestmark = [pytest.mark.ansible, pytest.mark.slow]

PLAYBOOKS = ("apply.yml", "test_connections.yml", "replay.yml", "report.yml", "demo.yml")


def recap(output: str, host: str) -> dict:
    """Return the PLAY RECAP counters of ``host``."""
    line = next(line for line in output.splitlines() if line.startswith(host + " ") and "ok=" in line)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


def test_playbooks_pass_syntax_check():
    completed = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "--syntax-check", *(f"playbooks/{name}" for name in PLAYBOOKS)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_playbook_names_modules_by_fqcn(name):
    for play in yaml.safe_load((REPO / "playbooks" / name).read_text(encoding="utf-8")):
        for task in play.get("tasks", []):
            modules = [key for key in task if key.startswith(("ansible.builtin.", "mailsec.mar."))]
            assert len(modules) == 1, task["name"]
        for role in play.get("roles", []):
            assert role["role"].startswith("mailsec.mar."), role


def test_apply_playbook_rerun_reports_no_change(run_playbook, tmp_path):
    state = tmp_path / "state"
    apply = yaml.safe_load((REPO / "playbooks" / "apply.yml").read_text(encoding="utf-8"))
    first = run_playbook(apply, "-e", f"mar_state_dir={state}", diff=False, verbose=False)
    assert first.returncode == 0, first.output[-4000:]
    assert recap(first.output, "engine1")["changed"] == 2
    assert (state / "mar.db").exists()
    assert oct(state.stat().st_mode & 0o777) == "0o700"

    second = run_playbook(apply, "-e", f"mar_state_dir={state}", diff=False, verbose=False)
    assert second.returncode == 0, second.output[-4000:]
    assert recap(second.output, "engine1")["changed"] == 0


def test_replay_playbook_without_verdicts_says_how(run_playbook):
    replay = yaml.safe_load((REPO / "playbooks" / "replay.yml").read_text(encoding="utf-8"))
    run = run_playbook(replay, diff=False, verbose=False)
    assert run.returncode == 2
    assert run.result("Check that verdict files were given")["msg"] == (
        "Give the verdict files to replay: -e '{\"mar_verdict_files\": [\"FILE\"]}'"
    )


def test_sandbox_role_starts_and_stops_once(run_playbook, tmp_path):
    sandbox_dir = tmp_path / "sandbox"

    def role(state: str) -> list[dict]:
        task = {
            "name": "sandbox",
            "ansible.builtin.include_role": {"name": "mailsec.mar.mar_sandbox"},
            "vars": {
                "mar_sandbox_state": state,
                "mar_sandbox_dir": str(sandbox_dir),
                "mar_sandbox_seed": str(REPO / "inventory" / "sandbox" / "seed.yml"),
                "mar_sandbox_ca_cert": str(REPO / "inventory" / "sandbox" / "ca.pem"),
                "mar_sandbox_ca_key": str(REPO / "inventory" / "sandbox" / "ca-key.pem"),
                # Port 0: any free port, so the test never collides with a running demo.
                "mar_sandbox_login_port": 0,
                "mar_sandbox_graph_port": 0,
                "mar_sandbox_ews_port": 0,
                "mar_sandbox_python": sys.executable,
            },
        }
        return [local_play([task])]

    try:
        started = run_playbook(role("started"), diff=False, verbose=False)
        assert started.returncode == 0, started.output[-4000:]
        assert recap(started.output, "localhost")["changed"] == 1
        assert (sandbox_dir / "sandbox.json").exists()

        again = run_playbook(role("started"), diff=False, verbose=False)
        assert recap(again.output, "localhost")["changed"] == 0

        stopped = run_playbook(role("stopped"), diff=False, verbose=False)
        assert stopped.returncode == 0, stopped.output[-4000:]
        assert recap(stopped.output, "localhost")["changed"] == 1

        stopped_again = run_playbook(role("stopped"), diff=False, verbose=False)
        assert recap(stopped_again.output, "localhost")["changed"] == 0
    finally:
        subprocess.run(
            [sys.executable, "-m", "mar_runner.cli.main", "sandbox", "down", "--state-dir", str(sandbox_dir)],
            capture_output=True, timeout=60,
        )


def test_duplicate_inventory_key_rejected(tmp_path):
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("all:\n  hosts:\n    engine1:\n", encoding="utf-8")
    (inventory / "group_vars" / "all" / "mar.yml").write_text(
        "mar_settings:\n  max_attempts: 2\n  max_attempts: 3\n", encoding="utf-8"
    )
    completed = subprocess.run(
        [str(ANSIBLE_PLAYBOOK.with_name("ansible-inventory")), "-i", str(inventory), "--list"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode != 0
    assert "Found duplicate mapping key 'max_attempts'" in completed.stderr
