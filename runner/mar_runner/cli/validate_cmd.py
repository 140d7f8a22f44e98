"""``marctl validate PATH...``: check configuration files or an inventory folder."""

from __future__ import annotations

import argparse
import json
import sys

from mar_runner.config.issues import ERROR, WARNING, Issue
from mar_runner.config.migrate import LEGACY_VAR
from mar_runner.config.sources import Loaded, UsageError, load_paths
from mar_runner.config.validate import CONFIG_VARS, validate_config
from mar_runner.config.vault import VaultSetupError
from mar_runner.i18n import _

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Add PATH... and the host and vault options shared by validate and config."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="YAML file(s) or one inventory folder")
    parser.add_argument("--host", help="inventory host whose variables are checked (default: the first host)")
    parser.add_argument(
        "--vault-password-file", action="append", default=[], metavar="FILE", help="file holding a vault password (repeatable)"
    )
    parser.add_argument(
        "--vault-id", action="append", default=[], metavar="[LABEL@]FILE", help="vault identity and password file (repeatable)"
    )


def register(subparsers) -> None:
    """Add ``validate`` to marctl."""
    parser = subparsers.add_parser(
        "validate",
        help="check configuration files or an inventory folder",
        description="Check the declared configuration against the JSON Schemas and the cross-object rules. "
        "Exit 0 when valid, 1 when invalid, 2 on a usage error.",
    )
    add_source_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--strict", action="store_true", help="treat warnings (such as unchecked vault values) as errors")
    parser.set_defaults(func=run)


def load_and_validate(args: argparse.Namespace) -> tuple[Loaded, list[Issue]]:
    """Load the paths of ``args`` and return what was read and every issue, sorted by position.

    Raises UsageError or VaultSetupError for exit 2.
    """
    loaded = load_paths(args.paths, host=args.host, password_files=args.vault_password_file, vault_ids=args.vault_id)
    issues = list(loaded.issues)
    if not any(var in loaded.config for var in CONFIG_VARS + (LEGACY_VAR,)) and not any(
        i.severity == ERROR for i in issues
    ):
        issues.append(
            Issue(
                _("no configuration variables found in {paths}").format(paths=", ".join(args.paths)),
                _("declare mar_settings, mar_account_profiles, mar_chained_profiles, mar_domain_mappings and mar_policies"),
            )
        )
    if LEGACY_VAR in loaded.config:
        file, line, column = loaded.source.locate((LEGACY_VAR,))
        issues.append(
            Issue(
                _("mar_legacy_office365 is the configuration of appliance releases before 13.0"),
                _("run marctl config migrate to turn it into an account profile mapped to ALL"),
                file,
                line,
                column,
                severity=WARNING,
            )
        )
    issues.extend(validate_config(loaded.config, loaded.source))
    issues.sort(key=lambda issue: (issue.file, issue.line, issue.column))
    return loaded, issues


def run(args: argparse.Namespace) -> int:
    """Validate and print every issue; return the exit code."""
    try:
        loaded, issues = load_and_validate(args)
    except (UsageError, VaultSetupError) as error:
        print(_("marctl validate: {error}").format(error=error), file=sys.stderr)
        return EXIT_USAGE

    errors = [i for i in issues if i.severity == ERROR]
    warnings = [i for i in issues if i.severity == WARNING]
    failed = bool(errors) or (args.strict and bool(warnings))

    if args.format == "json":
        print(
            json.dumps(
                {
                    "valid": not failed,
                    "host": loaded.host,
                    "errors": [i.as_dict() for i in errors],
                    "warnings": [i.as_dict() for i in warnings],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_INVALID if failed else EXIT_OK

    for issue in issues:
        print(issue.format())
    where = ", ".join(args.paths)
    if loaded.host:
        where = _("{paths} (host {host})").format(paths=where, host=loaded.host)
    if failed:
        print(_("{where}: invalid, {errors} error(s), {warnings} warning(s)").format(where=where, errors=len(errors), warnings=len(warnings)), file=sys.stderr)
        return EXIT_INVALID
    print(_("{where}: valid, {warnings} warning(s)").format(where=where, warnings=len(warnings)), file=sys.stderr)
    return EXIT_OK
