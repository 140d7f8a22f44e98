"""Verdict files in JSON, YAML, JSON Lines and CSV."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from mar_runner.verdicts import read_verdicts

SHA = "0ae452f0c871d2022db49deb91b5016c950a36dde63d04f56a4135b35b2867e0"


def test_json_object_with_verdicts(tmp_path):
    path = tmp_path / "v.json"
    path.write_text(
        json.dumps(
            {
                "verdicts": [
                    {
                        "sha256": SHA.upper(),
                        "verdict": "MALWARE",
                        "previous_verdict": "unknown",
                        "file_name": "Invoice.xlsm",
                        "observed_at": "2026-12-02T08:30:15Z",
                        "source": "amp",
                    }
                ]
            },
            indent=2,
        )
    )
    batch = read_verdicts([path])
    assert batch.errors == []
    [verdict] = batch
    assert verdict.sha256 == SHA
    assert verdict.verdict == "malicious"
    assert verdict.previous_verdict == "unknown"
    assert verdict.observed_at == datetime(2026, 12, 2, 8, 30, 15, tzinfo=timezone.utc)
    assert verdict.source == "amp"
    assert verdict.origin == f"{path}:3"


def test_verdict_id_stable_across_reads(tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_text(json.dumps({"sha256": SHA, "verdict": "malicious", "observed_at": 1475832815.7}) + "\n")
    first = read_verdicts([path]).verdicts[0].verdict_id
    assert read_verdicts([path]).verdicts[0].verdict_id == first
