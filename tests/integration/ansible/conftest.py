"""Run the real ansible-playbook from the repository root and read back each task's result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.ansible.ansible_run import PlaybookRun

REPO = Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
PLAYBOOK_TIMEOUT = 180


@pytest.fixture
def run_playbook(tmp_path):
    """Return a function that writes plays to a file and runs ansible-playbook on them.

    It runs from the repository root, so ansible.cfg applies: the example
    inventory, the collections path that resolves mailsec.mar to this
    checkout, and the demo vault password file.
    """
    counter = iter(range(1, 1000))

    def run(
        plays: list[dict],
        *args: str,
        check: bool = False,
        diff: bool = True,
        verbose: bool = True,
        inventory: dict | None = None,
    ) -> PlaybookRun:
        number = next(counter)
        playbook = tmp_path / f"playbook-{number}.yml"
        playbook.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
        record_file = tmp_path / f"record-{number}.json"

        command = [str(ANSIBLE_PLAYBOOK), str(playbook), *args]
        if inventory is not None:
            inventory_file = tmp_path / f"inventory-{number}.yml"
            inventory_file.write_text(yaml.safe_dump(inventory), encoding="utf-8")
            command += ["--inventory", str(inventory_file), "--forks", "8"]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbose:
            command.append("-vvv")

        env = dict(os.environ)
        env.update(
            ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
            ANSIBLE_CALLBACKS_ENABLED="mar_record",
            MAR_RECORD_FILE=str(record_file),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        )
        env.pop("MAR_STATE_DIR", None)

        completed = subprocess.run(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PLAYBOOK_TIMEOUT,
        )
        records = json.loads(record_file.read_text(encoding="utf-8")) if record_file.exists() else []
        return PlaybookRun(completed.returncode, completed.stdout + completed.stderr, records)

    return run
