"""Fixtures of the tracking area: a database in the test's state directory and a way to fill it."""

from __future__ import annotations

import json

import pytest

from mar_runner.state import open_db
from mar_runner.tracking import TrackingIndex, import_paths


@pytest.fixture
def tracking_conn(state_dir):
    """A connection to ``mar.db`` in the test's state directory, closed after the test."""
    conn = open_db(state_dir)
    TrackingIndex(conn)
    yield conn
    conn.close()


@pytest.fixture
def fill_tracking(tracking_conn, tmp_path):
    """Import native tracking records (dicts of schemas/tracking-record.schema.json) into the index.

    Returns the ImportSummary; a record the schema rejects appears in its problems.
    """
    counter = iter(range(1_000_000))

    def fill(records: list[dict]):
        path = tmp_path / f"tracking-{next(counter)}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        return import_paths(tracking_conn, [path], fmt="jsonl")

    return fill
