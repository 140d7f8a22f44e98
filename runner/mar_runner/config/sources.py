"""Reading the configuration for ``marctl validate``: standalone files or an inventory folder.

Standalone files are parsed with the position-keeping loader. An inventory
folder is read through Ansible's own InventoryManager, VariableManager and
DataLoader, which treat inventory files as trusted templates as in a playbook
run. Every variable file is also parsed with the position-keeping loader, so
the YAML traps are caught, and each variable maps back to its file through
the origin Ansible records for it.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mar_runner.config.issues import WARNING, Issue
from mar_runner.config.positions import LoadedFile, VaultValue, load_yaml_file, load_yaml_text
from mar_runner.config.validate import CONFIG_VARS, SourceMap
from mar_runner.config.vault import activate, decrypt, load_secrets
from mar_runner.i18n import _

LEGACY_VAR = "mar_legacy_office365"
KNOWN_VARS = CONFIG_VARS + (LEGACY_VAR,)
VAR_FILE_SUFFIXES = ("", ".yml", ".yaml", ".json")
VAULT_HEADER = "$ANSIBLE_VAULT"


class UsageError(ValueError):
    """The command line names something that does not exist (exit 2)."""


@dataclass
class Loaded:
    """The configuration read from the paths, where each variable came from, and load issues."""

    config: dict = field(default_factory=dict)
    source: SourceMap = field(default_factory=SourceMap)
    issues: list[Issue] = field(default_factory=list)
    host: str | None = None
    files: list[str] = field(default_factory=list)


def _vault_warning(path: str, line: int) -> Issue:
    return Issue(
        _("vault-encrypted value not checked: give a vault password to check it"),
        "",
        path,
        line,
        0,
        severity=WARNING,
    )


class _Collector:
    """Collects variables of several files with their origin, and builds the SourceMap."""

    def __init__(self, secrets: list) -> None:
        self.secrets = secrets
        self.loaded = Loaded()
        self.var_files: dict[str, LoadedFile] = {}
        self.by_path: dict[str, LoadedFile] = {}

    def parse(self, path: str) -> LoadedFile:
        if _is_vault_file(path):
            text = Path(path).read_text(encoding="utf-8", errors="replace")
            if not self.secrets:
                loaded = LoadedFile(path)
                loaded.issues.append(_vault_warning(path, 1))
            else:
                try:
                    loaded = load_yaml_text(decrypt(text, self.secrets), path)
                except Exception:  # noqa: BLE001 - AnsibleError or a decoding error
                    loaded = LoadedFile(path)
                    loaded.issues.append(
                        Issue(
                            _("cannot decrypt this vault file with the given vault passwords"),
                            _("give the right vault password file or --vault-id"),
                            path,
                            1,
                            1,
                        )
                    )
        else:
            loaded = load_yaml_file(path)
        self.by_path[os.path.realpath(path)] = loaded
        self.loaded.issues.extend(loaded.issues)
        self.loaded.issues.extend(_misspelled_variables(loaded))
        self.loaded.files.append(path)
        return loaded

    def decrypt_values(self, loaded: LoadedFile) -> None:
        """Replace ``!vault`` values by their plaintext, or warn once per value when no password is given."""
        for path in loaded.vault_paths:
            value = _get(loaded.data, path)
            if not isinstance(value, VaultValue):
                continue
            if not self.secrets:
                self.loaded.issues.append(_vault_warning(loaded.path, value.line))
                continue
            try:
                _set(loaded.data, path, decrypt(value.ciphertext, self.secrets))
            except Exception:  # noqa: BLE001
                self.loaded.issues.append(
                    Issue(
                        _("cannot decrypt this vault value with the given vault passwords"),
                        _("give the right vault password file or --vault-id"),
                        loaded.path,
                        value.line,
                        value.column,
                    )
                )

    def locate(self, path: tuple) -> tuple[str, int, int]:
        loaded = self.var_files.get(path[0]) if path else None
        if loaded is None:
            return ("", 0, 0)
        line, column = loaded.position(path)
        return (loaded.path, line, column)

    def yaml11(self, path: tuple) -> str | None:
        loaded = self.var_files.get(path[0]) if path else None
        return loaded.yaml11_bools.get(path) if loaded else None

    def finish(self) -> Loaded:
        self.loaded.source.locate = self.locate
        self.loaded.source.yaml11 = self.yaml11
        return self.loaded


def _misspelled_variables(loaded: LoadedFile) -> list[Issue]:
    """Warn about top-level variables that look like a misspelt configuration variable.

    A misspelt variable is otherwise ignored, and the objects it declares
    silently go missing. Only close matches are reported, because roles
    define other ``mar_`` variables.
    """
    if not isinstance(loaded.data, dict):
        return []
    issues = []
    for name in loaded.data:
        if not isinstance(name, str) or name in KNOWN_VARS:
            continue
        close = difflib.get_close_matches(name, KNOWN_VARS, n=1, cutoff=0.85)
        if close:
            line, column = loaded.key_positions.get((name,), (1, 1))
            issues.append(
                Issue(
                    _("unknown variable '{name}' is not part of the configuration").format(name=name),
                    _("did you mean {known}?").format(known=close[0]),
                    loaded.path,
                    line,
                    column,
                    severity=WARNING,
                )
            )
    return issues


def _is_vault_file(path: str) -> bool:
    """Tell whether a file is a whole-file vault (it starts with the vault header)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(VAULT_HEADER)) == VAULT_HEADER.encode()
    except OSError:
        return False


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _walk(value: Any, path: tuple = ()):
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, path + (index,))


