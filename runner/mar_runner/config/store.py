"""Applied configuration of one engine host: versioned snapshots in SQLite, secrets in 0600 files.

``ConfigStore(state_dir)`` plans and applies a declared configuration, either
whole (``plan``/``apply``, with ``purge``) or one object at a time
(``plan_object``/``apply_object``, for the Ansible modules). Planning and
applying share one function, so check mode reports exactly what a real run
would write. Nothing is written when the plan has no change.

Each snapshot row holds the config as JSON with every secret replaced by a
reference ``{"secret_file": NAME}``; the value lives in ``secrets/NAME``
(mode 0600). A changed secret gets a new file, the row is committed, and only
then are files no snapshot references any more removed, so a crash leaves
either the old or the new configuration, never a mix.
"""

from __future__ import annotations

import copy
import getpass
import json
import logging
import os
import secrets as _random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mar_runner import state
from mar_runner.config.defaults import COMPUTED_FIELDS, normalize_config, secret_paths
from mar_runner.config.diff import KINDS, config_diff, mask_config, object_key
from mar_runner.config.issues import Issue, has_errors
from mar_runner.config.validate import validate_config
from mar_runner.i18n import _

log = logging.getLogger("mar_runner.config")

SECRETS_DIR = "secrets"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cfg_snapshots (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    changes TEXT NOT NULL,
    config TEXT NOT NULL
)
"""


class InvalidConfigError(ValueError):
    """The declared configuration breaks a schema or cross-object rule; ``issues`` lists them all."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(issue.format() for issue in issues))


@dataclass
class Plan:
    """The outcome of planning or applying: whether anything changes, and what."""

    changed: bool
    diff: dict[str, Any]
    before: dict | None
    after: dict | None
    version: int | None = None
    warnings: list[Issue] = field(default_factory=list)


def _get(config: dict, path: tuple) -> Any:
    value: Any = config
    for part in path:
        value = value[part]
    return value


def _set(config: dict, path: tuple, value: Any) -> None:
    target: Any = config
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


