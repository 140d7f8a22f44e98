"""Sandbox objects started in-process: a given CA, fixed ports, stop without leftovers."""

from __future__ import annotations

import socket
import threading

import pytest

from mar_sandbox import Sandbox
from mar_sandbox.certs import create_ca
from mar_sandbox.testing import client_session


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_given_ca_signs_server(tmp_path):
    ca = create_ca("Company CA")
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    (tmp_path / "ca-key.pem").write_bytes(ca.key_pem)
    with Sandbox({}, ca_cert=tmp_path / "ca.pem", ca_key=tmp_path / "ca-key.pem") as sandbox:
        answer = client_session(str(tmp_path / "ca.pem")).get(f"{sandbox.login_url}/x/v2.0/.well-known/openid-configuration", timeout=5)
    assert answer.status_code == 400


def test_ca_certificate_without_key(tmp_path):
    with pytest.raises(ValueError) as raised:
        Sandbox({}, ca_cert=tmp_path / "ca.pem")
    assert str(raised.value) == "give both the CA certificate and its key, or neither"


def test_fixed_ports():
    login_port, graph_port = _free_port(), _free_port()
    with Sandbox({}, login_port=login_port, graph_port=graph_port) as sandbox:
        assert sandbox.login_url == f"https://127.0.0.1:{login_port}"
        assert sandbox.graph_url == f"https://127.0.0.1:{graph_port}"


def test_stop_ends_threads_and_temporary_files():
    before = set(threading.enumerate())
    sandbox = Sandbox({})
    sandbox.start()
    state_dir = sandbox.state_dir
    port = int(sandbox.graph_url.rsplit(":", 1)[1])
    client_session(sandbox.ca_file).get(sandbox.graph_url + "/v1.0/users", timeout=5)
    sandbox.stop()
    assert not state_dir.exists()
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_unknown_org_url(sandbox):
    with pytest.raises(KeyError, match="no EWS listener for organisation 'nowhere'"):
        sandbox.ews_url("nowhere")
