"""Benchmark of tracking ingest: import speed and memory, and SHA-256 lookup time.

Generates synthetic AsyncOS mail and AMP logs in the real line shapes: about
40 lines per message, 1 to 5 recipients, a third of the messages with
attachments, MID rewrites and bcc copies, and messages interleaved as on a
busy gateway. One SHA-256 is carried by 1,000 messages. The log is imported
with ``marctl import`` in a subprocess, and the benchmark reports its wall
time, CPU time and peak resident memory. Then it fills a separate index with
synthetic rows up to the given number of deliveries and times
``TrackingIndex.deliveries_by_sha256`` for the shared SHA-256.

Run by hand, not in the test suite:

    .venv/bin/python bench/ingest.py --size-mb 1024 --deliveries 5000000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mar_runner.state import open_db
from mar_runner.tracking import TrackingIndex
from mar_runner.tracking.schema import ensure_schema

HOT_SHA = hashlib.sha256(b"mailsec.mar benchmark shared attachment").hexdigest()
HOT_MESSAGES = 1000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WORDS = "invoice order quote report payment meeting update contract delivery notice statement agenda".split()
FILLER = (
    "MID {mid} using engine: CASE spam negative",
    "MID {mid} interim verdict using engine: CASE spam negative",
    "MID {mid} antivirus negative",
    "MID {mid} Outbreak Filters: verdict negative",
    "MID {mid} SPF: helo identity postmaster@mx{icid}.example.net Pass",
    "MID {mid} SPF: mailfrom identity {sender} Pass",
    "MID {mid} DKIM: pass signature verified (d=example.net s=s1 i=@example.net)",
    "MID {mid} DMARC: Message from domain example.net, DMARC pass (SPF aligned True, DKIM aligned True)",
    "MID {mid} DMARC: Verification passed",
    "MID {mid} Custom Log Entry: inbound-{icid}",
    "MID {mid} Outbreak Filters: verdict negative",
    "MID {mid} graymail negative",
    "MID {mid} URL category scanning not done",
    "MID {mid} Threat Level: 0",
)


def _prefix(moment: datetime) -> str:
    return f"<22>{MONTHS[moment.month - 1]} {moment.day:2d} {moment:%H:%M:%S} esa1.example.com mail_logs: Info: "


def _message_lines(rng: random.Random, mid: int, icid: int, dcid: int, hot: bool) -> list[str]:
    """Return the message lines of one message (without prefixes)."""
    sender = f"sender{rng.randrange(50_000)}@example.net"
    count = rng.randint(1, 5)
    recipients = [f"user{rng.randrange(200_000)}@example.com" for _ in range(count)]
    lines = [
        f"New SMTP ICID {icid} interface Data 1 (192.0.2.4) address 198.51.100.{icid % 250} reverse dns host mx{icid}.example.net verified yes",
        f"ICID {icid} ACCEPT SG UNKNOWNLIST match sbrs[-1.0:10.0] SBRS 3.5 country United States",
        f"ICID {icid} TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384",
        f"Start MID {mid} ICID {icid}",
        f"MID {mid} ICID {icid} From: <{sender}>",
    ]
    lines += [f"MID {mid} ICID {icid} RID {rid} To: <{address}>" for rid, address in enumerate(recipients)]
    lines += [
        f"MID {mid} Message-ID '<{mid}.{icid}.{rng.randrange(10**9)}@mail.example.net>'",
        f"MID {mid} Subject '{rng.choice(WORDS).title()} {rng.randrange(10_000)} {rng.choice(WORDS)}'",
        f"MID {mid} ready {rng.randrange(2_000, 900_000)} bytes from <{sender}>",
        f"MID {mid} matched all recipients for per-recipient policy DEFAULT in the inbound table",
    ]
    lines += [template.format(mid=mid, icid=icid, sender=sender) for template in FILLER]
    if hot or rng.random() < 1 / 3:
        files = rng.randint(1, 2)
        for number in range(files):
            name = f"{rng.choice(WORDS)}_{rng.randrange(1000)}{'.pdf' if number else '.docx'}"
            sha = HOT_SHA if hot and number == 0 else hashlib.sha256(f"{mid}/{number}".encode()).hexdigest()
            lines.append(f"MID {mid} attachment '{name}'")
            lines.append(
                f"File reputation query initiating. File Name = '{name}', MID = {mid}, File Size = {rng.randrange(10_000, 900_000)} bytes, File Type = application/pdf"
            )
            lines.append(
                f"Response received for file reputation query from Cloud. File Name = '{name}', MID = {mid}, Disposition = FILE UNKNOWN, Malware = None, Reputation Score = 0, sha256 = {sha}, upload_action = 2"
            )
        lines.append(f"MID {mid} AMP file reputation verdict : UNKNOWN")
    else:
        lines.append(f"MID {mid} AMP file reputation verdict : SKIPPED (no attachment in message)")
    final_mid = mid
    extra: list[str] = []
    roll = rng.random()
    if roll < 0.05:
        final_mid = mid + 1
        lines.append(f"MID {mid} rewritten to MID {final_mid} by add-footer filter")
        extra.append(f"Message finished MID {mid} done")
    elif roll < 0.08:
        copy = mid + 1
        lines.append(f"MID {copy} generated based on MID {mid} by bcc filter 'archive'")
        lines.append(f"MID {copy} ICID 0 RID 0 To: <archive@example.com>")
        extra += [
            f"Delivery start DCID {dcid + 1} MID {copy} to RID [0]",
            f"Message done DCID {dcid + 1} MID {copy} to RID [0]",
            f"Message finished MID {copy} done",
        ]
    rids = ", ".join(str(rid) for rid in range(count))
    lines += [
        f"MID {final_mid} queued for delivery",
        f"New SMTP DCID {dcid} interface 192.0.2.4 address 203.0.113.{dcid % 250} port 25",
        f"Delivery start DCID {dcid} MID {final_mid} to RID [{rids}]",
        f"Message done DCID {dcid} MID {final_mid} to RID [{rids}] [('from', '{sender}'), ('to', '{', '.join(recipients)}')]",
        f"MID {final_mid} RID [{rids}] Response '2.0.0 Ok: queued as {rng.randrange(16**8):08X}'",
        f"Message finished MID {final_mid} done",
        f"ICID {icid} close",
        f"DCID {dcid} close",
    ]
    return lines + extra


def generate(path: Path, size_bytes: int, seed: int = 1) -> int:
    """Write a synthetic log of about ``size_bytes``; return the number of messages."""
    rng = random.Random(seed)
    average_message = 5200
    expected = max(size_bytes // average_message, HOT_MESSAGES * 2)
    hot_every = max(expected // HOT_MESSAGES, 1)
    moment = datetime(2026, 1, 5, 0, 0, tzinfo=timezone.utc)
    mid, icid, dcid, messages, written, hot_left = 1000, 500, 800, 0, 0, HOT_MESSAGES
    active: list[list[str]] = []
    with path.open("w", encoding="utf-8", buffering=1 << 20) as handle:
        while written < size_bytes or active:
            while written < size_bytes and len(active) < 8:
                hot = hot_left > 0 and messages % hot_every == 0
                hot_left -= hot
                active.append(_message_lines(rng, mid, icid, dcid, hot)[::-1])
                mid, icid, dcid, messages = mid + 2, icid + 1, dcid + 2, messages + 1
            pick = active[rng.randrange(len(active))]
            moment += timedelta(milliseconds=rng.randrange(0, 40))
            line = _prefix(moment) + pick.pop() + "\n"
            handle.write(line)
            written += len(line)
            if not pick:
                active.remove(pick)
    if hot_left:
        print(f"warning: only {HOT_MESSAGES - hot_left} messages carry the shared SHA-256", file=sys.stderr)
    return messages


def import_run(log: Path, state_dir: Path) -> tuple[float, float, float, str]:
    """Import ``log`` with marctl in a subprocess; return (wall seconds, CPU seconds, peak RSS in MiB, output)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mar_runner.cli.main", "--state-dir", str(state_dir), "import", "--no-progress", str(log)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"import failed ({result.returncode}): {result.stderr}")
    # ru_maxrss is the maximum over all waited-for children, in KiB on Linux;
    # the benchmark starts no larger child before the import.
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    return elapsed, cpu, max(usage.ru_maxrss, before) / 1024, result.stdout + result.stderr


