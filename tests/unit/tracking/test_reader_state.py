"""Open-message state: eviction to bound memory, CEF merging, format detection and the import command."""

from __future__ import annotations

import argparse
import io
from datetime import datetime, timezone
from pathlib import Path

from mar_runner.cli import ingest_cmd
from mar_runner.state import open_db
from mar_runner.tracking import TrackingIndex, import_paths
from mar_runner.tracking.asyncos import reader
from mar_runner.tracking.importer import detect_format
from tests.unit.tracking.test_incremental import dump

LOGS = Path(__file__).parents[2] / "fixtures" / "logs"
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=timezone.utc)


def _interleaved_log(path: Path, messages: int) -> None:
    """Write messages that are all open at once: every start line first, every end line last."""
    prefix = "Wed Feb 14 12:11:40 2007 Info: "
    lines = []
    for mid in range(1, messages + 1):
        lines += [f"Start MID {mid} ICID {mid}", f"MID {mid} ICID {mid} RID 0 To: <u{mid}@example.com>"]
        lines += [f"MID {mid} attachment 'f{mid}.pdf'"]
    for mid in range(1, messages + 1):
        lines += [f"Message done DCID {mid} MID {mid} to RID [0]", f"Message finished MID {mid} done"]
    path.write_text("".join(prefix + line + "\n" for line in lines))


def test_eviction_keeps_result(tmp_path, monkeypatch):
    log = tmp_path / "busy.log"
    _interleaved_log(log, 60)
    plain = open_db(tmp_path / "plain")
    import_paths(plain, [log], now=NOW)

    monkeypatch.setattr(reader, "MAX_OPEN_MIDS", 20)
    evicting = open_db(tmp_path / "evicting")
    import_paths(evicting, [log], now=NOW)
    assert dump(evicting) == dump(plain)
    [delivery] = TrackingIndex(evicting).lookup(mid=1)
    assert delivery.recipients[0].status == "delivered"
    assert delivery.attachments[0].name == "f1.pdf"


def test_cef_after_text_log_updates_message(tracking_conn, tmp_path):
    text = tmp_path / "mail.log"
    text.write_text(
        "Sep 16 16:56:00 mail_logs: Info: Start MID 1053 ICID 1\n"
        "Sep 16 16:56:00 mail_logs: Info: MID 1053 ICID 1 RID 0 To: <user@example.com>\n"
        "Sep 16 16:56:05 mail_logs: Info: Message finished MID 1053 done\n"
    )
    import_paths(tracking_conn, [text, LOGS / "consolidated.log"], now=NOW)
    [delivery] = TrackingIndex(tracking_conn).lookup(mid=1053)
    assert delivery.source == "asyncos"
    assert delivery.message_id == "<id-1053@example.com>"
    assert len(delivery.attachments) == 2
    assert [(r.address, r.status) for r in delivery.recipients] == [("user@example.com", "quarantined")]


def test_format_detection():
    expected = {"mail_native.log": "asyncos", "consolidated.log": "cef", "tracking.jsonl": "jsonl"}
    for name, fmt in expected.items():
        with (LOGS / name).open("rb") as handle:
            assert detect_format(handle) == fmt, name


def test_import_command_progress_and_summary(state_dir, capsys):
    args = argparse.Namespace(
        state_dir=str(state_dir),
        paths=[str(LOGS / "mail_native.log")],
        format="auto",
        timezone="UTC",
        progress=True,
    )
    assert ingest_cmd.run_import(args) == 0
    captured = capsys.readouterr()
    assert captured.err.endswith("\rImporting [#########################] 100% of 0 MiB\n")
    assert captured.out.splitlines()[0] == "Files read: 1; new lines: 103; messages written to the tracking index: 9."


def test_import_summary_lists_first_problems(capsys, monkeypatch):
    from mar_runner.tracking.importer import ImportSummary
    from mar_runner.tracking.problems import InputProblem

    summary = ImportSummary()
    for line in range(1, 24):
        summary.add_problem(InputProblem("x.log", line, "bad"))
    ingest_cmd.print_import_summary(summary)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Lines that could not be read: 23"
    assert err[1] == "  x.log:1: bad"
    assert len(err) == 22
    assert err[-1] == "  ... and 3 more."


def test_text_log_after_cef_updates_message(tracking_conn, tmp_path):
    text = tmp_path / "mail.log"
    text.write_text(
        "Sep 16 16:56:00 mail_logs: Info: Start MID 1053 ICID 1\n"
        "Sep 16 16:56:00 mail_logs: Info: MID 1053 ICID 1 RID 0 To: <user@example.com>\n"
        "Sep 16 16:56:00 mail_logs: Info: MID 1053 matched all recipients for per-recipient policy DEFAULT in the inbound table\n"
        "Sep 16 16:56:05 mail_logs: Info: Message done DCID 1 MID 1053 to RID [0]\n"
        "Sep 16 16:56:05 mail_logs: Info: Message finished MID 1053 done\n"
    )
    import_paths(tracking_conn, [LOGS / "consolidated.log", text], now=NOW)
    [delivery] = TrackingIndex(tracking_conn).lookup(mid=1053)
    assert delivery.source == "cef"
    assert len(delivery.attachments) == 2
    assert [(r.address, r.rid, r.policy, r.status) for r in delivery.recipients] == [
        ("user@example.com", 0, "DEFAULT", "delivered")
    ]


def test_verdict_table_aligns_japanese_headers():
    from mar_runner import i18n
    from mar_runner.verdicts import read_verdicts

    i18n.set_language("ja")
    table = ingest_cmd.render_verdict_table(read_verdicts([LOGS / "verdicts.csv"]))
    header, first = table.splitlines()[:2]
    assert ingest_cmd._display_width(header[: header.index("以前の判定")]) == first.index("unknown")
