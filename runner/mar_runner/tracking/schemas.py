"""JSON Schema documents of the tracking and verdict records, shipped inside the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from jsonschema import Draft202012Validator


@lru_cache(maxsize=None)
def validator(file_name: str) -> Draft202012Validator:
    """Return a validator for one schema file of ``mar_runner/schemas``."""
    text = resources.files("mar_runner").joinpath("schemas", file_name).read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def first_error(file_name: str, instance: object) -> str | None:
    """Return the first schema violation as ``where: message`` (English), or None when valid."""
    errors = sorted(validator(file_name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"{where.lstrip('.') or '(record)'}: {error.message}"
