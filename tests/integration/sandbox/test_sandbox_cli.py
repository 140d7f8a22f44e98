"""``marctl sandbox up --detach``, ``status``, ``inspect`` and ``down`` in real subprocesses."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import yaml

from mar_runner.cli.main import main
from mar_sandbox.testing import standard_seed

MARCTL = [sys.executable, "-m", "mar_runner.cli.main"]


def _marctl(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "LANG": "C"}
    return subprocess.run([*MARCTL, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def seed_file(tmp_path) -> Path:
    path = tmp_path / "seed.yml"
    path.write_text(yaml.safe_dump(standard_seed()), encoding="utf-8")
    return path


def _start(directory: Path, seed_file: Path):
    # --stop-after ends the sandbox even if this test run is killed before teardown.
    result = _marctl("sandbox", "up", "--seed", str(seed_file), "--state-dir", str(directory), "--detach", "--stop-after", "300")
    assert result.returncode == 0, result.stderr
    endpoints = json.loads((directory / "sandbox.json").read_text())
    return directory, endpoints, result.stdout


@pytest.fixture(scope="module")
def shared_seed_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seed.yml"
    path.write_text(yaml.safe_dump(standard_seed()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def running(tmp_path_factory, shared_seed_file):
    """One detached sandbox for the tests that only read from it (starting one takes seconds)."""
    started = _start(tmp_path_factory.mktemp("sandbox"), shared_seed_file)
    yield started
    if psutil.pid_exists(started[1]["pid"]):
        _marctl("sandbox", "down", "--state-dir", str(started[0]))


@pytest.fixture
def own_sandbox(tmp_path, seed_file):
    started = _start(tmp_path / "sandbox", seed_file)
    yield started
    if psutil.pid_exists(started[1]["pid"]):
        _marctl("sandbox", "down", "--state-dir", str(started[0]))


def test_up_prints_endpoints(running):
    directory, endpoints, stdout = running
    assert f"Sandbox running (pid {endpoints['pid']})." in stdout
    assert f"Login (Entra ID): {endpoints['login_url']}" in stdout
    assert f"Graph: {endpoints['graph_url']}" in stdout
    assert f"EWS (corp): {endpoints['ews']['corp']}" in stdout
    assert f"CA certificate: {directory / 'ca.pem'}" in stdout


def test_endpoint_file_private(running):
    directory, _endpoints, _stdout = running
    assert stat.S_IMODE((directory / "sandbox.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((directory / "server-key.pem").stat().st_mode) == 0o600


def test_listens_on_loopback_only(running):
    _directory, endpoints, _stdout = running
    process = psutil.Process(endpoints["pid"])
    listening = [c.laddr for c in process.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    assert len(listening) == 4
    assert {address.ip for address in listening} == {"127.0.0.1"}


def test_status_and_inspect(running):
    directory, endpoints, _stdout = running
    status = _marctl("sandbox", "status", "--state-dir", str(directory))
    assert status.returncode == 0
    assert f"Graph: {endpoints['graph_url']}" in status.stdout
    inspect = _marctl("sandbox", "inspect", "alice@contoso.example", "--state-dir", str(directory))
    assert inspect.returncode == 0
    mailbox = json.loads(inspect.stdout)
    inbox = next(f for f in mailbox["folders"] if f["well_known"] == "inbox")
    assert [m["subject"] for m in inbox["messages"]] == ["Weekly report", "Invoice 4711"]


def test_inspect_unknown_mailbox(running):
    directory, _endpoints, _stdout = running
    result = _marctl("sandbox", "inspect", "nobody@contoso.example", "--state-dir", str(directory))
    assert result.returncode == 1
    assert result.stderr.strip() == "No mailbox nobody@contoso.example in the sandbox."


def test_second_up_refused(running, shared_seed_file):
    directory, endpoints, _stdout = running
    result = _marctl("sandbox", "up", "--seed", str(shared_seed_file), "--state-dir", str(directory), "--detach")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"A sandbox is already running from {directory} (pid {endpoints['pid']}). Stop it with: marctl sandbox down"
    )


def test_down_stops_process_and_ports(own_sandbox):
    directory, endpoints, _stdout = own_sandbox
    ports = [int(endpoints[k].rsplit(":", 1)[1]) for k in ("login_url", "graph_url", "control_url")]
    result = _marctl("sandbox", "down", "--state-dir", str(directory))
    assert result.returncode == 0
    assert result.stdout.strip() == "Sandbox stopped."
    assert not psutil.pid_exists(endpoints["pid"]) or psutil.Process(endpoints["pid"]).status() == psutil.STATUS_ZOMBIE
    listening = {c.laddr.port for c in psutil.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}
    assert not listening & set(ports)
    assert not (directory / "sandbox.json").exists()


# The error paths below start no server, so they call marctl's main() in
# this process instead of paying an interpreter start each.


def _main(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_down_when_not_running(tmp_path, capsys):
    code, _out, err = _main(capsys, "sandbox", "down", "--state-dir", str(tmp_path))
    assert code == 1
    assert err.strip() == f"No sandbox is running from {tmp_path}."


def test_invalid_seed_lists_errors(tmp_path, capsys):
    seed = tmp_path / "bad.yml"
    seed.write_text("mailboxes:\n  - address: not-an-address\n    tenant: t1\n", encoding="utf-8")
    code, _out, err = _main(capsys, "sandbox", "up", "--seed", str(seed), "--state-dir", str(tmp_path / "s"))
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0] == f"Invalid seed file {seed}:"
    assert "  mailboxes/0/address: 'not-an-address' does not match '^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$'" in lines
    assert "  mailboxes/0/tenant: no tenant 't1' in tenants" in lines


def test_missing_seed_file(tmp_path, capsys):
    code, _out, err = _main(capsys, "sandbox", "up", "--seed", str(tmp_path / "none.yml"), "--state-dir", str(tmp_path / "s"))
    assert code == 2
    assert err.strip() == f"Seed file not found: {tmp_path / 'none.yml'}"


def test_ca_certificate_without_key(tmp_path, capsys):
    code, _out, err = _main(capsys, "sandbox", "up", "--seed", str(tmp_path / "x.yml"), "--ca-cert", "ca.pem", "--state-dir", str(tmp_path))
    assert code == 2
    assert err.strip() == "Give the CA certificate and its key together (--ca-cert and --ca-key)."


def test_japanese_messages(tmp_path, capsys):
    _code, _out, err = _main(capsys, "--lang", "ja", "sandbox", "down", "--state-dir", str(tmp_path))
    assert err.strip() == f"{tmp_path} で実行中のサンドボックスはありません。"


def test_stop_after(tmp_path, capsys, seed_file):
    code, out, _err = _main(capsys, "sandbox", "up", "--seed", str(seed_file), "--state-dir", str(tmp_path / "s"), "--stop-after", "0.5")
    assert code == 0
    assert out.splitlines()[-1] == "Sandbox stopped."
    assert not (tmp_path / "s" / "sandbox.json").exists()
