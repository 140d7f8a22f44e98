"""Crash safety: a replay killed at any point and run again remediates every message exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from mar_runner.config.store import ConfigStore
from mar_runner.engine.store import Ledger, LedgerKey
from mar_runner.state import open_db
from tests.integration.engine.test_cli import declared_config, write_inputs
from tests.plugins.engine import PAYLOAD_SHA, TENANT, base_seed, messages_with, seed_message

MID1 = "<m1@evil.example>"
DRIVER = Path(__file__).with_name("replay_driver.py")
GRAPH_RECIPIENTS = [f"user{n}@example.com" for n in range(6)]
EWS_RECIPIENTS = ["carol@corp.example.com", "frank@corp.example.com"]
RECIPIENTS = GRAPH_RECIPIENTS + EWS_RECIPIENTS


def crash_seed(app, graph=GRAPH_RECIPIENTS, ews=EWS_RECIPIENTS):
    mailboxes = [{"address": a, "tenant": TENANT, "messages": [seed_message(MID1)]} for a in graph]
    mailboxes += [{"address": a, "onprem": "corp", "messages": [seed_message(MID1)]} for a in ews]
    mailboxes.append({"address": "soc@example.com", "tenant": TENANT})
    return base_seed(app, mailboxes)


@pytest.fixture
def crash_env(state_dir, engine_sandbox, app_credentials, tmp_path):
    engine_sandbox.load_seed(crash_seed(app_credentials))
    ConfigStore(state_dir).apply(declared_config(engine_sandbox, app_credentials, "forward_and_delete"))
    tracking, verdicts = write_inputs(tmp_path, RECIPIENTS)
    return state_dir, tracking, verdicts


def start(state_dir, verdicts, tracking=None, fault=None):
    env = dict(os.environ)
    env.pop("MAR_FAULT_POINT", None)
    if fault:
        env["MAR_FAULT_POINT"] = fault
    args = [sys.executable, str(DRIVER), str(state_dir), str(verdicts)] + ([str(tracking)] if tracking else [])
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=str(Path(__file__).parents[3]))


def finish(process, timeout=60):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def assert_exactly_once(sandbox, recipients):
    for address in recipients:
        left = messages_with(sandbox, address, MID1)
        assert left == [], (address, [(m["folder_path"], m["is_draft"]) for m in left])
    forwards = messages_with(sandbox, "soc@example.com")
    assert len(forwards) == len(recipients)
    senders = Counter(message["from"] for message in forwards)
    assert sorted(senders) == sorted(recipients)
    assert set(senders.values()) == {1}
    for message in forwards:
        assert [a["sha256"] for a in message["attachments"]] == [PAYLOAD_SHA]


@pytest.mark.parametrize("point", ["after_intent", "after_draft_created", "after_draft_recorded",
                                   "after_send", "after_delete"])
def test_named_fault_point_then_rerun(crash_env, engine_sandbox, point):
    state_dir, tracking, verdicts = crash_env
    code, out, err = finish(start(state_dir, verdicts, tracking, fault=f"{point}:3"))
    assert code == 137, err
    ledger = Ledger(open_db(state_dir))
    statuses = Counter(
        (ledger.get(LedgerKey(PAYLOAD_SHA, MID1, address, "forward_and_delete")) or None) and
        ledger.get(LedgerKey(PAYLOAD_SHA, MID1, address, "forward_and_delete")).status
        for address in RECIPIENTS
    )
    assert statuses["in_progress"] >= 1
    code, out, err = finish(start(state_dir, verdicts))
    assert code == 0, err
    assert_exactly_once(engine_sandbox, RECIPIENTS)


def test_replay_after_recovery_changes_nothing(crash_env, engine_sandbox):
    state_dir, tracking, verdicts = crash_env
    code, out, err = finish(start(state_dir, verdicts, tracking, fault="after_send:2"))
    assert code == 137, err
    assert finish(start(state_dir, verdicts))[0] == 0
    code, out, err = finish(start(state_dir, verdicts))
    assert code == 0, err
    assert "'unchanged': 8" in out
    assert_exactly_once(engine_sandbox, RECIPIENTS)


def test_twenty_random_kills(state_dir, engine_sandbox, app_credentials, tmp_path):
    # Graph mailboxes only: the child then never imports exchangelib, which keeps
    # each of the ~25 process starts short. The named fault points cover EWS.
    rng = random.Random(20261204)
    kills = 0
    rounds = 0
    while kills < 20:
        rounds += 1
        round_state = tmp_path / f"state{rounds}"
        engine_sandbox.load_seed(crash_seed(app_credentials, ews=[]))
        engine_sandbox.add_fault("latency", service="graph", delay=0.02)
        ConfigStore(round_state).apply(declared_config(engine_sandbox, app_credentials, "forward_and_delete"))
        tracking, verdicts = write_inputs(tmp_path, GRAPH_RECIPIENTS)
        round_kills = 0
        while round_kills < 4:
            process = start(round_state, verdicts, tracking)
            assert process.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.4))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            code, out, err = finish(process)
            if code != -signal.SIGKILL:
                assert code == 0, err
                break
            kills += 1
            round_kills += 1
        code, out, err = finish(start(round_state, verdicts, tracking))
        assert code == 0, err
        assert_exactly_once(engine_sandbox, GRAPH_RECIPIENTS)
        engine_sandbox.clear_faults()
    assert kills >= 20