class ConfigStore:
    """The configuration applied to one state directory."""

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.state_dir = Path(state_dir)

    # -- reading ---------------------------------------------------------

    def _connect(self, create: bool):
        conn = state.open_db(self.state_dir, create=create)
        conn.execute(_SCHEMA)
        return conn

    def _latest_row(self):
        if not (self.state_dir / state.DB_NAME).exists():
            return None
        conn = self._connect(create=False)
        try:
            return conn.execute("SELECT * FROM cfg_snapshots ORDER BY version DESC LIMIT 1").fetchone()
        finally:
            conn.close()

    def _stored(self) -> tuple[dict | None, dict, int | None]:
        """Return (config with secrets read back, {path: secret file name}, version)."""
        row = self._latest_row()
        if row is None:
            return None, {}, None
        config = json.loads(row["config"])
        files: dict[tuple, str] = {}
        for path in secret_paths(config):
            reference = _get(config, path)
            if isinstance(reference, dict) and "secret_file" in reference:
                files[path] = reference["secret_file"]
                _set(config, path, (self.state_dir / SECRETS_DIR / reference["secret_file"]).read_text(encoding="utf-8"))
        return config, files, row["version"]

    def current(self) -> dict | None:
        """Return the configuration last applied (defaults filled, secrets read back), or None."""
        return self._stored()[0]

    def version(self) -> int | None:
        """Return the number of the configuration last applied, or None."""
        row = self._latest_row()
        return row["version"] if row else None

    def history(self) -> list[dict]:
        """Return every snapshot's version, time, actor and changes (no config, no secrets)."""
        if not (self.state_dir / state.DB_NAME).exists():
            return []
        conn = self._connect(create=False)
        try:
            rows = conn.execute("SELECT version, applied_at, actor, changes FROM cfg_snapshots ORDER BY version").fetchall()
        finally:
            conn.close()
        return [
            {"version": r["version"], "applied_at": r["applied_at"], "actor": r["actor"], "changes": json.loads(r["changes"])}
            for r in rows
        ]

    # -- planning --------------------------------------------------------

    def _validated(self, declared: dict) -> tuple[dict, list[Issue]]:
        declared = _without_computed(declared)
        issues = validate_config(declared)
        if has_errors(issues):
            raise InvalidConfigError([i for i in issues if i.severity == "error"])
        return normalize_config(declared), issues

    def _plan(self, before: dict | None, declared: dict) -> tuple[Plan, dict]:
        after, warnings = self._validated(declared)
        diff = config_diff(before, after)
        plan = Plan(bool(diff), diff, mask_config(before), mask_config(after), warnings=warnings)
        return plan, after

    def plan(self, declared: dict, *, purge: bool = True) -> Plan:
        """Plan the whole declared config; without ``purge`` undeclared objects are kept."""
        before = self.current()
        return self._plan(before, self._merged(before, declared, purge))[0]

    def apply(self, declared: dict, *, actor: str | None = None, check_mode: bool = False, purge: bool = True) -> Plan:
        """Apply the whole declared config (see :meth:`plan`); writes only when something changed."""
        before, files, _version = self._stored()
        plan, after = self._plan(before, self._merged(before, declared, purge))
        if plan.changed and not check_mode:
            plan.version = self._write(after, before, files, plan.diff, actor)
        return plan

    def plan_object(self, kind: str, obj: dict, *, state: str = "present") -> Plan:
        """Plan one object: present (create or update by key) or absent (remove by key)."""
        before = self.current()
        return self._plan(before, self._with_object(before, kind, obj, state))[0]

    def apply_object(
        self, kind: str, obj: dict, *, state: str = "present", actor: str | None = None, check_mode: bool = False
    ) -> Plan:
        """Apply one object (see :meth:`plan_object`); the resulting whole config must be valid."""
        before, files, _version = self._stored()
        plan, after = self._plan(before, self._with_object(before, kind, obj, state))
        if plan.changed and not check_mode:
            plan.version = self._write(after, before, files, plan.diff, actor)
        return plan

    @staticmethod
    def _merged(before: dict | None, declared: dict, purge: bool) -> dict:
        if purge or before is None:
            return declared
        merged = copy.deepcopy(before)
        for var, key_field in KINDS.values():
            if var not in declared:
                continue
            if key_field is None:
                merged[var] = declared[var]
                continue
            existing = {object_key(var, o): o for o in merged[var]}
            for obj in declared[var] or []:
                existing[object_key(var, obj)] = obj
            merged[var] = list(existing.values())
        return merged

    @staticmethod
    def _with_object(before: dict | None, kind: str, obj: dict, state_: str) -> dict:
        if kind not in KINDS:
            raise ValueError(_("unknown object kind '{kind}': use one of {kinds}").format(kind=kind, kinds=", ".join(KINDS)))
        if state_ not in ("present", "absent"):
            raise ValueError(_("invalid state '{state}': use present or absent").format(state=state_))
        config = copy.deepcopy(before) if before else normalize_config({})
        var, key_field = KINDS[kind]
        if key_field is None:
            config[var] = obj if state_ == "present" else {}
            return config
        if not isinstance(obj.get(key_field), str):
            raise ValueError(_("a {kind} needs its key field '{field}'").format(kind=kind, field=key_field))
        key = obj[key_field]
        kept = [o for o in config[var] if object_key(var, o) != key]
        if state_ == "present":
            index = next((i for i, o in enumerate(config[var]) if object_key(var, o) == key), len(kept))
            kept.insert(index, obj)
        config[var] = kept
        return config

    # -- writing ---------------------------------------------------------

    def _write_secret(self, value: str) -> str:
        directory = self.state_dir / SECRETS_DIR
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = _random.token_hex(16)
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value)
            handle.flush()
            os.fsync(handle.fileno())
        return name

    def _write(self, after: dict, before: dict | None, old_files: dict, diff: dict, actor: str | None) -> int:
        state.ensure_state_dir(self.state_dir)
        stored = copy.deepcopy(after)
        old_by_value = {}
        if before is not None:
            for path, name in old_files.items():
                old_by_value[(path[0], _object_identity(before, path), path[-1], _get(before, path))] = name
        for path in secret_paths(stored):
            value = _get(stored, path)
            if value in (None, ""):
                continue
            reuse = old_by_value.get((path[0], _object_identity(after, path), path[-1], value))
            _set(stored, path, {"secret_file": reuse or self._write_secret(value)})
        conn = self._connect(create=True)
        try:
            # NOTE: the plan was computed before this transaction; two applies running at
            # once each write their own version, and the later one wins.
            conn.execute("BEGIN IMMEDIATE")
            cursor = conn.execute(
                "INSERT INTO cfg_snapshots (applied_at, actor, changes, config) VALUES (?, ?, ?, ?)",
                (
                    datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    actor or _default_actor(),
                    json.dumps(diff, sort_keys=True),
                    json.dumps(stored, sort_keys=True),
                ),
            )
            conn.execute("COMMIT")
            version = int(cursor.lastrowid)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
        self._remove_unreferenced(stored)
        log.info("applied configuration version %d (%s)", version, ", ".join(sorted(diff)))
        return version

    def _remove_unreferenced(self, stored: dict) -> None:
        referenced = {_get(stored, p)["secret_file"] for p in secret_paths(stored) if isinstance(_get(stored, p), dict)}
        directory = self.state_dir / SECRETS_DIR
        if not directory.is_dir():
            return
        for entry in directory.iterdir():
            if entry.name not in referenced:
                entry.unlink(missing_ok=True)


def _without_computed(config: dict) -> dict:
    """Drop the fields the store computes, so a stored config validates like a declared one."""
    profiles = config.get("mar_account_profiles")
    if not isinstance(profiles, list):
        return config
    result = dict(config)
    result["mar_account_profiles"] = [
        {k: v for k, v in p.items() if k not in COMPUTED_FIELDS} if isinstance(p, dict) else p for p in profiles
    ]
    return result


def _object_identity(config: dict, path: tuple) -> Any:
    if len(path) < 3 or not isinstance(path[1], int):
        return None
    return object_key(path[0], config[path[0]][path[1]])


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"

