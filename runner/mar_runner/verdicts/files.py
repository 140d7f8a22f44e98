"""Verdict files: JSON, YAML, JSON Lines and CSV records (schemas/verdict.schema.json).

JSON may be a list of records, an object with a ``verdicts`` list, a single
record, or a Secure Endpoint ``/v1/events`` response. Each record keeps the
line it starts on, so errors and ``origin`` point at it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Iterator

import yaml

from mar_runner.i18n import _
from mar_runner.tracking.schemas import first_error
from mar_runner.verdicts import endpoint
from mar_runner.verdicts.model import Verdict
from mar_runner.verdicts.values import VerdictValueError, build, sha256_value, verdict_name

SCHEMA = "verdict.schema.json"
SOURCE = "file"
RE_LIST_START = re.compile(r'"(?:verdicts|data)"\s*:\s*\[')


def from_record(record: object, origin: str) -> Verdict | None:
    """Return the verdict of one record (a verdict record or a Secure Endpoint event item)."""
    if endpoint.is_event(record):
        return endpoint.verdict_from_event(record, origin)  # type: ignore[arg-type]
    if isinstance(record, dict):
        record = {k: v for k, v in record.items() if v not in ("", None) or k in ("sha256", "verdict")}
        # The two required values get their own messages, which name the fix.
        sha256_value(record.get("sha256"))
        verdict_name(record.get("verdict"))
    problem = first_error(SCHEMA, record)
    if problem:
        raise VerdictValueError(_("invalid verdict record: {detail}").format(detail=problem))
    assert isinstance(record, dict)
    return build(
        sha256=record["sha256"],
        verdict=record["verdict"],
        previous_verdict=record.get("previous_verdict"),
        file_name=record.get("file_name"),
        threat_name=record.get("threat_name"),
        observed_at=record.get("observed_at"),
        source=record.get("source") or SOURCE,
        origin=origin,
    )


def json_items(text: str) -> Iterator[tuple[int, object]]:
    """Yield (line, record) of a JSON verdict document; raise ValueError when it is not valid JSON."""
    document = json.loads(text)
    items = endpoint.event_items(document)
    if items is None:
        if isinstance(document, dict) and isinstance(document.get("verdicts"), list):
            items = document["verdicts"]
        elif isinstance(document, list):
            items = document
        else:
            yield 1, document
            return
    lines = _item_lines(text, len(items))
    for index, item in enumerate(items):
        yield lines[index], item


def _item_lines(text: str, count: int) -> list[int]:
    """Return the line each element of the document's record list starts on (1 when unknown)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        start = text.index("[") + 1
    else:
        match = RE_LIST_START.search(text)
        if match is None:
            return [1] * count
        start = match.end()
    decoder = json.JSONDecoder()
    lines: list[int] = []
    position = start
    for _index in range(count):
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        lines.append(text.count("\n", 0, position) + 1)
        try:
            _value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return lines + [1] * (count - len(lines))
    return lines


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of each mapping under ``__line__``."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def yaml_items(text: str) -> Iterator[tuple[int, object]]:
    """Yield (line, record) of a YAML verdict document; raise yaml.YAMLError."""
    document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    if isinstance(document, dict) and isinstance(document.get("verdicts"), list):
        items = document["verdicts"]
    elif isinstance(document, list):
        items = document
    else:
        items = [document]
    for item in items:
        line = item.pop("__line__", 1) if isinstance(item, dict) else 1
        yield line, item


def csv_items(text: str) -> Iterator[tuple[int, object]]:
    """Yield (line, record) of a CSV file whose header names the record fields."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or "sha256" not in [f.strip() for f in reader.fieldnames]:
        raise VerdictValueError(_("CSV verdict file without a header row naming sha256 and verdict"))
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        extra = row.pop(None, None)
        record = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        if extra:
            record["__extra__"] = extra
        yield reader.line_num, record
