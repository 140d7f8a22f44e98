"""Benchmark: remediate 10,000 recipients over 2,000 Graph mailboxes against the sandbox.

Starts ``marctl sandbox up --detach`` in its own process, loads MAILBOXES
mailboxes through the control API, each holding the MESSAGES messages of one
campaign (every message carries the same 100 KiB attachment), and injects
LATENCY seconds into every Graph request. The configuration is applied to a
fresh state directory and the campaign is imported as native tracking
records. Then SHARDS engine processes run ``mar_runner.engine.replay`` on one
malicious verdict side by side, each with ``shard=(i, SHARDS)`` (as ``marctl
replay --shard i/SHARDS`` does), WORKERS threads and the 4-per-mailbox
limit: hard delete with the SHA-256 check.

It then resets the sandbox and runs a one-recipient-at-a-time baseline in
this process (``workers`` 1, ``per_mailbox`` 1) on BASELINE recipients, and
prints the time per recipient of both runs, the speed-up, the peak memory
(the sum of the engine processes' maximum resident set sizes) and the checks:

- every recipient ends ``success`` and no request was throttled;
- a sample of mailboxes holds none of the campaign's messages any more;
- the main run takes under 60 s, peak memory stays under 300 MB and the
  speed-up is at least 20x.

    .venv/bin/python bench/remediate.py [--mailboxes 2000] [--messages 5] [--baseline 500] [--shards 2]

Exit status 0 when every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "runner"))

from mar_sandbox.seed import generated_bytes  # noqa: E402
from mar_sandbox.testing import APP_FULL, TENANT_ID, app_credential  # noqa: E402

DOMAIN = "bench.example"
SIZE = 100 * 1024
PAYLOAD_SEED = "bench-campaign-payload"
RECEIVED = "2026-12-01T10:00:00Z"
SECONDS_LIMIT = 60.0
MEMORY_LIMIT_MB = 300
SPEED_UP_MIN = 20.0


def message_id(n: int) -> str:
    return f"<campaign-{n}+bench@sender.example>"


def build_seed(mailboxes: int, messages: int) -> dict:
    cred = app_credential(APP_FULL)
    boxes = []
    for index in range(mailboxes):
        boxes.append({
            "address": f"user{index}@{DOMAIN}",
            "tenant": TENANT_ID,
            "messages": [
                {
                    "internet_message_id": message_id(n),
                    "from": "sender@sender.example",
                    "received": RECEIVED,
                    "subject": f"campaign message {n}",
                    "attachments": [{"name": f"invoice{n}.docm", "size": SIZE, "generator_seed": PAYLOAD_SEED}],
                }
                for n in range(messages)
            ],
        })
    return {
        "tenants": [{
            "id": TENANT_ID,
            "domains": [DOMAIN],
            "apps": [{"client_id": APP_FULL, "roles": ["Mail.ReadWrite", "Mail.Send"],
                      "certificates": [{"pem": cred.cert_pem}]}],
        }],
        "mailboxes": boxes,
    }


def declared_config(endpoints: dict, workers: int, per_mailbox: int) -> dict:
    cred = app_credential(APP_FULL)
    return {
        "mar_settings": {
            "enabled": True, "max_attempts": 5, "cloud_timeout": 30, "onprem_timeout": 30, "lookback": "30d",
            "concurrency": {"workers": workers, "per_mailbox": per_mailbox, "per_service_account": 8},
        },
        "mar_account_profiles": [{
            "name": "bench", "description": "sandbox tenant", "type": "graph", "client_id": APP_FULL,
            "tenant_id": TENANT_ID, "private_key": cred.key_pem, "certificate": cred.cert_pem,
            "thumbprint": cred.sha1,
            "authority_url": endpoints["login_url"], "graph_url": endpoints["graph_url"],
            "ca_certificate": Path(endpoints["ca_file"]).read_text(),
        }],
        "mar_chained_profiles": [],
        "mar_domain_mappings": [{"domains": [DOMAIN], "profile": "bench"}],
        "mar_policies": [{"name": "DEFAULT", "mailbox_auto_remediation": {
            "enabled": True, "action": "delete", "delete_mode": "hard"}}],
    }


def write_inputs(folder: Path, addresses: list[str], messages: int, sha256: str) -> tuple[Path, Path]:
    tracking = folder / "tracking.jsonl"
    with tracking.open("w", encoding="utf-8") as handle:
        for n in range(messages):
            record = {
                "message_id": message_id(n), "mids": [1000 + n], "sender": "sender@sender.example",
                "subject": f"campaign message {n}", "received_at": RECEIVED,
                "attachments": [{"name": f"invoice{n}.docm", "sha256": sha256}],
                "recipients": [{"address": address, "status": "delivered"} for address in addresses],
            }
            handle.write(json.dumps(record) + "\n")
    verdicts = folder / "verdicts.json"
    verdicts.write_text(json.dumps([{
        "sha256": sha256, "verdict": "malicious", "file_name": "invoice.docm",
        "observed_at": "2026-12-01T12:00:00Z", "source": "bench",
    }]), encoding="utf-8")
    return tracking, verdicts


class Control:
    """The sandbox's control API."""

    def __init__(self, endpoints: dict) -> None:
        self.endpoints = endpoints
        self.session = requests.Session()
        self.session.trust_env = False

    def call(self, method: str, route: str, payload=None):
        answer = self.session.request(
            method, self.endpoints["control_url"] + route, json=payload, timeout=300,
            headers={"X-Sandbox-Token": self.endpoints["control_token"]}, verify=self.endpoints["ca_file"],
        )
        answer.raise_for_status()
        return answer.json()


