"""Reading verdicts from files of any supported kind, collecting every bad record with its line."""

from __future__ import annotations

import csv
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import yaml

from mar_runner.i18n import _
from mar_runner.tracking.problems import InputProblem
from mar_runner.verdicts import amp, endpoint, files
from mar_runner.verdicts.model import Verdict
from mar_runner.verdicts.values import VerdictValueError

logger = logging.getLogger("mar.verdicts")

KINDS = ("auto", "json", "jsonl", "yaml", "csv", "log")
EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".log": "log",
    ".txt": "log",
}
MAX_STRUCTURED_BYTES = 256 * 1024 * 1024


@dataclass(slots=True)
class VerdictBatch:
    """Verdicts read from some files and the records that could not be read. Iterating yields the verdicts."""

    verdicts: list[Verdict] = field(default_factory=list)
    errors: list[InputProblem] = field(default_factory=list)
    skipped_events: int = 0

    def __iter__(self) -> Iterator[Verdict]:
        return iter(self.verdicts)

    def __len__(self) -> int:
        return len(self.verdicts)


def detect_kind(path: str, head: str) -> str:
    """Return the kind of a verdict file from its extension, else from its first characters."""
    kind = EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if kind:
        return kind
    start = head.lstrip()
    if start.startswith("["):
        return "json"
    if start.startswith("{"):
        try:
            json.loads(head)
            return "json"
        except ValueError:
            return "jsonl"
    header = [field.strip().strip('"').lower() for field in start.split("\n", 1)[0].split(",")]
    if "sha256" in header:
        return "csv"
    return "log"


def read_verdicts(paths: Iterable[str | os.PathLike[str]], kind: str = "auto") -> VerdictBatch:
    """Read verdicts from files and return them with the errors, each naming its file and line."""
    batch = VerdictBatch()
    for path in (os.fspath(p) for p in paths):
        try:
            _read_file(path, kind, batch)
        except OSError as exc:
            batch.errors.append(
                InputProblem(path, 0, _("cannot read the file: {error}").format(error=exc.strerror or exc))
            )
    logger.info(
        "read %d verdicts (%d malicious) with %d invalid records and %d skipped events",
        len(batch.verdicts),
        sum(1 for v in batch.verdicts if v.is_malicious),
        len(batch.errors),
        batch.skipped_events,
    )
    return batch


def _read_file(path: str, kind: str, batch: VerdictBatch) -> None:
    with open(path, "rb") as handle:
        head = handle.read(65536).decode("utf-8", errors="replace")
    if kind == "auto":
        kind = detect_kind(path, head)
    if kind == "log":
        _read_log(path, batch)
        return
    if os.path.getsize(path) > MAX_STRUCTURED_BYTES:
        batch.errors.append(
            InputProblem(path, 0, _("verdict file larger than {limit} bytes: split it or use JSON Lines").format(limit=MAX_STRUCTURED_BYTES))
        )
        return
    with open(path, encoding="utf-8-sig", errors="strict", newline="") as handle:
        try:
            text = handle.read()
        except UnicodeDecodeError as exc:
            batch.errors.append(InputProblem(path, 0, _("not UTF-8 text (invalid byte at offset {offset})").format(offset=exc.start)))
            return
    if kind == "jsonl":
        _read_jsonl(path, text, batch)
        return
    try:
        if kind == "json":
            items = list(files.json_items(text))
        elif kind == "yaml":
            items = list(files.yaml_items(text))
        else:
            items = list(files.csv_items(text))
    except json.JSONDecodeError as exc:
        batch.errors.append(InputProblem(path, exc.lineno, _("not valid JSON: {detail}").format(detail=exc.msg)))
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        detail = getattr(exc, "problem", None) or str(exc)
        batch.errors.append(InputProblem(path, line, _("not valid YAML: {detail}").format(detail=detail)))
        return
    except (VerdictValueError, csv.Error) as exc:
        batch.errors.append(InputProblem(path, 1, str(exc)))
        return
    for line, item in items:
        _add(batch, path, line, item)


def _add(batch: VerdictBatch, path: str, line: int, item: object) -> None:
    try:
        verdict = files.from_record(item, f"{path}:{line}")
    except VerdictValueError as exc:
        batch.errors.append(InputProblem(path, line, str(exc)))
        return
    if verdict is None:
        batch.skipped_events += 1
    else:
        batch.verdicts.append(verdict)


def _read_jsonl(path: str, text: str, batch: VerdictBatch) -> None:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError as exc:
            batch.errors.append(InputProblem(path, number, _("not valid JSON: {detail}").format(detail=exc.msg)))
            continue
        items = endpoint.event_items(document)
        for item in items if items is not None else [document]:
            _add(batch, path, number, item)


def _read_log(path: str, batch: VerdictBatch) -> None:
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if amp.MARKER.encode() not in raw:
                continue
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            try:
                verdict = amp.verdict_from_line(text, f"{path}:{number}")
            except VerdictValueError as exc:
                batch.errors.append(InputProblem(path, number, str(exc)))
                continue
            if verdict is not None:
                batch.verdicts.append(verdict)
