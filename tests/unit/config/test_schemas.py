"""The JSON Schema documents: valid 2020-12, documented, shipped in the package, used by editors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from mar_runner.config.schema import SCHEMA_FILES, load_schema

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_package_copy_matches_repository(name):
    packaged = REPO / "runner" / "mar_runner" / "schemas" / name
    assert packaged.read_bytes() == (REPO / "schemas" / name).read_bytes(), (
        f"runner/mar_runner/schemas/{name} differs from schemas/{name}: copy schemas/{name} over it"
    )


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_is_valid_2020_12(name):
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_has_id_title_description(name):
    schema = load_schema(name)
    assert schema["$id"].endswith("/" + name)
    assert schema["title"]
    assert schema["description"]


def _properties(schema: dict):
    for key, value in schema.get("properties", {}).items():
        yield key, value
    for definition in schema.get("$defs", {}).values():
        yield from _properties(definition)


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_field_is_described(name):
    undocumented = [
        key
        for key, value in _properties(load_schema(name))
        if "description" not in value and "$ref" not in value and "const" not in value and "title" not in value
    ]
    assert undocumented == []


def test_whole_document_schema_accepts_example(valid_config):
    registry_validator = __import__("mar_runner.config.schema", fromlist=["validator"]).validator
    errors = list(registry_validator("config.schema.json").iter_errors(json.loads(json.dumps(valid_config))))
    assert errors == []


def test_whole_document_schema_rejects_six_chains(valid_config):
    from mar_runner.config.schema import validator

    valid_config["mar_chained_profiles"] = [{"name": f"c{i}", "profiles": ["exo"]} for i in range(6)]
    messages = [error.message for error in validator("config.schema.json").iter_errors(valid_config)]
    assert any("is too long" in message for message in messages)


@pytest.mark.parametrize("path", sorted((REPO / "inventory" / "group_vars").rglob("*.yml")))
def test_inventory_files_carry_schema_header(path):
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../../../schemas/config.schema.json"