def load_paths(
    paths: list[str],
    *,
    host: str | None = None,
    password_files: list[str] | None = None,
    vault_ids: list[str] | None = None,
) -> Loaded:
    """Read the configuration from standalone files and/or one inventory folder.

    Raises UsageError for a missing path or an unknown host, VaultSetupError
    for an unusable vault password file.
    """
    for path in paths:
        if not os.path.exists(path):
            raise UsageError(_("{path} does not exist; give a YAML file or an inventory folder").format(path=path))
    secrets = load_secrets(password_files, vault_ids)
    collector = _Collector(secrets)
    for path in paths:
        if os.path.isdir(path):
            from mar_runner.config.inventory import read_inventory

            read_inventory(collector, path, host)
        else:
            _read_standalone(collector, path)
    return collector.finish()


def _read_standalone(collector: _Collector, path: str) -> None:
    loaded = collector.parse(path)
    if loaded.data is None:
        return
    if not isinstance(loaded.data, dict):
        collector.loaded.issues.append(
            Issue(
                _("the top level must be a mapping of variables such as mar_settings"),
                _("write the variables at the top level of the file"),
                path,
                1,
                1,
            )
        )
        return
    collector.decrypt_values(loaded)
    variables = loaded.data
    for var in KNOWN_VARS:
        if var in variables:
            collector.loaded.config[var] = variables[var]
            collector.var_files[var] = loaded
    _template_standalone(collector, variables)


def _template_standalone(collector: _Collector, variables: dict) -> None:
    """Resolve Jinja expressions such as ``{{ vault_x }}`` against the file's own top-level variables."""
    config = collector.loaded.config
    templates = [
        (path, value)
        for var in list(config)
        for path, value in _walk(config[var], (var,))
        if isinstance(value, str) and ("{{" in value or "{%" in value)
    ]
    vault_paths = {p for p, v in _walk(config) if isinstance(v, VaultValue)}
    collector.loaded.source.unchecked.update(vault_paths)
    if not templates:
        return
    from mar_runner.config.templating import render

    # Templating cannot store a VaultValue; its marker text makes render() report "vault".
    variables = _vault_as_marker(variables)
    for path, text in templates:
        result, problem = render(text, variables)
        if problem is None:
            _set(config, path, result)
            continue
        collector.loaded.source.unchecked.add(path)
        if problem != "vault":
            file, line, column = collector.locate(path)
            collector.loaded.issues.append(
                Issue(
                    _("cannot resolve template {text}: {error}").format(text=text, error=problem),
                    _("define the variable it uses or correct the expression"),
                    file,
                    line,
                    column,
                )
            )


def _vault_as_marker(value: Any) -> Any:
    if isinstance(value, VaultValue):
        return str(value)
    if isinstance(value, dict):
        return {key: _vault_as_marker(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_vault_as_marker(item) for item in value]
    return value


def copy_without_encrypted_files(inventory: str) -> str:
    """Copy an inventory leaving out whole-file vaults, for reading it without a vault password."""
    target = tempfile.mkdtemp(prefix="marctl-inventory-")

    def ignore(directory: str, names: list[str]) -> list[str]:
        skipped = []
        for name in names:
            full = os.path.join(directory, name)
            if os.path.isfile(full):
                with open(full, "rb") as handle:
                    if handle.read(len(VAULT_HEADER)) == VAULT_HEADER.encode():
                        skipped.append(name)
        return skipped

    shutil.copytree(inventory, os.path.join(target, "inventory"), ignore=ignore)
    return os.path.join(target, "inventory")


__all__ = ["Loaded", "UsageError", "activate", "load_paths"]
