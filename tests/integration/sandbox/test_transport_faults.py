"""Transport-level faults: latency, hung responses, dropped connections and a wrong server certificate."""

from __future__ import annotations

import socket
import ssl
import time

import pytest
import requests

from mar_sandbox.testing import APP_FULL, GRAPH_SCOPE, TENANT_DOMAIN, msal_app

ALICE = f"alice@{TENANT_DOMAIN}"


def test_latency(sandbox, graph):
    sandbox.add_fault("latency", service="graph", operation="find", delay=0.3)
    started = time.monotonic()
    assert graph.get(f"/users/{ALICE}/messages").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_hang_times_out_client(sandbox, graph):
    sandbox.add_fault("hang", service="graph", seconds=5, count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        graph.get(f"/users/{ALICE}/messages", timeout=0.5)
    assert graph.get(f"/users/{ALICE}/messages").status_code == 200


def test_dropped_connection(sandbox, graph):
    sandbox.add_fault("drop", service="graph", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        graph.get(f"/users/{ALICE}/messages")
    entry = sandbox.request_log("graph")[-1]
    assert entry["fault"] == "drop"


def test_wrong_certificate_host_name(sandbox):
    sandbox.add_fault("wrong_certificate", service="graph", count=1)
    session = requests.Session()
    session.trust_env = False
    with pytest.raises(requests.exceptions.SSLError) as raised:
        session.get(f"{sandbox.graph_url}/v1.0/users/{ALICE}/messages", verify=sandbox.ca_file, timeout=5)
    assert "doesn't match" in str(raised.value) or "mismatch" in str(raised.value)


def test_server_certificate_names(sandbox):
    context = ssl.create_default_context(cafile=sandbox.ca_file)
    host, port = sandbox.graph_url.split("://", 1)[1].split(":")
    for name in ("localhost", "127.0.0.1"):
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_untrusted_ca_rejected(sandbox):
    session = requests.Session()
    session.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{sandbox.graph_url}/v1.0/users", timeout=5, verify=True)


def test_token_endpoint_throttled(sandbox):
    sandbox.add_fault("throttle", service="login", operation="token", retry_after=3, count=1)
    result = msal_app(sandbox, APP_FULL).acquire_token_for_client([GRAPH_SCOPE])
    assert result["error"] == "temporarily_unavailable"
    assert sandbox.request_log("login")[-1]["fault"] == "throttle"


def test_listens_on_loopback_only(sandbox):
    for url in (sandbox.login_url, sandbox.graph_url, sandbox.control_url):
        assert url.startswith("https://127.0.0.1:")


def _raw_exchange(sandbox, payload: bytes) -> bytes:
    host, port = sandbox.graph_url.split("://", 1)[1].split(":")
    context = ssl.create_default_context(cafile=sandbox.ca_file)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(payload)
            chunks = []
            while True:
                data = tls.recv(65536)
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks)


def test_garbage_request_line(sandbox):
    answer = _raw_exchange(sandbox, b"NOT-HTTP\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_header_without_colon(sandbox):
    answer = _raw_exchange(sandbox, b"GET /v1.0/users HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_connection_close_honoured(sandbox):
    answer = _raw_exchange(sandbox, b"GET /v1.0/users/a@contoso.example/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    assert b'"code":"InvalidAuthenticationToken"' in answer