def time_lookup(state_dir: Path, repeats: int = 7) -> tuple[float, float, float, int, int]:
    """Return the first and median wall seconds and median CPU seconds of the shared SHA-256 lookup, and the message and recipient counts."""
    conn = open_db(state_dir)
    index = TrackingIndex(conn)
    times, cpu_times = [], []
    found = []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        found = index.deliveries_by_sha256(HOT_SHA)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    conn.close()
    return times[0], statistics.median(times), statistics.median(cpu_times), len(found), sum(len(d.recipients) for d in found)


def fill_synthetic(state_dir: Path, deliveries: int, seed: int = 2) -> int:
    """Insert synthetic messages until ``deliveries`` recipient rows exist; 1,000 carry the shared SHA-256."""
    rng = random.Random(seed)
    conn = open_db(state_dir)
    ensure_schema(conn)
    average = 3
    messages = deliveries // average
    hot_every = max(messages // HOT_MESSAGES, 1)
    conn.execute("BEGIN")
    made = 0
    message_rows, mid_rows, recipient_rows, attachment_rows = [], [], [], []
    base = 1_767_225_600.0
    for number in range(1, messages + 1):
        mid = 10_000_000 + number
        message_rows.append((number, f"asyncos:{mid}:{int(base + number)}", "asyncos", f"<{mid}@example.net>", f"<{mid}@example.net>", "s@example.net", "Subject", base + number, 1))
        mid_rows.append((mid, number))
        for rid in range(average):
            recipient_rows.append((number, mid, f"user{rng.randrange(500_000)}.{rid}@example.com", rid, "DEFAULT", "delivered", base + number + 1))
        made += average
        if number % hot_every == 0 and number // hot_every <= HOT_MESSAGES:
            attachment_rows.append((number, "shared.docx", HOT_SHA))
        elif number % 3 == 0:
            attachment_rows.append((number, "file.pdf", hashlib.sha256(str(number).encode()).hexdigest()))
        if len(recipient_rows) >= 300_000:
            _flush(conn, message_rows, mid_rows, recipient_rows, attachment_rows)
    _flush(conn, message_rows, mid_rows, recipient_rows, attachment_rows)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return made


def _flush(conn, message_rows, mid_rows, recipient_rows, attachment_rows) -> None:
    conn.executemany(
        "INSERT INTO trk_messages (id, message_key, source, message_id, message_id_raw, sender, subject, received_at, complete) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        message_rows,
    )
    conn.executemany("INSERT INTO trk_mids (mid, message) VALUES (?, ?)", mid_rows)
    conn.executemany(
        "INSERT OR IGNORE INTO trk_recipients (message, mid, address, rid, policy, status, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        recipient_rows,
    )
    conn.executemany("INSERT INTO trk_attachments (message, name, sha256) VALUES (?, ?, ?)", attachment_rows)
    for rows in (message_rows, mid_rows, recipient_rows, attachment_rows):
        rows.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the generated log in MiB (default: 1024)")
    parser.add_argument("--deliveries", type=int, default=5_000_000, help="deliveries in the lookup index (default: 5,000,000; 0 skips)")
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "mar-bench-ingest", help="where logs and databases go")
    parser.add_argument("--keep-log", action="store_true", help="reuse a generated log of the same size")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)

    log = args.work_dir / f"mail-{args.size_mb}mb.log"
    if not (args.keep_log and log.exists()):
        started = time.perf_counter()
        count = generate(log, args.size_mb << 20)
        print(f"generated {log.stat().st_size / 2**20:.0f} MiB, {count} messages in {time.perf_counter() - started:.0f} s")
    lines = sum(1 for _ in log.open("rb"))
    state = args.work_dir / "state-import"
    for name in ("mar.db", "mar.db-wal", "mar.db-shm"):
        (state / name).unlink(missing_ok=True)
    seconds, cpu, peak, output = import_run(log, state)
    size_mb = log.stat().st_size / 2**20
    print(output.strip())
    print(
        f"import: {size_mb:.0f} MiB, {lines} lines in {seconds:.1f} s wall, {cpu:.1f} s CPU "
        f"({size_mb / seconds:.1f} MiB/s), peak RSS {peak:.0f} MiB"
    )
    first, median, cpu, messages, recipients = time_lookup(state)
    print(
        f"lookup after import: {messages} messages, {recipients} recipients; "
        f"first {first * 1000:.1f} ms, median {median * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU"
    )

    if args.deliveries:
        lookup_state = args.work_dir / f"state-lookup-{args.deliveries}"
        if not (lookup_state / "mar.db").exists():
            started = time.perf_counter()
            made = fill_synthetic(lookup_state, args.deliveries)
            print(f"filled {made} deliveries in {time.perf_counter() - started:.0f} s")
        first, median, cpu, messages, recipients = time_lookup(lookup_state)
        print(
            f"lookup with {args.deliveries} deliveries: {messages} messages, {recipients} recipients; "
            f"first {first * 1000:.1f} ms, median {median * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