SHARD_DRIVER = """
import json, resource, sys, time
from mar_runner.engine import replay
began = time.perf_counter()
cpu = time.process_time()
result = replay(sys.argv[1], [sys.argv[2]], shard=(int(sys.argv[3]), int(sys.argv[4])))
print(json.dumps({"counters": result.counters, "seconds": time.perf_counter() - began,
                  "cpu": time.process_time() - cpu,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def prepare(state_dir: Path, endpoints: dict, tracking: Path, workers: int, per_mailbox: int) -> None:
    from mar_runner.config.store import ConfigStore
    from mar_runner.state import open_db
    from mar_runner.tracking import import_paths

    ConfigStore(state_dir).apply(declared_config(endpoints, workers, per_mailbox))
    conn = open_db(state_dir)
    import_paths(conn, [tracking])
    conn.close()


def run_engine(state_dir: Path, endpoints: dict, tracking: Path, verdicts: Path, workers: int, per_mailbox: int):
    """Run one replay in this process; return the result and its wall time."""
    from mar_runner.engine import replay

    prepare(state_dir, endpoints, tracking, workers, per_mailbox)
    began = time.perf_counter()
    cpu = time.process_time()
    result = replay(state_dir, [verdicts])
    print(f"  engine CPU {time.process_time() - cpu:.1f} s")
    return result.counters, time.perf_counter() - began


def run_shards(state_dir: Path, endpoints: dict, tracking: Path, verdicts: Path, workers: int, shards: int):
    """Run ``shards`` replay processes side by side (``marctl replay --shard`` does the same)."""
    prepare(state_dir, endpoints, tracking, workers, 4)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "runner")}
    began = time.perf_counter()
    children = [
        subprocess.Popen([sys.executable, "-c", SHARD_DRIVER, str(state_dir), str(verdicts), str(index), str(shards)],
                         stdout=subprocess.PIPE, text=True, env=env)
        for index in range(shards)
    ]
    reports = [json.loads(child.communicate(timeout=900)[0].strip().splitlines()[-1]) for child in children]
    seconds = time.perf_counter() - began
    counters = {name: sum(report["counters"][name] for report in reports) for name in reports[0]["counters"]}
    for index, report in enumerate(reports):
        print(f"  shard {index}: {report['counters']['recipients']} recipients in {report['seconds']:.1f} s, "
              f"engine CPU {report['cpu']:.1f} s, peak RSS {report['peak_mb']:.0f} MB")
    return counters, seconds, sum(report["peak_mb"] for report in reports)


def check_sample(control: Control, addresses: list[str], messages: int) -> int:
    wanted = {message_id(n) for n in range(messages)}
    left = 0
    for address in addresses:
        view = control.call("GET", f"/mailboxes/{address}")
        for folder in view["folders"]:
            if folder["area"] == "ipm":
                left += sum(1 for m in folder["messages"] if m["internet_message_id"] in wanted)
    return left


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5, help="messages per mailbox (default 5)")
    parser.add_argument("--baseline", type=int, default=500, help="recipients in the one-at-a-time run")
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every Graph request")
    parser.add_argument("--shards", type=int, default=2,
                        help="engine processes sharing the main run, each with --workers threads (default 2)")
    options = parser.parse_args()
    sha256 = __import__("hashlib").sha256(generated_bytes(SIZE, PAYLOAD_SEED)).hexdigest()
    recipients = options.mailboxes * options.messages

    with tempfile.TemporaryDirectory(prefix="mar-bench-remediate-") as tmp:
        folder = Path(tmp)
        # The sandbox starts with the tenant only; the mailboxes (about 1 GB of
        # attachments) go in through the control API, which has no start-up limit.
        seed = build_seed(options.mailboxes, options.messages)
        seed_path = folder / "seed.yml"
        seed_path.write_text(yaml.safe_dump({**seed, "mailboxes": []}), encoding="utf-8")
        sandbox_state = folder / "sandbox"
        marctl = [sys.executable, "-m", "mar_runner.cli.main", "sandbox"]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "runner")}
        started = subprocess.run([*marctl, "up", "--seed", str(seed_path), "--state-dir", str(sandbox_state), "--detach"],
                                 capture_output=True, text=True, env=env, timeout=600)
        if started.returncode != 0:
            print(started.stderr, file=sys.stderr)
            return 1
        try:
            endpoints = json.loads((sandbox_state / "sandbox.json").read_text())
            control = Control(endpoints)
            began = time.perf_counter()
            control.call("POST", "/seed", seed)
            print(f"seeded {options.mailboxes} mailboxes in {time.perf_counter() - began:.0f} s")
            addresses = [f"user{index}@{DOMAIN}" for index in range(options.mailboxes)]
            print(f"recipients={recipients} mailboxes={options.mailboxes} attachment={SIZE} bytes "
                  f"latency={options.latency * 1000:.0f} ms shards={options.shards} workers={options.workers} "
                  f"per_mailbox=4 cpus={os.cpu_count()}")

            control.call("POST", "/faults", {"kind": "latency", "service": "graph", "delay": options.latency})
            tracking, verdicts = write_inputs(folder, addresses, options.messages, sha256)
            if options.shards > 1:
                counters, seconds, peak_mb = run_shards(folder / "state-main", endpoints, tracking, verdicts,
                                                        options.workers, options.shards)
            else:
                counters, seconds = run_engine(folder / "state-main", endpoints, tracking, verdicts, options.workers, 4)
                peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            log = control.call("GET", "/requests?service=graph")
            throttled = sum(1 for entry in log if entry.get("status") == 429)
            sample = random.Random(1).sample(addresses, min(50, len(addresses)))
            left = check_sample(control, sample, options.messages)
            per_recipient = seconds / max(counters["recipients"], 1)
            print(f"main: {counters['recipients']} recipients in {seconds:.1f} s = {per_recipient * 1000:.1f} ms each, "
                  f"success={counters['success']} failed={counters['failed']} graph_requests={len(log)} "
                  f"throttled={throttled} peak_rss={peak_mb:.0f} MB sample_left={left}")

            control.call("POST", "/reset")
            control.call("POST", "/faults", {"kind": "latency", "service": "graph", "delay": options.latency})
            baseline_boxes = addresses[: max(options.baseline // options.messages, 1)]
            base_folder = folder / "baseline"
            base_folder.mkdir()
            tracking, verdicts = write_inputs(base_folder, baseline_boxes, options.messages, sha256)
            base, base_seconds = run_engine(folder / "state-base", endpoints, tracking, verdicts, 1, 1)
            base_per = base_seconds / max(base["recipients"], 1)
            speed_up = base_per / per_recipient if per_recipient else 0.0
            print(f"baseline: {base['recipients']} recipients in {base_seconds:.1f} s = "
                  f"{base_per * 1000:.1f} ms each, success={base['success']}")
            print(f"speed-up: {speed_up:.1f}x")

            checks = {
                "every recipient succeeded": counters["success"] == recipients and counters["failed"] == 0,
                "no throttled request": throttled == 0,
                "sample mailboxes emptied": left == 0,
                f"under {SECONDS_LIMIT:.0f} s": seconds < SECONDS_LIMIT,
                f"peak memory under {MEMORY_LIMIT_MB} MB": peak_mb < MEMORY_LIMIT_MB,
                f"speed-up at least {SPEED_UP_MIN:.0f}x": speed_up >= SPEED_UP_MIN,
                "baseline succeeded": base["success"] == base["recipients"],
            }
            for name, passed in checks.items():
                print(f"{'PASS' if passed else 'FAIL'}: {name}")
            return 0 if all(checks.values()) else 1
        finally:
            subprocess.run([*marctl, "down", "--state-dir", str(sandbox_state)], capture_output=True, env=env, timeout=60)


if __name__ == "__main__":
    sys.exit(main())
