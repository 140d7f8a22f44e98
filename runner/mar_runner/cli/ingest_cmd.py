"""``marctl import``, ``marctl verdicts`` and ``marctl track``: fill and read the tracking index.

``import`` reads tracking logs into the index, ``verdicts`` shows what
verdict files contain without acting on them, and ``track`` shows what the
index contains for a message, with its remediation attempts.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import unicodedata

from mar_runner.cli.report_cmd import add_output_arguments, print_tracking
from mar_runner.i18n import _
from mar_runner.state import open_db, resolve_state_dir
from mar_runner.tracking import FORMATS, ImportSummary, import_paths
from mar_runner.tracking.times import parse_zone
from mar_runner.verdicts import KINDS, VerdictBatch, read_verdicts

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
SHOWN_PROBLEMS = 20
# Imports smaller than this finish too fast for a progress bar to help.
PROGRESS_MIN_BYTES = 16 << 20


def register(subparsers) -> None:
    """Add ``import``, ``verdicts`` and ``track`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "import",
        help="import tracking logs into the tracking index",
        description="Read AsyncOS mail and AMP logs, consolidated event (CEF) logs or native JSON Lines "
        "tracking records into the tracking index. Files read before continue where the last import stopped.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="log file to read (rotated files too)")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="input format (default: detected per file)")
    parser.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="time zone of log timestamps that carry none, as an IANA name (default: UTC)",
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show a progress bar")
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never show a progress bar")
    parser.set_defaults(func=run_import)

    parser = subparsers.add_parser(
        "verdicts",
        help="show the verdicts in verdict files without acting on them",
        description="Read verdict files (JSON, YAML, JSON Lines, CSV), AMP logs with retrospective verdicts "
        "or Secure Endpoint event exports, and show the normalised verdicts and any invalid records.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="verdict file to read")
    parser.add_argument("--input-format", choices=KINDS, default="auto", help="kind of the files (default: detected per file)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    parser.set_defaults(func=run_verdicts)

    parser = subparsers.add_parser(
        "track",
        help="show what the tracking index contains for a message and its remediation",
        description="Show the messages matching every criterion given: MIDs, Message-ID, sender, subject, "
        "recipients with delivery status and policy, attachments, and the remediation attempts on them.",
    )
    parser.add_argument("--sha256", metavar="HASH", help="SHA-256 of an attachment (64 hexadecimal digits)")
    parser.add_argument("--message-id", metavar="ID", help="RFC Message-ID, with or without angle brackets")
    parser.add_argument("--mid", type=int, metavar="MID", help="gateway message number (any MID of the message)")
    parser.add_argument("--recipient", metavar="ADDRESS", help="envelope recipient address")
    add_output_arguments(parser)
    parser.set_defaults(func=run_track)


# ------------------------------------------------------------------ import
def run_import(args: argparse.Namespace) -> int:
    """Import the files; return 0, 1 when a file failed while being read, 2 on invalid options or paths."""
    try:
        zone = parse_zone(args.timezone)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    for path in args.paths:
        problem = _unreadable(path)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_USAGE
    show_progress = args.progress
    if show_progress is None:
        total = sum(os.path.getsize(p) for p in args.paths)
        show_progress = sys.stderr.isatty() and total >= PROGRESS_MIN_BYTES
    conn = open_db(resolve_state_dir(args.state_dir))
    try:
        summary = import_paths(
            conn, args.paths, args.format, zone=zone, progress=_progress_bar if show_progress else None
        )
    except OSError as exc:
        print(
            _("Import stopped: cannot read {path}: {error}. Everything read before was kept; run the import again.").format(
                path=exc.filename, error=exc.strerror
            ),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except sqlite3.OperationalError as exc:
        print(
            _(
                "Import stopped: the state database cannot be written ({error}). Everything committed before was "
                "kept; run the import again when no other marctl command is writing to it."
            ).format(error=exc),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    finally:
        conn.close()
    if show_progress:
        print(file=sys.stderr)
    print_import_summary(summary)
    return EXIT_OK


def _unreadable(path: str) -> str | None:
    if not os.path.exists(path):
        return _("File not found: {path}").format(path=path)
    if os.path.isdir(path):
        return _("{path} is a directory: give the log files in it").format(path=path)
    if not os.access(path, os.R_OK):
        return _("Cannot read {path}: permission denied").format(path=path)
    return None


def _progress_bar(done: int, total: int) -> None:
    # Compressed files count decompressed bytes, which can run past the total on disk.
    percent = min(100 * done // total, 100) if total else 100
    filled = percent // 4
    bar = "#" * filled + "-" * (25 - filled)
    text = _("Importing [{bar}] {percent}% of {size} MiB").format(bar=bar, percent=percent, size=total >> 20)
    print("\r" + text, end="", file=sys.stderr, flush=True)


def print_import_summary(summary: ImportSummary) -> None:
    """Print what an import did to standard output and its problems to standard error."""
    print(
        _("Files read: {files}; new lines: {lines}; messages written to the tracking index: {messages}.").format(
            lines=summary.lines_read, files=len(summary.files), messages=summary.messages_written
        )
    )
    for item in summary.files:
        if item.lines_read == 0:
            line = _("{path}: nothing new ({format}, read up to line {last})")
        elif item.resumed:
            line = _("{path}: lines {first} to {last} ({format}, continued from the last import)")
        else:
            line = _("{path}: lines {first} to {last} ({format})")
        print("  " + line.format(path=item.path, first=item.first_line + 1, last=item.last_line, format=item.format))
    if summary.verdict_lines:
        print(
            _("Retrospective verdict lines seen: {count}; read them with marctl verdicts.").format(
                count=summary.verdict_lines
            )
        )
    if summary.unknown_recipients:
        print(
            _(
                "Delivered RIDs without a 'RID n To:' line in the logs read: {count}. "
                "Their addresses are unknown; import the earlier log too."
            ).format(count=summary.unknown_recipients)
        )
    if summary.problem_count:
        print(_("Lines that could not be read: {count}").format(count=summary.problem_count), file=sys.stderr)
        for problem in summary.problems[:SHOWN_PROBLEMS]:
            print(f"  {problem}", file=sys.stderr)
        if summary.problem_count > SHOWN_PROBLEMS:
            print(
                "  " + _("... and {count} more.").format(count=summary.problem_count - SHOWN_PROBLEMS),
                file=sys.stderr,
            )


# ---------------------------------------------------------------- verdicts
def run_verdicts(args: argparse.Namespace) -> int:
    """Print the verdicts of the files; return 0, or 1 when some record was invalid or a file unreadable."""
    batch = read_verdicts(args.paths, args.input_format)
    if args.format == "json":
        print(json.dumps(verdicts_as_json(batch), ensure_ascii=False, indent=2))
    else:
        print(render_verdict_table(batch))
    for problem in batch.errors:
        print(str(problem), file=sys.stderr)
    return EXIT_FAILURE if batch.errors else EXIT_OK


def verdicts_as_json(batch: VerdictBatch) -> dict:
    """Return the verdicts and errors of a batch as JSON-compatible data."""
    return {
        "verdicts": [
            {
                "verdict_id": v.verdict_id,
                "sha256": v.sha256,
                "verdict": v.verdict,
                "previous_verdict": v.previous_verdict,
                "file_name": v.file_name,
                "threat_name": v.threat_name,
                "observed_at": v.observed_at.isoformat().replace("+00:00", "Z") if v.observed_at else None,
                "source": v.source,
                "origin": v.origin,
                "event_id": v.event_id,
            }
            for v in batch
        ],
        "errors": [{"path": e.path, "line": e.line, "reason": e.reason} for e in batch.errors],
        "skipped_events": batch.skipped_events,
    }


def render_verdict_table(batch: VerdictBatch) -> str:
    """Return the verdicts as an aligned text table followed by a count line."""
    headers = [_("SHA-256"), _("Verdict"), _("Previous"), _("File name"), _("Threat"), _("Observed (UTC)"), _("Source"), _("Origin")]
    rows = [
        [
            v.sha256,
            v.verdict,
            v.previous_verdict or "-",
            v.file_name or "-",
            v.threat_name or "-",
            v.observed_at.strftime("%Y-%m-%d %H:%M:%S") if v.observed_at else "-",
            v.source,
            v.origin,
        ]
        for v in batch
    ]
    widths = [max(_display_width(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(_pad(str(cell), widths[i]) for i, cell in enumerate(row)).rstrip() for row in [headers, *rows]
    ]
    malicious = sum(1 for v in batch if v.is_malicious)
    lines.append(
        _("Verdicts: {count} ({malicious} malicious); invalid records: {errors}; events that are not verdicts: {skipped}.").format(
            count=len(batch), malicious=malicious, errors=len(batch.errors), skipped=batch.skipped_events
        )
    )
    return "\n".join(lines)


def _display_width(text: str) -> int:
    """Return the terminal width of ``text``: wide (East Asian) characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))


# ------------------------------------------------------------------- track
def run_track(args: argparse.Namespace) -> int:
    """Print the matching messages; return 0, 1 when nothing matched, 2 on invalid options."""
    return print_tracking(
        args, sha256=args.sha256, message_id=args.message_id, mid=args.mid, recipient=args.recipient
    )
