"""marctl replay and marctl test-connection."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from mar_runner.i18n import _
from mar_runner.state import resolve_state_dir

logger = logging.getLogger("mar.cli")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_RECIPIENT_FAILURES = 3
PROGRESS_THRESHOLD = 100


def register(subparsers) -> None:
    """Add ``replay`` and ``test-connection``."""
    replay = subparsers.add_parser(
        "replay",
        help="replay verdict files through the remediation engine",
        description="Run verdicts through the remediation engine with the configuration applied "
        "to the state directory. Exit status: 0 every recipient succeeded or was skipped, "
        "3 some recipients failed, 1 the run could not finish or an input file could not be read, "
        "2 usage or configuration error.",
    )
    replay.add_argument("verdicts", nargs="+", metavar="VERDICTS", help="verdict files (JSON, YAML, JSON Lines, CSV, AMP logs)")
    replay.add_argument("--dry-run", action="store_true", help="find the messages but change nothing; report what would happen")
    replay.add_argument("--tracking", action="append", default=[], metavar="LOG",
                        help="import this mail log or tracking file first (repeatable)")
    replay.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    replay.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="request timeout in seconds for this run, overriding cloud_timeout and onprem_timeout")
    replay.add_argument("--shard", metavar="I/N", default=None,
                        help="process only the recipients of shard I of N (0 <= I < N), to share a replay "
                        "between N processes; each mailbox belongs to exactly one shard")
    replay.set_defaults(func=run_replay)

    test = subparsers.add_parser(
        "test-connection",
        help="check that a profile can reach a mailbox",
        description="Reach a mailbox through one account profile and report success or the diagnosis. "
        "Exit status: 0 success, 1 the connection failed, 2 usage or configuration error.",
    )
    test.add_argument("profile", metavar="PROFILE", help="account profile name")
    test.add_argument("address", nargs="?", metavar="ADDRESS", help="mailbox address (default: the profile's test_address)")
    test.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    test.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                      help="request timeout in seconds, overriding the configured timeout")
    test.set_defaults(func=run_test_connection)


def _progress(done: int, total: int) -> None:
    if total < PROGRESS_THRESHOLD:
        return
    step = max(total // 10, 1)
    if done % step == 0 or done == total:
        print(_("Progress: {done} of {total} recipients").format(done=done, total=total), file=sys.stderr, flush=True)


def _install_logs(state_dir: Path):
    """Attach the mail log, remediation log and JSON Lines handlers, or return None without a configuration."""
    from mar_runner.config.store import ConfigStore
    from mar_runner.logs import install_log_handlers

    config = ConfigStore(state_dir).current()
    if config is None:
        # replay() reports the missing configuration; no log folder is created for it.
        return None
    return install_log_handlers(state_dir, config.get("mar_settings"))


def run_replay(args) -> int:
    """Run ``marctl replay`` and return its exit status."""
    from mar_runner.engine import ConfigurationMissing, replay

    missing = [path for path in args.verdicts + args.tracking if not Path(path).exists()]
    if missing:
        for path in missing:
            print(_("marctl replay: file not found: {path}").format(path=path), file=sys.stderr)
        return EXIT_USAGE
    if args.timeout is not None and args.timeout <= 0:
        print(_("marctl replay: invalid --timeout {value}: give a number of seconds above 0").format(value=args.timeout),
              file=sys.stderr)
        return EXIT_USAGE
    shard = None
    if args.shard is not None:
        index, _slash, count = args.shard.partition("/")
        if not (index.isdigit() and count.isdigit() and int(count) >= 1 and int(index) < int(count)):
            print(_("marctl replay: invalid --shard {value}: use I/N with 0 <= I < N, such as 0/2").format(value=args.shard),
                  file=sys.stderr)
            return EXIT_USAGE
        shard = (int(index), int(count))
    state_dir = resolve_state_dir(args.state_dir)
    logs = _install_logs(state_dir)
    try:
        result = replay(
            state_dir,
            args.verdicts,
            dry_run=args.dry_run,
            tracking_paths=args.tracking,
            timeout=args.timeout,
            progress=_progress,
            shard=shard,
        )
    except ConfigurationMissing as error:
        print(_("marctl replay: {error}").format(error=error), file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # the run itself failed: report it without a traceback
        logger.debug("replay failed", exc_info=True)
        print(_("marctl replay: the run could not finish: {error}").format(error=error), file=sys.stderr)
        return EXIT_FAILURE
    finally:
        if logs is not None:
            logs.close()
    for line in result.input_errors:
        print(line, file=sys.stderr)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        print_summary(result)
    if result.input_errors:
        # Part of the input could not be read, so the run did not do all it was asked.
        print(_("marctl replay: {count} input error(s); fix the files named above and replay them again").format(
            count=len(result.input_errors)), file=sys.stderr)
        return EXIT_FAILURE
    if result.failed:
        return EXIT_RECIPIENT_FAILURES
    return EXIT_OK


def print_summary(result) -> None:
    """Print the per-recipient table, the verdict notes and the counters."""
    from mar_runner.engine.reasons import REASONS

    if not result.enabled:
        print(_("Remediation is turned off in the settings (mar_settings.enabled is false)."))
        print(_("Nothing was done."))
        return
    if result.dry_run:
        print(_("Dry run: no mailbox was changed."))
    rows = [[_("Recipient"), _("Action"), _("Status"), _("Reason"), _("Profile"), _("Copies"), "MID"]]
    for outcome in result.outcomes:
        rows.append([
            outcome.recipient,
            outcome.action or "-",
            _status_text(outcome),
            outcome.reason or "-",
            outcome.profile or (",".join(outcome.profiles_tried) or "-"),
            str(outcome.copies),
            ",".join(outcome.mids) or "-",
        ])
    if len(rows) > 1:
        widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for note in result.verdict_outcomes:
        print(_("No delivered message found for SHA-256 {sha256}.").format(sha256=note["sha256"]))
    for notice in result.notices:
        print(_("Warning: clean verdict for SHA-256 {sha256}, which was remediated for {count} recipients; "
                "nothing was deleted.").format(sha256=notice["sha256"], count=len(notice["recipients"])))
    reasons_seen = sorted({outcome.reason for outcome in result.outcomes if outcome.reason})
    for code in reasons_seen:
        reason = REASONS.get(code)
        if reason is not None:
            rendered = reason.render()
            print(f"{code}: {rendered['text']} {rendered['fix']}")
    counters = result.counters
    print(_("Recipients: {recipients}, succeeded: {success}, failed: {failed}, skipped: {skipped}, "
            "in progress: {in_progress}, already done: {unchanged}").format(**counters))
    print(_("Deleted: {deleted}, forwarded: {forwarded}, forwarded and deleted: {forwarded_and_deleted}").format(**counters))
    if counters["recipients"] and counters["unchanged"] == counters["recipients"]:
        print(_("Nothing changed: every recipient already had a final outcome."))


def _status_text(outcome) -> str:
    if outcome.replayed:
        return _("{status} (already done)").format(status=outcome.status)
    if outcome.dry_run and outcome.status == "success":
        return _("would succeed")
    return outcome.status


def run_test_connection(args) -> int:
    """Run ``marctl test-connection`` and return its exit status."""
    from mar_runner.engine import ConfigurationMissing
    from mar_runner.engine.connection import MissingAddress, UnknownProfile, test_connection

    try:
        result = test_connection(resolve_state_dir(args.state_dir), args.profile, args.address, timeout=args.timeout)
    except (ConfigurationMissing, UnknownProfile, MissingAddress) as error:
        print(_("marctl test-connection: {error}").format(error=error), file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, sort_keys=True, ensure_ascii=False))
    elif result.ok:
        print(_("Profile {profile} reached {address}: connection succeeded.").format(
            profile=result.profile, address=result.address))
    else:
        print(_("Profile {profile} could not reach {address}.").format(profile=result.profile, address=result.address))
        print(_("Message: {message}").format(message=result.message))
        if result.server_message:
            print(_("Server: {server_message}").format(server_message=result.server_message))
        print(_("Cause: {cause}").format(cause=result.cause))
        print(_("Fix: {fix}").format(fix=result.fix))
        print(_("Reason: {reason}").format(reason=result.reason))
    return EXIT_OK if result.ok else EXIT_FAILURE
