"""``marctl config diff|apply|show|history|migrate``: the configuration applied to the state directory."""

from __future__ import annotations

import argparse
import functools
import json
import sqlite3
import sys

import yaml

from mar_runner.cli.validate_cmd import add_source_arguments, load_and_validate
from mar_runner.config.issues import ERROR
from mar_runner.config.migrate import MigrationError, dump, migrate
from mar_runner.config.positions import load_yaml_file
from mar_runner.config.sources import UsageError
from mar_runner.config.store import ConfigStore, InvalidConfigError, Plan
from mar_runner.config.vault import VaultSetupError
from mar_runner.i18n import _
from mar_runner.state import resolve_state_dir

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings (PEM) as literal blocks, so they read as in the inventory."""


def _str_representer(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def register(subparsers) -> None:
    """Add ``config`` and its subcommands to marctl."""
    parser = subparsers.add_parser("config", help="compare, apply and show the applied configuration")
    commands = parser.add_subparsers(dest="config_command", metavar="SUBCOMMAND")

    diff = commands.add_parser("diff", help="show what applying the declared configuration would change")
    add_source_arguments(diff)
    diff.add_argument("--keep-undeclared", action="store_true", help="keep applied objects the declaration does not list")
    diff.set_defaults(func=run_diff)

    apply = commands.add_parser("apply", help="validate the declared configuration and apply it")
    add_source_arguments(apply)
    apply.add_argument("--keep-undeclared", action="store_true", help="keep applied objects the declaration does not list")
    apply.add_argument("--check", action="store_true", help="show the change without writing it")
    apply.set_defaults(func=run_apply)

    show = commands.add_parser("show", help="print the applied configuration with secrets masked")
    show.add_argument("--format", choices=("yaml", "json"), default="yaml", help="output format (default: yaml)")
    show.set_defaults(func=run_show)

    history = commands.add_parser("history", help="list the applied versions: when, by whom, what changed")
    history.set_defaults(func=run_history)

    migration = commands.add_parser("migrate", help="turn mar_legacy_office365 into a profile mapped to ALL")
    migration.add_argument("path", metavar="FILE", help="YAML file that contains mar_legacy_office365")
    migration.set_defaults(func=run_migrate)

    parser.set_defaults(func=lambda args: (parser.print_help(sys.stderr), EXIT_USAGE)[1])


def _state_errors(command):
    """Turn an unusable state directory into a message and exit code 1 instead of a traceback."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (OSError, sqlite3.Error) as error:
            state_dir = resolve_state_dir(args.state_dir)
            print(
                _("cannot use the state directory {state_dir}: {error}; check that it exists and is writable").format(
                    state_dir=state_dir, error=error
                ),
                file=sys.stderr,
            )
            return EXIT_FAILURE

    return run


def _declared(args: argparse.Namespace) -> dict | None:
    """Load and validate; print the issues and return None when the config cannot be applied."""
    try:
        loaded, issues = load_and_validate(args)
    except (UsageError, VaultSetupError) as error:
        print(_("marctl config: {error}").format(error=error), file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    for issue in issues:
        print(issue.format(), file=sys.stderr)
    if any(issue.severity == ERROR for issue in issues):
        print(_("the configuration is invalid and was not applied"), file=sys.stderr)
        return None
    if loaded.source.unchecked:
        print(_("the configuration contains vault values that were not decrypted; give a vault password to apply it"), file=sys.stderr)
        return None
    return loaded.config


def _print_plan(plan: Plan) -> None:
    if not plan.changed:
        print(_("no change"))
        return
    print(_yaml(plan.diff), end="")


@_state_errors
def run_diff(args: argparse.Namespace) -> int:
    declared = _declared(args)
    if declared is None:
        return EXIT_FAILURE
    store = ConfigStore(resolve_state_dir(args.state_dir))
    try:
        _print_plan(store.plan(declared, purge=not args.keep_undeclared))
    except InvalidConfigError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


@_state_errors
def run_apply(args: argparse.Namespace) -> int:
    declared = _declared(args)
    if declared is None:
        return EXIT_FAILURE
    store = ConfigStore(resolve_state_dir(args.state_dir))
    try:
        plan = store.apply(declared, check_mode=args.check, purge=not args.keep_undeclared)
    except InvalidConfigError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILURE
    _print_plan(plan)
    if plan.changed and not args.check:
        print(_("applied as version {version} to {state_dir}").format(version=plan.version, state_dir=store.state_dir))
    elif plan.changed:
        print(_("check mode: nothing was written"))
    return EXIT_OK


@_state_errors
def run_show(args: argparse.Namespace) -> int:
    store = ConfigStore(resolve_state_dir(args.state_dir))
    plan_view = store.current()
    if plan_view is None:
        print(_("no configuration has been applied to {state_dir}; run marctl config apply").format(state_dir=store.state_dir), file=sys.stderr)
        return EXIT_FAILURE
    from mar_runner.config.diff import mask_config

    masked = mask_config(plan_view)
    if args.format == "json":
        print(json.dumps(masked, indent=2, ensure_ascii=False))
    else:
        print(_("# version {version} of {state_dir}").format(version=store.version(), state_dir=store.state_dir))
        print(_yaml(masked), end="")
    return EXIT_OK


@_state_errors
def run_history(args: argparse.Namespace) -> int:
    store = ConfigStore(resolve_state_dir(args.state_dir))
    for entry in store.history():
        kinds = ", ".join(sorted(entry["changes"])) or "-"
        print(f"{entry['version']}\t{entry['applied_at']}\t{entry['actor']}\t{kinds}")
    return EXIT_OK


def run_migrate(args: argparse.Namespace) -> int:
    loaded = load_yaml_file(args.path)
    if loaded.issues:
        for issue in loaded.issues:
            print(issue.format(), file=sys.stderr)
        return EXIT_FAILURE
    if not isinstance(loaded.data, dict):
        print(_("{path}: the top level must be a mapping of variables").format(path=args.path), file=sys.stderr)
        return EXIT_FAILURE
    try:
        variables, message = migrate(loaded.data)
    except MigrationError as error:
        print(_("{path}: {error}").format(path=args.path, error=error), file=sys.stderr)
        return EXIT_FAILURE
    print(message, file=sys.stderr)
    print(dump(variables), end="")
    return EXIT_OK
