"""JSON Schema validation of each configuration object, with errors turned into plain rules and fixes.

The schema documents ship inside the package (``mar_runner/schemas``), so an
installed engine finds them. ``schemas/`` at the repository root contains the
same files for editors and CI, and a test keeps the two identical.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

import jsonschema
from referencing import Registry, Resource

from mar_runner.i18n import _

SCHEMA_FILES = (
    "settings.schema.json",
    "account-profile.schema.json",
    "chained-profile.schema.json",
    "domain-mapping.schema.json",
    "policy.schema.json",
    "config.schema.json",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Path = tuple


def load_schema(file_name: str) -> dict:
    """Return one schema document shipped with the package."""
    text = resources.files("mar_runner").joinpath("schemas", file_name).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _registry() -> Registry:
    resources_ = []
    for name in SCHEMA_FILES:
        schema = load_schema(name)
        resources_.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources_)


_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks("email")(lambda value: not isinstance(value, str) or bool(_EMAIL.match(value)))


def is_email(value: object) -> bool:
    """Tell whether ``value`` is one plain address such as ``soc@example.com``."""
    return isinstance(value, str) and bool(_EMAIL.match(value))


@lru_cache(maxsize=None)
def validator(file_name: str, pointer: str = "") -> jsonschema.Draft202012Validator:
    """Return a validator for a schema file, or for a ``#/$defs/...`` part of it."""
    base = load_schema(file_name)
    schema = {"$ref": base["$id"] + pointer} if pointer else base
    return jsonschema.Draft202012Validator(schema, registry=_registry(), format_checker=_FORMATS)


def _field(path: Path, fallback: str) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return fallback


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    if value is None:
        return "null"
    return type(value).__name__


def _expected(schema_type: Any) -> str:
    if isinstance(schema_type, list):
        schema_type = [t for t in schema_type if t != "null"][0]
    return {"object": "mapping", "array": "list"}.get(schema_type, schema_type)


def _required(error: jsonschema.ValidationError, path: Path, field: str) -> tuple[Path, str, str]:
    missing = re.search(r"'([^']+)' is a required property", error.message)
    name = missing.group(1) if missing else "?"
    if name == "forward_to" and isinstance(error.instance, dict):
        return (
            path,
            _("'forward_to' is required for action '{action}'").format(action=error.instance.get("action")),
            _("add forward_to with the address that receives the forwarded messages"),
        )
    return path, _("missing required field '{field}'").format(field=name), _("add '{field}'").format(field=name)


def _additional_properties(error: jsonschema.ValidationError, path: Path, field: str) -> tuple[Path, str, str]:
    allowed = sorted(error.schema.get("properties", {}))
    value = error.instance
    unknown = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
    name = unknown[0] if unknown else "?"
    return (
        path + (name,),
        _("unknown field '{field}'").format(field=name),
        _("remove it or correct the spelling; allowed fields: {allowed}").format(allowed=", ".join(allowed)),
    )


def _type(error: jsonschema.ValidationError, path: Path, field: str) -> tuple[Path, str, str]:
    expected = _expected(error.validator_value)
    return (
        path,
        _("'{field}' must be of type {expected}, not {actual}").format(
            field=field, expected=expected, actual=_type_name(error.instance)
        ),
        _("write a {expected} value").format(expected=expected),
    )


def _range(error: jsonschema.ValidationError, path: Path, field: str) -> tuple[Path, str, str]:
    low, high, value = error.schema.get("minimum"), error.schema.get("maximum"), error.instance
    if low is not None and high is not None:
        rule = _("'{field}' is {value}, outside {low}-{high}").format(field=field, value=value, low=low, high=high)
        return path, rule, _("use a value from {low} to {high}").format(low=low, high=high)
    if low is not None:
        rule = _("'{field}' is {value}, less than {low}").format(field=field, value=value, low=low)
        return path, rule, _("use a value of at least {low}").format(low=low)
    rule = _("'{field}' is {value}, more than {high}").format(field=field, value=value, high=high)
    return path, rule, _("use a value of at most {high}").format(high=high)


def _choice(error: jsonschema.ValidationError, path: Path, field: str) -> tuple[Path, str, str]:
    choices = error.validator_value if error.validator == "enum" else [error.validator_value]
    shown = ", ".join(str(choice) for choice in choices if choice is not None)
    return (
        path,
        _("'{field}' is '{value}', not one of the allowed values").format(field=field, value=error.instance),
        _("use one of: {choices}").format(choices=shown),
    )


def _pattern(error: jsonschema.ValidationError, path: Path, field: str) -> tuple[Path, str, str]:
    value = error.instance
    if field == "name":
        return (
            path,
            _("name '{value}' contains characters other than letters, digits, _, - and .").format(value=value),
            _("rename it using only letters, digits, _, - and ."),
        )
    if field in ("lookback", "interval"):
        return (
            path,
            _("'{field}' is '{value}', not a duration").format(field=field, value=value),
            _("write a positive integer followed by h or d, like 12h or 30d"),
        )
    if field in ("authority_url", "graph_url"):
        return (
            path,
            _("'{field}' is '{value}', not an https URL").format(field=field, value=value),
            _("write the base URL starting with https://"),
        )
    return path, _("'{field}' has an invalid value '{value}'").format(field=field, value=value), ""


def _format(error: jsonschema.ValidationError, path: Path, field: str) -> tuple[Path, str, str]:
    return (
        path,
        _("'{field}' is '{value}', not an email address").format(field=field, value=error.instance),
        _("write one address such as soc@example.com"),
    )


def _size(error: jsonschema.ValidationError, path: Path, field: str) -> tuple[Path, str, str]:
    limit = error.validator_value
    if error.validator == "minItems":
        return path, _("'{field}' is empty").format(field=field), _("list at least {count}").format(count=limit)
    if error.validator == "maxItems":
        return (
            path,
            _("'{field}' has {count} entries, more than {limit}").format(field=field, count=len(error.instance), limit=limit),
            _("keep at most {limit}").format(limit=limit),
        )
    if error.validator == "minLength":
        return path, _("'{field}' is empty").format(field=field), _("give a value")
    return (
        path,
        _("'{field}' is longer than {limit} characters").format(field=field, limit=limit),
        _("shorten it"),
    )


_EXPLAINERS = {
    "required": _required,
    "additionalProperties": _additional_properties,
    "type": _type,
    "minimum": _range,
    "maximum": _range,
    "enum": _choice,
    "const": _choice,
    "pattern": _pattern,
    "format": _format,
    "minItems": _size,
    "maxItems": _size,
    "minLength": _size,
    "maxLength": _size,
}


def explain(error: jsonschema.ValidationError, object_kind: str) -> tuple[Path, str, str]:
    """Turn one jsonschema error into (path in the object, rule, fix)."""
    path = tuple(error.absolute_path)
    explainer = _EXPLAINERS.get(error.validator)
    if explainer is None:
        return path, error.message, ""
    return explainer(error, path, _field(path, object_kind))


def iter_schema_errors(file_name: str, pointer: str, instance: Any, object_kind: str) -> Iterator[tuple[Path, str, str, Any]]:
    """Yield (path, rule, fix, offending value) for every schema error of one object."""
    for error in validator(file_name, pointer).iter_errors(instance):
        if error.validator in ("if", "then", "else", "$ref", "allOf", "anyOf", "oneOf"):
            continue
        path, rule, fix = explain(error, object_kind)
        yield path, rule, fix, error.instance
