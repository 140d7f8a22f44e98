"""Benchmark: validate a generated standalone config of 50 profiles, 5 chains and 10,000 domains.

Run from the repository root:  .venv/bin/python bench/validate.py
It prints the time of loading and validating the file inside this process
(interpreter start-up, module imports and the generation of the file are
not counted), as wall and CPU time, for the first run and the best of
several runs. It exits 1 when the first run takes 1 second of CPU time or
more.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mar_runner.config.sources import load_paths
from mar_runner.config.validate import validate_config

LIMIT_SECONDS = 1.0


def generate(path: Path, profiles: int, chains: int, domains: int) -> None:
    """Write the config: half graph profiles (one shared 2048-bit key), half ews, all domains mapped."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    lines = ["mar_settings:", "  max_attempts: 3", "  lookback: 30d", "mar_account_profiles:"]
    names = []
    for index in range(profiles):
        name = f"p{index:03d}"
        names.append(name)
        if index % 2:
            lines += [
                f"  - name: {name}",
                "    description: on-premises site",
                "    type: ews",
                f"    username: CORP\\svc-{index}",
                "    password: secret",
                f"    host: mail{index}.corp.example.com",
            ]
        else:
            lines += [
                f"  - name: {name}",
                "    description: tenant",
                "    type: graph",
                f"    client_id: 00000000-0000-0000-0000-{index:012d}",
                f"    tenant_id: tenant{index}.onmicrosoft.com",
                "    thumbprint: r5IFynyIaVQ1WsM5hJdo66MUaXU=",
                "    private_key: |",
                textwrap.indent(key_pem.strip(), "      "),
            ]

    lines.append("mar_chained_profiles:")
    for index in range(chains):
        members = ", ".join(names[index * 10 : index * 10 + 10])
        lines.append(f"  - {{name: chain{index}, profiles: [{members}]}}")

    targets = names + [f"chain{index}" for index in range(chains)]
    lines.append("mar_domain_mappings:")
    per_target = -(-domains // len(targets))
    for target_index, target in enumerate(targets):
        first = target_index * per_target
        chunk = [f"d{n}.example.com" for n in range(first, min(first + per_target, domains))]
        if chunk:
            lines.append(f"  - profile: {target}")
            lines.append("    domains:")
            lines += [f"      - {domain}" for domain in chunk]

    lines += [
        "mar_policies:",
        "  - name: DEFAULT",
        "    mailbox_auto_remediation: {action: forward_and_delete, forward_to: soc@example.com}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure(path: Path, runs: int) -> tuple[list[float], list[float], int]:
    """Return the wall and CPU times of each run and the issue count."""
    wall, cpu = [], []
    count = -1
    for _run in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        loaded = load_paths([str(path)], password_files=[], vault_ids=[])
        issues = loaded.issues + validate_config(loaded.config, loaded.source)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        count = len(issues)
    return wall, cpu, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=50)
    parser.add_argument("--chains", type=int, default=5)
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "config.yml"
        generate(path, args.profiles, args.chains, args.domains)
        size = path.stat().st_size
        wall, cpu, issues = measure(path, args.runs)
    print(
        f"validate: {args.profiles} profiles, {args.chains} chains, {args.domains} domains ({size / 1024:.0f} KiB): "
        f"first run {wall[0]:.3f} s wall, {cpu[0]:.3f} s CPU; best of {args.runs} runs {min(wall):.3f} s wall, "
        f"{min(cpu):.3f} s CPU; {issues} issue(s)"
    )
    if issues:
        print("the generated config should be valid", file=sys.stderr)
        return 1
    # CPU time, because other processes on a shared machine stretch the wall time.
    return 0 if cpu[0] < LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
