"""Reading the configuration of one host from an inventory folder through Ansible's libraries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ansible._internal._datatag._tags import Origin
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.vars.manager import VariableManager

from mar_runner.config.issues import Issue
from mar_runner.config.positions import VaultValue
from mar_runner.config.sources import (
    KNOWN_VARS,
    VAR_FILE_SUFFIXES,
    VAULT_HEADER,
    UsageError,
    _Collector,
    _set,
    _walk,
    copy_without_encrypted_files,
)
from mar_runner.config.templating import _is_vault_error, to_native
from mar_runner.config.vault import activate
from mar_runner.i18n import _


def var_files(inventory: str) -> list[str]:
    """Return the group_vars and host_vars files of an inventory folder, sorted."""
    found: list[str] = []
    for top in ("group_vars", "host_vars"):
        root = Path(inventory, top)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and path.suffix in VAR_FILE_SUFFIXES:
                found.append(str(path))
    return found


# Folders of an inventory that hold demo material (certificates, seed, logs), not inventory sources.
NOT_INVENTORY_DIRS = ("sandbox",)


def inventory_sources(inventory: str) -> list[str]:
    """Return the entries of an inventory folder that Ansible would parse as inventory sources.

    Ansible's own rules apply (hidden files, group_vars, host_vars and the
    ignored extensions are skipped); the ``sandbox`` folder is skipped too,
    because it contains demo certificates and logs that no inventory plugin reads.
    """
    from ansible.inventory.manager import IGNORED

    sources = []
    for name in sorted(os.listdir(inventory)):
        if name in NOT_INVENTORY_DIRS or IGNORED.search(name.encode()):
            continue
        sources.append(os.path.join(inventory, name))
    return sources or [inventory]


def _is_whole_file_vault(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(VAULT_HEADER)) == VAULT_HEADER.encode()


def _choose_host(inventory: InventoryManager, host: str | None):
    if host:
        found = inventory.get_host(host)
        if found is None:
            names = ", ".join(sorted(h.name for h in inventory.get_hosts())) or "-"
            raise UsageError(_("host '{host}' is not in the inventory (hosts: {names})").format(host=host, names=names))
        return found
    hosts = sorted(inventory.get_hosts(), key=lambda h: h.name)
    return hosts[0] if hosts else inventory.get_host("localhost")


def read_inventory(collector: _Collector, inventory_path: str, host: str | None) -> None:
    """Add the five variables as Ansible resolves them for ``host`` (default: the first host)."""
    parsed = {}
    encrypted_skipped = False
    for path in var_files(inventory_path):
        loaded = collector.parse(path)
        if loaded.data is not None:
            collector.decrypt_values(loaded)
        parsed[os.path.relpath(path, inventory_path)] = loaded
        if _is_whole_file_vault(path) and not collector.secrets:
            encrypted_skipped = True
    if any(issue.severity == "error" for issue in collector.loaded.issues):
        return  # a file Ansible would misread: report the traps, not Ansible's reading of them

    source_root = copy_without_encrypted_files(inventory_path) if encrypted_skipped else inventory_path
    try:
        _read_with_ansible(collector, inventory_path, source_root, host, parsed)
    finally:
        if source_root != inventory_path:
            shutil.rmtree(os.path.dirname(source_root), ignore_errors=True)


def _read_with_ansible(collector: _Collector, inventory_path: str, source_root: str, host: str | None, parsed: dict) -> None:
    loader = DataLoader()
    loader.set_vault_secrets(collector.secrets)
    activate(collector.secrets)
    try:
        inventory = InventoryManager(loader=loader, sources=inventory_sources(source_root))
        chosen = _choose_host(inventory, host)
        variables = VariableManager(loader=loader, inventory=inventory).get_vars(host=chosen, include_hostvars=False)
    except AnsibleError as error:
        collector.loaded.issues.append(
            Issue(
                _("Ansible cannot read the inventory: {error}").format(error=error.message),
                _("fix the inventory file it names"),
                inventory_path,
            )
        )
        return
    collector.loaded.host = chosen.name
    templar = Templar(loader=loader, variables=variables)
    for var in KNOWN_VARS:
        if var not in variables:
            continue
        raw = variables[var]
        origin = Origin.get_tag(raw)
        if origin and origin.path:
            relative = os.path.relpath(os.path.realpath(origin.path), os.path.realpath(source_root))
            if relative in parsed:
                collector.var_files[var] = parsed[relative]
        collector.loaded.config[var] = _render_variable(collector, templar, var, raw)


def _render_variable(collector: _Collector, templar: Templar, var: str, raw: Any) -> Any:
    try:
        return to_native(templar.template(raw))
    except AnsibleError:
        pass  # find the values that fail, one by one, to place each error
    value = to_native_shallow(raw)
    for path, leaf in list(_walk(raw, (var,))):
        if isinstance(leaf, (dict, list)):
            continue
        try:
            rendered = to_native(templar.template(leaf))
        except AnsibleError as error:
            _set_in(value, path[1:], VaultValue("", 0, 0))
            collector.loaded.source.unchecked.add(path)  # reported once here, not again by the rules
            if not _is_vault_error(error):
                file, line, column = collector.locate(path)
                collector.loaded.issues.append(
                    Issue(
                        _("cannot resolve template {text}: {error}").format(text=str(leaf), error=error.message),
                        _("define the variable it uses or correct the expression"),
                        file,
                        line,
                        column,
                    )
                )
            continue
        _set_in(value, path[1:], rendered)
    return value


def to_native_shallow(raw: Any) -> Any:
    """Copy the containers of ``raw`` (leaves are replaced one by one afterwards)."""
    if isinstance(raw, dict):
        return {str(k): to_native_shallow(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [to_native_shallow(v) for v in raw]
    return None


def _set_in(value: Any, path: tuple, leaf: Any) -> None:
    if not path:
        return
    _set(value, path, leaf)
