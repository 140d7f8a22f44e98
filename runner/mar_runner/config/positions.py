"""YAML loading that keeps the line and column of every value and rejects the YAML traps.

The traps are inputs that YAML 1.1 (PyYAML, Ansible) reads as something other
than what the author meant. Duplicate keys: the last one silently wins.
``no``/``off``/``yes`` become booleans, ``*.example.com`` an alias, and
``010`` octal 8. A plain scalar starting with ``@`` (a reserved indicator)
is a syntax error. ``!vault`` values are kept as :class:`VaultValue` so the caller
decrypts them or reports them as unchecked; ciphertext never becomes a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from mar_runner.config.issues import Issue
from mar_runner.i18n import _

try:  # libyaml keeps the marks too and is several times faster
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

Path = tuple  # a path into the loaded data: keys and list indexes

_YAML12_BOOLS = {"true", "false", "True", "False", "TRUE", "FALSE"}
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
VAULT_TAG = "!vault"
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class VaultValue:
    """A ``!vault`` value that was not decrypted: only its position is used, never its text."""

    ciphertext: str = field(repr=False)
    line: int
    column: int

    def __str__(self) -> str:  # keeps ciphertext out of any formatted message
        return "<vault-encrypted>"


@dataclass
class LoadedFile:
    """A parsed YAML file: its data, the position of every value and the traps found."""

    path: str
    data: Any = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    yaml11_bools: dict[Path, str] = field(default_factory=dict)
    vault_paths: list[Path] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def position(self, path: Path) -> tuple[int, int]:
        """Return the line and column of ``path``, or of its nearest located parent."""
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (1, 1)
            path = path[:-1]


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    pass


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, loaded: LoadedFile, loader: _Loader) -> None:
        self.loaded = loaded
        self.loader = loader

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.loaded.positions[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (index,)) for index, child in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        result: dict = {}
        first_line: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.update(self._merge_source(value_node, path))
                continue
            key = self.loader.construct_object(key_node, deep=True) if isinstance(
                key_node, yaml.ScalarNode
            ) else str(key_node.value)
            try:
                hash(key)
            except TypeError:
                key = str(key)
            line, column = _mark(key_node)
            if key in first_line:
                self.loaded.issues.append(
                    Issue(
                        _("duplicate key '{key}' (first on line {first}, again on line {again})").format(
                            key=key, first=first_line[key], again=line
                        ),
                        _("keep one of them: YAML would silently use the last"),
                        self.loaded.path,
                        line,
                        column,
                    )
                )
                continue
            first_line[key] = line
            self.loaded.key_positions[path + (key,)] = (line, column)
            result[key] = self.build(value_node, path + (key,))
        # Keys written in the mapping win over merged ones, as in YAML's merge key.
        return {**merged, **result}

    def _merge_source(self, node: yaml.Node, path: Path) -> dict:
        """Return the mapping(s) a ``<<`` merge key names, earlier ones winning as YAML specifies."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict = {}
        for source in reversed(sources):
            if isinstance(source, yaml.MappingNode):
                merged.update(self._mapping(source, path))
        return merged

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        line, column = _mark(node)
        if node.tag == VAULT_TAG:
            self.loaded.vault_paths.append(path)
            return VaultValue(node.value, line, column)
        if node.tag.startswith("!"):
            # Ansible's !unsafe: a string that is never templated.
            return node.value
        if node.tag == _STR_TAG:
            value = node.value  # the common case, without the constructor's overhead
        else:
            value = self.loader.construct_object(node, deep=True)
        if not node.style:  # plain scalar (libyaml reports '' and PyYAML None)
            text = node.value
            if isinstance(value, bool) and text not in _YAML12_BOOLS:
                self.loaded.yaml11_bools[path] = text
            if _LEADING_ZERO.match(text):
                self.loaded.issues.append(
                    Issue(
                        _("number {text} has a leading zero, which YAML reads as octal or as a string").format(
                            text=text
                        ),
                        _("write it without the leading zero, or quote it if it is text"),
                        self.loaded.path,
                        line,
                        column,
                    )
                )
        return value


def _syntax_issue(path: str, text: str, error: yaml.YAMLError) -> Issue:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(error, "problem", None) or str(error)
    context_mark = getattr(error, "context_mark", None)
    start = context_mark or mark
    char_at = ""
    if start is not None and start.index is not None and start.index < len(text):
        char_at = text[start.index]
        if char_at in "*@":
            line, column = start.line + 1, start.column + 1
    if char_at == "*" or "undefined alias" in problem:
        return Issue(
            _("unquoted value starting with '*' is read as a YAML alias"),
            _("quote it, for example '*.example.com' (wildcard domains are not supported: list each domain)"),
            path,
            line,
            column,
        )
    if char_at == "@" or "'@'" in problem:
        return Issue(
            _("a plain value cannot start with '@' in YAML"),
            _("quote it, for example '@example.com'"),
            path,
            line,
            column,
        )
    return Issue(
        _("invalid YAML: {problem}").format(problem=problem),
        _("fix the syntax at this position"),
        path,
        line,
        column,
    )


def load_yaml_text(text: str, path: str) -> LoadedFile:
    """Parse YAML ``text`` read from ``path`` (a label used in the issues)."""
    loaded = LoadedFile(path)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        loaded.issues.append(_syntax_issue(path, text, error))
        return loaded
    finally:
        loader.dispose()
    if node is None:
        loaded.data = {}
        return loaded
    builder = _Builder(loaded, _Loader(""))
    try:
        loaded.data = builder.build(node, ())
    except yaml.YAMLError as error:
        loaded.issues.append(_syntax_issue(path, text, error))
    return loaded


def load_yaml_file(path: str) -> LoadedFile:
    """Read and parse one YAML file; an unreadable file is reported as an issue."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        loaded = LoadedFile(path)
        loaded.issues.append(
            Issue(
                _("cannot read the file: {error}").format(error=error.strerror if isinstance(error, OSError) else error),
                _("check the path and that the file is UTF-8 text"),
                path,
            )
        )
        return loaded
    return load_yaml_text(text, path)
