"""Entry point of ``marctl``.

Each module listed in SUBCOMMAND_MODULES defines ``register(subparsers)``,
which adds its subcommands and sets ``func`` on each parser. ``func(args)``
returns the exit code: 0 success, 1 failure, 2 usage or configuration
error, 3 a replay that finished with failed recipients.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from mar_runner import __version__
from mar_runner.i18n import LANGUAGES, _, set_language

SUBCOMMAND_MODULES = (
    "mar_runner.cli.validate_cmd",
    "mar_runner.cli.config_cmd",
    "mar_runner.cli.sandbox_cmd",
    "mar_runner.cli.ingest_cmd",
    "mar_runner.cli.replay_cmd",
    "mar_runner.cli.report_cmd",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_RECIPIENT_FAILURES = 3


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that exits with 2 on a usage error, as every marctl command does."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with the global options and every registered subcommand."""
    parser = _Parser(
        prog="marctl",
        description="Mailbox auto remediation for Exchange Online and Exchange on-premises.",
    )
    parser.add_argument("--version", action="version", version=f"marctl {__version__}")
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="state directory of this engine host (default: $MAR_STATE_DIR or ~/.local/state/mar)",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="language of messages and reports (default: from the locale)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more detail (repeat for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run marctl with ``argv`` and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        set_language(args.lang)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(_("Interrupted."), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
