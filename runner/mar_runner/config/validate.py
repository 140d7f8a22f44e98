"""Validation of a loaded configuration: JSON Schema per object, then the cross-object rules.

The Ansible modules call ``validate_config(config)`` with their arguments.
``marctl validate`` also passes a :class:`SourceMap`, which places every
issue at its file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from mar_runner.config import rules, schema
from mar_runner.config.issues import ERROR, Issue
from mar_runner.i18n import _

CONFIG_VARS = (
    "mar_settings",
    "mar_account_profiles",
    "mar_chained_profiles",
    "mar_domain_mappings",
    "mar_policies",
)
LIST_VARS = CONFIG_VARS[1:]
MAX_CHAINS = 5

_ITEM_SCHEMAS = {
    "mar_chained_profiles": "chained-profile.schema.json",
    "mar_domain_mappings": "domain-mapping.schema.json",
    "mar_policies": "policy.schema.json",
}


def _nowhere(path: tuple) -> tuple[str, int, int]:
    return ("", 0, 0)


def _no_yaml11(path: tuple) -> str | None:
    return None


@dataclass
class SourceMap:
    """Where the values of a configuration came from.

    ``locate(path)`` returns (file, line, column) of a path such as
    ``("mar_account_profiles", 0, "client_id")``; ``yaml11(path)`` returns the
    source text when a plain ``yes``/``no``/``on``/``off`` became a boolean
    there; ``unchecked`` contains the paths of vault values that were not
    decrypted, which are left out of every check.
    """

    locate: Callable[[tuple], tuple[str, int, int]] = _nowhere
    yaml11: Callable[[tuple], str | None] = _no_yaml11
    unchecked: set[tuple] = field(default_factory=set)


def _is_unchecked(path: tuple, unchecked: set[tuple]) -> bool:
    return any(path[: len(prefix)] == prefix for prefix in unchecked) if unchecked else False


def _schema_findings(config: dict) -> list[tuple[tuple, str, str, str, Any]]:
    """Return (path, object, rule, fix, value) for every schema error of every object."""
    found: list[tuple[tuple, str, str, str, Any]] = []
    settings = config.get("mar_settings")
    if settings is not None:
        if isinstance(settings, dict):
            for path, rule, fix, value in schema.iter_schema_errors("settings.schema.json", "", settings, "mar_settings"):
                found.append((("mar_settings",) + path, "mar_settings", rule, fix, value))
        else:
            found.append(_not_a(("mar_settings",), "mar_settings", "mapping", settings))
    for var in LIST_VARS:
        value = config.get(var)
        if value is None:
            continue
        if not isinstance(value, list):
            found.append(_not_a((var,), var, "list", value))
            continue
        if var == "mar_chained_profiles" and len(value) > MAX_CHAINS:
            found.append(
                (
                    (var, MAX_CHAINS),
                    var,
                    _("{count} chained profiles are declared, more than 5").format(count=len(value)),
                    _("keep at most 5 chained profiles"),
                    value,
                )
            )
        for index, item in enumerate(value):
            label = rules.object_label(config, var, index)
            if not isinstance(item, dict):
                found.append(_not_a((var, index), label, "mapping", item))
                continue
            for path, rule, fix, offending in _item_errors(var, item, label):
                found.append(((var, index) + path, label, rule, fix, offending))
    return found


def _not_a(path: tuple, label: str, expected: str, value: Any) -> tuple[tuple, str, str, str, Any]:
    return (
        path,
        label,
        _("'{field}' must be of type {expected}, not {actual}").format(
            field=path[0], expected=expected, actual=schema._type_name(value)
        ),
        _("write a {expected} value").format(expected=expected),
        value,
    )


def _item_errors(var: str, item: dict, label: str):
    if var == "mar_domain_mappings":
        yield from _mapping_errors(item, label)
        return
    if var != "mar_account_profiles":
        yield from schema.iter_schema_errors(_ITEM_SCHEMAS[var], "", item, label)
        return
    kind = item.get("type")
    if kind not in ("graph", "ews"):
        if "type" not in item:
            yield (), _("missing required field 'type'"), _("add type: graph (Exchange Online) or type: ews (Exchange on-premises)"), item
        else:
            yield ("type",), _("'type' is '{value}', not one of the allowed values").format(value=kind), _("use one of: graph, ews"), kind
        return
    yield from schema.iter_schema_errors("account-profile.schema.json", f"#/$defs/{kind}", item, label)


def _mapping_errors(item: dict, label: str):
    """Schema errors of a domain mapping; the domain items are checked here, not by jsonschema.

    A mapping may list thousands of domains, and jsonschema's per-item
    descent costs about 0.1 ms each. The item rule (a non-empty string) is
    simple, so it is applied here with the same messages.
    """
    domains = item.get("domains")
    if isinstance(domains, list) and domains:
        head = dict(item, domains=domains[:1])
        yield from schema.iter_schema_errors(_ITEM_SCHEMAS["mar_domain_mappings"], "", head, label)
        for index, domain in enumerate(domains[1:], start=1):
            if not isinstance(domain, str):
                yield (
                    ("domains", index),
                    _("'{field}' must be of type {expected}, not {actual}").format(
                        field="domains", expected="string", actual=schema._type_name(domain)
                    ),
                    _("write a {expected} value").format(expected="string"),
                    domain,
                )
            elif not domain:
                yield ("domains", index), _("'{field}' is empty").format(field="domains"), _("give a value"), domain
        return
    yield from schema.iter_schema_errors(_ITEM_SCHEMAS["mar_domain_mappings"], "", item, label)


def _yaml11_rule(path: tuple, text: str) -> tuple[str, str]:
    field_name = next((part for part in reversed(path) if isinstance(part, str)), path[0])
    return (
        _("'{field}' is the YAML 1.1 boolean {text}, not the text '{text}'").format(field=field_name, text=text),
        _("quote it: '{text}'").format(text=text),
    )


def validate_config(config: dict, source: SourceMap | None = None) -> list[Issue]:
    """Validate the five configuration variables of ``config`` and return every issue found.

    An empty list means valid. Issues are sorted by file, line and column.
    """
    source = source or SourceMap()
    issues: list[Issue] = []

    def add(path: tuple, label: str, rule: str, fix: str, severity: str = ERROR) -> None:
        file, line, column = source.locate(path)
        issues.append(Issue(rule, fix, file, line, column, label, severity))

    for path, label, rule, fix, value in _schema_findings(config):
        if _is_unchecked(path, source.unchecked):
            continue
        if isinstance(value, bool):
            text = source.yaml11(path)
            if text:
                rule, fix = _yaml11_rule(path, text)
        add(path, label, rule, fix)
    for finding in rules.check_all(config, source.locate, source.yaml11):
        if not _is_unchecked(finding.path, source.unchecked):
            add(finding.path, finding.object, finding.rule, finding.fix, finding.severity)
    issues.sort(key=lambda issue: (issue.file, issue.line, issue.column))
    return issues
