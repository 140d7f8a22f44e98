"""Benchmark: Graph requests per second the sandbox serves over TLS on loopback.

Starts ``marctl sandbox up --detach`` with a seed of MAILBOXES mailboxes (two
messages each, one 2 KiB attachment per message), gets one token with the
real msal, then runs WORKERS client processes. Each keeps one HTTPS
keep-alive connection (http.client, no $batch) and, for each mailbox of its
share, finds both messages by Message-ID, reads the attachments of both and
deletes one: five separate requests per mailbox. Latency injection is off.

    .venv/bin/python bench/sandbox.py [--mailboxes 1000] [--workers 4] [--rounds 2]

Prints requests, seconds, requests per second and error count per round.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "runner"))

from mar_sandbox.testing import APP_FULL, GRAPH_SCOPE, TENANT_ID, app_credential, client_session  # noqa: E402

DOMAIN = "bench.example"


def build_seed(mailboxes: int) -> dict:
    cred = app_credential(APP_FULL)
    boxes = []
    for index in range(mailboxes):
        messages = [
            {
                "internet_message_id": f"<bench-{index}-{n}+x@sender.example>",
                "from": "sender@sender.example",
                "received": f"2026-11-{1 + n:02d}T10:00:00Z",
                "subject": f"message {n}",
                "attachments": [{"name": f"file{n}.bin", "size": 2048}],
            }
            for n in range(2)
        ]
        boxes.append({"address": f"user{index}@{DOMAIN}", "tenant": TENANT_ID, "messages": messages})
    return {
        "tenants": [{"id": TENANT_ID, "domains": [DOMAIN], "apps": [{"client_id": APP_FULL, "roles": ["Mail.ReadWrite", "Mail.Send"], "certificates": [{"pem": cred.cert_pem}]}]}],
        "mailboxes": boxes,
        # The per-mailbox concurrency limit stays on: each worker sends one request at a time.
    }


def acquire_token(endpoints: dict) -> str:
    import msal

    cred = app_credential(APP_FULL)
    app = msal.ConfidentialClientApplication(
        APP_FULL,
        authority=f"{endpoints['login_url']}/{TENANT_ID}",
        client_credential={"private_key": cred.key_pem, "public_certificate": cred.cert_pem},
        instance_discovery=False,
        http_client=client_session(endpoints["ca_file"]),
    )
    result = app.acquire_token_for_client([GRAPH_SCOPE])
    if "access_token" not in result:
        raise SystemExit(f"token request failed: {result.get('error_description')}")
    return result["access_token"]


def worker(args: tuple[str, str, str, list[int]]) -> tuple[int, int]:
    graph_url, ca_file, token, indexes = args
    host, port = graph_url.split("://", 1)[1].split(":")
    context = ssl.create_default_context(cafile=ca_file)
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    requests_done = 0
    errors = 0

    def call(method: str, path: str) -> tuple[int, bytes]:
        nonlocal requests_done, errors
        connection.request(method, "/v1.0" + path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        requests_done += 1
        if response.status >= 400:
            errors += 1
        return response.status, body

    for index in indexes:
        user = f"user{index}@{DOMAIN}"
        ids = []
        for n in range(2):
            value = quote(f"internetMessageId eq '<bench-{index}-{n}+x@sender.example>'", safe="")
            status, body = call("GET", f"/users/{user}/messages?$filter={value}&$select=id,hasAttachments")
            if status == 200:
                ids.extend(m["id"] for m in json.loads(body)["value"])
        for message_id in ids:
            call("GET", f"/users/{user}/messages/{message_id}/attachments")
        if ids:
            call("DELETE", f"/users/{user}/messages/{ids[0]}")
    connection.close()
    return requests_done, errors


def _cpu_seconds(pid: int) -> float:
    # utime + stime of the sandbox process, from /proc (Linux).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def control(endpoints: dict, method: str, route: str) -> None:
    session = client_session(endpoints["ca_file"])
    answer = session.request(method, endpoints["control_url"] + route, headers={"X-Sandbox-Token": endpoints["control_token"]}, timeout=60)
    answer.raise_for_status()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mar-bench-") as tmp:
        seed_path = Path(tmp) / "seed.yml"
        seed_path.write_text(yaml.safe_dump(build_seed(options.mailboxes)), encoding="utf-8")
        state = Path(tmp) / "sandbox"
        marctl = [sys.executable, "-m", "mar_runner.cli.main", "sandbox"]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "runner")}
        started = subprocess.run([*marctl, "up", "--seed", str(seed_path), "--state-dir", str(state), "--detach", "--stop-after", "900"], capture_output=True, text=True, env=env, timeout=120)
        if started.returncode != 0:
            print(started.stderr, file=sys.stderr)
            return 1
        try:
            endpoints = json.loads((state / "sandbox.json").read_text())
            token = acquire_token(endpoints)
            shares = [list(range(i, options.mailboxes, options.workers)) for i in range(options.workers)]
            print(f"mailboxes={options.mailboxes} workers={options.workers} cpus={os.cpu_count()}")
            for round_number in range(1, options.rounds + 1):
                control(endpoints, "POST", "/reset")
                server_cpu = _cpu_seconds(endpoints["pid"])
                began = time.perf_counter()
                with multiprocessing.Pool(options.workers) as pool:
                    results = pool.map(worker, [(endpoints["graph_url"], endpoints["ca_file"], token, share) for share in shares])
                elapsed = time.perf_counter() - began
                total = sum(r[0] for r in results)
                failed = sum(r[1] for r in results)
                server_cpu = _cpu_seconds(endpoints["pid"]) - server_cpu
                load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
                print(
                    f"round {round_number}: {total} requests in {elapsed:.2f} s = {total / elapsed:.0f} requests/s, "
                    f"errors={failed}, server CPU {1000 * server_cpu / total:.2f} ms/request, load average {load}"
                )
        finally:
            subprocess.run([*marctl, "down", "--state-dir", str(state)], capture_output=True, env=env, timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
