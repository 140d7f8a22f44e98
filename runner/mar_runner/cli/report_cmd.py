"""``marctl report``: what was remediated in a period, what failed and why.

``add_output_arguments`` and ``print_tracking`` also serve ``marctl track``,
which adds the remediation attempts to a message's delivery.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

from mar_runner.i18n import LANGUAGES, _, set_language
from mar_runner.report import FORMATS, build_report, render
from mar_runner.report.period import parse_time
from mar_runner.report.render_track import render_track
from mar_runner.report.source import deliveries_for, query_outcomes, verdict_notes
from mar_runner.report.tracking import track
from mar_runner.state import open_db, resolve_state_dir

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def register(subparsers) -> None:
    """Add ``report`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "report",
        help="show remediation counters and per-file results for a period",
        description="Show what was deleted, forwarded, failed (with reason and fix), in progress or skipped.",
    )
    add_output_arguments(parser)
    parser.add_argument(
        "--since", metavar="TIME", help="start of the period: ISO 8601 time or date (UTC), or a duration back from now such as 24h or 7d"
    )
    parser.add_argument("--until", metavar="TIME", help="end of the period (exclusive), in the same forms as --since")
    parser.add_argument("--sha256", metavar="HASH", help="report on one file only (64 hexadecimal digits)")
    parser.set_defaults(func=run_report)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --format, --lang and --output, shared by report and tracking."""
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument(
        "--lang", dest="output_lang", choices=LANGUAGES, help="language of the output (default: marctl --lang or the locale)"
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE (mode 0600) instead of standard output")


def write_output(text: str, output: str | None) -> int:
    """Write ``text`` to standard output or atomically to ``output``; return the exit code."""
    if not output:
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(output)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        print(
            _("Cannot write {path}: {error}. Choose a writable file for --output.").format(path=output, error=exc.strerror or exc),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return EXIT_OK


def parse_period(args: argparse.Namespace) -> tuple[str | None, str | None] | None:
    """Return the (since, until) of the arguments, or print the error and return None."""
    period: list[str | None] = []
    for option, value in (("--since", args.since), ("--until", args.until)):
        if value is None:
            period.append(None)
            continue
        try:
            period.append(parse_time(value))
        except ValueError:
            print(
                _(
                    "Invalid {option} value '{value}': use an ISO 8601 time such as 2026-12-04T09:00:00Z, "
                    "a date such as 2026-12-04, or a duration back from now such as 24h or 7d."
                ).format(option=option, value=value),
                file=sys.stderr,
            )
            return None
    return period[0], period[1]


def valid_sha256(value: str | None) -> bool:
    """Return True when ``value`` is absent or 64 hexadecimal digits, else print the error."""
    if value is None or _SHA256.match(value):
        return True
    print(_("Invalid --sha256 value '{value}': give the file's SHA-256 as 64 hexadecimal digits.").format(value=value), file=sys.stderr)
    return False


def open_state(args: argparse.Namespace):
    """Return a connection to the state database, or print why there is none and return None."""
    state_dir = resolve_state_dir(args.state_dir)
    try:
        return open_db(state_dir, create=False)
    except FileNotFoundError:
        print(
            _("No state database in {path}: apply a configuration and run marctl replay first, or pass --state-dir.").format(
                path=state_dir
            ),
            file=sys.stderr,
        )
        return None
    except sqlite3.Error as exc:
        print_database_error(args, exc)
        return None


def print_database_error(args: argparse.Namespace, error: sqlite3.Error) -> None:
    """Print why the state database could not be read (for example a read-only copy of an older version)."""
    print(
        _("Cannot read the state database in {path}: {error}. Check that it is writable by this user and that no other program holds it.").format(
            path=resolve_state_dir(args.state_dir), error=error
        ),
        file=sys.stderr,
    )


def remediation_enabled(state_dir: Path) -> bool:
    """Return ``mar_settings.enabled`` of the applied configuration (True when none was applied)."""
    from mar_runner.config.store import ConfigStore

    try:
        config = ConfigStore(state_dir).current()
    except (OSError, ValueError, KeyError, sqlite3.Error) as exc:
        # The report reads outcomes, not the configuration; a configuration
        # that cannot be read only loses the "remediation disabled" note.
        log.warning("applied configuration in %s not read: %s", state_dir, exc)
        return True
    settings = (config or {}).get("mar_settings") or {}
    return bool(settings.get("enabled", True))


def run_report(args: argparse.Namespace) -> int:
    """Build and print the report; return 0, 1 when the state cannot be read, 2 on invalid options."""
    if args.output_lang:
        set_language(args.output_lang)
    period = parse_period(args)
    if period is None or not valid_sha256(args.sha256):
        return EXIT_USAGE
    since, until = period
    if since and until and since >= until:
        print(_("The period is empty: --since {since} is not before --until {until}.").format(since=since, until=until), file=sys.stderr)
        return EXIT_USAGE
    sha256 = args.sha256.lower() if args.sha256 else None

    conn = open_state(args)
    if conn is None:
        return EXIT_FAILURE
    try:
        enabled = remediation_enabled(resolve_state_dir(args.state_dir))
        outcomes = query_outcomes(conn, since=since, until=until, sha256=sha256)
        deliveries = deliveries_for(conn, {outcome["sha256"] for outcome in outcomes})
        notes = verdict_notes(conn, since=since, until=until, sha256=sha256)
    except sqlite3.Error as exc:
        print_database_error(args, exc)
        return EXIT_FAILURE
    finally:
        conn.close()
    report = build_report(
        outcomes,
        deliveries=deliveries,
        since=since,
        until=until,
        sha256=sha256,
        remediation_enabled=enabled,
        verdict_notes=notes,
    )
    return write_output(render(report, args.format), args.output)


def print_tracking(
    args: argparse.Namespace,
    *,
    sha256: str | None = None,
    message_id: str | None = None,
    mid: int | None = None,
    recipient: str | None = None,
) -> int:
    """Print the deliveries matching the criteria with every remediation attempt on them.

    ``marctl track`` calls this after parsing its search options; ``args``
    carries ``state_dir`` and the options of ``add_output_arguments``
    (``format``, ``output_lang``, ``output``). Returns 0 when something
    matched, 1 when nothing did or the state cannot be read, 2 on invalid input.
    """
    if getattr(args, "output_lang", None):
        set_language(args.output_lang)
    if not valid_sha256(sha256):
        return EXIT_USAGE
    if sha256 is None and message_id is None and mid is None and recipient is None:
        print(_("Give at least one of --mid, --message-id, --recipient or --sha256."), file=sys.stderr)
        return EXIT_USAGE
    conn = open_state(args)
    if conn is None:
        return EXIT_FAILURE
    try:
        result = track(conn, sha256=sha256, message_id=message_id, mid=mid, recipient=recipient)
    except sqlite3.Error as exc:
        print_database_error(args, exc)
        return EXIT_FAILURE
    finally:
        conn.close()
    code = write_output(render_track(result, getattr(args, "format", None) or "table"), getattr(args, "output", None))
    if code == EXIT_OK and not result.messages:
        return EXIT_FAILURE
    return code
