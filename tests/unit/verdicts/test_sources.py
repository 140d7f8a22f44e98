"""Verdicts from AMP retrospective lines, Secure Endpoint events and every verdict file kind."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mar_runner.verdicts import read_verdicts
from mar_runner.verdicts.amp import verdict_from_line
from mar_runner.verdicts.values import VerdictValueError

LOGS = Path(__file__).parents[2] / "fixtures" / "logs"
SHA_TQPS = "57a2339105487ee6477b46d927f4d5267a3e6dcd6f1ff041cf32aae00177c4b7"
SHA_SE = "12081e6ca366ad7d08368fbc7d4107605a9b75d27c671e7e0a58588f94be5837"


def test_amp_retrospective_lines():
    batch = read_verdicts([LOGS / "amp.log"])
    assert batch.errors == []
    assert [(v.sha256[:8], v.verdict, v.source, v.origin.rsplit(":", 1)[1]) for v in batch] == [
        ("57a23391", "malicious", "amp", "10"),
        ("e31ab643", "malicious", "amp", "11"),
        ("845e9183", "clean", "amp", "12"),
    ]


def test_amp_line_fields():
    verdict = verdict_from_line(
        "amp: Info:   Retrospective verdict received. SHA256: " + SHA_TQPS.upper() + ", Timestamp: 1475832815.7, "
        "Verdict: MALICIOUS, Reputation Score: 0, Spyname: W32.16454AFF50-100.SBX.",
        "amp.log:1",
    )
    assert verdict.sha256 == SHA_TQPS
    assert verdict.threat_name == "W32.16454AFF50-100.SBX."
    assert verdict.observed_at == datetime(2016, 10, 7, 9, 33, 35, 700000, tzinfo=timezone.utc)
    assert verdict.file_name is None


def test_amp_line_truncated_rejected():
    with pytest.raises(VerdictValueError) as error:
        verdict_from_line("Info: Retrospective verdict received. SHA256: abc", "amp.log:3")
    assert str(error.value) == "malformed retrospective verdict line: expected SHA256, Timestamp and Verdict"


def test_amp_log_lines_without_verdicts_ignored(tmp_path):
    path = tmp_path / "amp.log"
    path.write_text("Wed Feb 14 12:11:40 2007 Info: File uploaded for analysis. SHA256: " + SHA_TQPS + ", file name: a.doc\n")
    batch = read_verdicts([path])
    assert len(batch) == 0
    assert batch.errors == []


def test_secure_endpoint_events():
    batch = read_verdicts([LOGS / "secure_endpoint_events.json"])
    assert [(v.sha256[:8], v.verdict, v.previous_verdict, v.event_id) for v in batch] == [
        ("12081e6c", "malicious", None, "6411425813945647105"),
        ("ad9a67fe", "clean", "malicious", "6411425813945647001"),
    ]
    assert batch.skipped_events == 1
    assert [(e.line, e.reason) for e in batch.errors] == [
        (16, "Secure Endpoint event 553648147 has no file.identity.sha256, so no file can be matched")
    ]
    malicious = batch.verdicts[0]
    assert malicious.source == "secure_endpoint"
    assert malicious.file_name == "MspthrdHash.exe"
    assert malicious.threat_name == "W32.12081E6CA3-95.SBX.TG"
    assert malicious.observed_at == datetime(2021, 1, 14, 10, 33, 46, tzinfo=timezone.utc)


def test_secure_endpoint_id_kept_exact(tmp_path):
    # 6411425813945647105 is above 2**53: a float would round it to ...647104.
    event = {
        "id": 6411425813945647105,
        "timestamp": 1610620426,
        "event_type_id": 553648146,
        "file": {"identity": {"sha256": SHA_SE}},
    }
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"version": "v1.2.0", "metadata": {}, "data": [event]}))
    [verdict] = read_verdicts([path])
    assert verdict.event_id == "6411425813945647105"
    assert verdict.verdict == "clean"


def test_event_name_ignored_only_id_counts(tmp_path):
    event = {"event_type": "Retrospective Detection", "event_type_id": 1090519054, "file": {"identity": {"sha256": SHA_SE}}}
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(event) + "\n")
    batch = read_verdicts([path])
    assert len(batch) == 0
    assert batch.skipped_events == 1


def test_yaml_file_with_errors_by_line():
    batch = read_verdicts([LOGS / "verdicts.yaml"])
    assert [(v.verdict, v.file_name, v.origin.rsplit(":", 1)[1]) for v in batch] == [("malicious", "invoice.xlsm", "3")]
    assert batch.verdicts[0].observed_at == datetime(2026, 12, 2, 16, 2, 3, tzinfo=timezone.utc)
    assert [(e.line, e.reason) for e in batch.errors] == [
        (7, "invalid sha256 'not-a-hash': give the 64 hexadecimal digits of the file's SHA-256"),
        (9, "invalid verdict 'harmless': use malicious, clean, unknown or suspicious"),
    ]


def test_csv_file():
    batch = read_verdicts([LOGS / "verdicts.csv"])
    assert batch.errors == []
    first, second = batch
    assert (first.verdict, first.previous_verdict, first.file_name, first.source) == ("malicious", "unknown", "mod-6, final.exe", "sandbox")
    assert (second.verdict, second.previous_verdict, second.observed_at, second.source) == ("suspicious", None, None, "file")
    assert second.origin.endswith("verdicts.csv:3")


def test_csv_without_header_rejected(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text(SHA_SE + ",malicious\n")
    batch = read_verdicts([path])
    assert [(e.line, e.reason) for e in batch.errors] == [(1, "CSV verdict file without a header row naming sha256 and verdict")]


def test_jsonl_mixed_records_and_events():
    batch = read_verdicts([LOGS / "verdicts.jsonl"])
    assert [(v.source, v.origin.rsplit(":", 1)[1]) for v in batch] == [("file", "1"), ("secure_endpoint", "4")]
    assert [(e.line, e.reason) for e in batch.errors] == [(2, "not valid JSON: Expecting ',' delimiter")]


def test_json_list_lines():
    batch = read_verdicts([LOGS / "verdicts.json"])
    assert [v.origin.rsplit(":", 1)[1] for v in batch] == ["2", "3"]
    assert batch.verdicts[1].observed_at == datetime(2025, 12, 2, 8, 30, 15, tzinfo=timezone.utc)


def test_invalid_json_reported_with_line(tmp_path):
    path = tmp_path / "v.json"
    path.write_text('[\n  {"sha256": "x",\n]\n')
    batch = read_verdicts([path])
    assert [(e.line, e.reason) for e in batch.errors] == [(3, "not valid JSON: Expecting property name enclosed in double quotes")]


def test_unknown_field_rejected(tmp_path):
    path = tmp_path / "v.json"
    path.write_text(json.dumps([{"sha256": SHA_SE, "verdict": "malicious", "severity": "high"}]))
    batch = read_verdicts([path])
    assert [e.reason for e in batch.errors] == [
        "invalid verdict record: (record): Additional properties are not allowed ('severity' was unexpected)"
    ]


def test_missing_file_reported(tmp_path):
    batch = read_verdicts([tmp_path / "absent.json"])
    assert [(e.line, e.reason) for e in batch.errors] == [(0, "cannot read the file: No such file or directory")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "invalid observed_at 'yesterday': use ISO 8601 such as 2026-01-31T09:30:00Z or epoch seconds"),
    ],
)
def test_bad_time_rejected(tmp_path, value, message):
    path = tmp_path / "v.jsonl"
    path.write_text(json.dumps({"sha256": SHA_SE, "verdict": "malicious", "observed_at": value}) + "\n")
    assert [e.reason for e in read_verdicts([path]).errors] == [message]


def test_missing_verdict_named(tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_text(json.dumps({"sha256": SHA_SE}) + "\n")
    assert [e.reason for e in read_verdicts([path]).errors] == ["missing verdict: use malicious, clean, unknown or suspicious"]


def test_same_verdict_from_copy_has_same_id(tmp_path):
    copy = tmp_path / "copy.json"
    copy.write_text((LOGS / "verdicts.json").read_text())
    original = [v.verdict_id for v in read_verdicts([LOGS / "verdicts.json"])]
    assert [v.verdict_id for v in read_verdicts([copy])] == original
    assert len(set(original)) == 2


def test_only_malicious_is_malicious():
    verdicts = list(read_verdicts([LOGS / "verdicts.csv"]))
    assert [v.is_malicious for v in verdicts] == [True, False]


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("v.json", "", "json"),
        ("v.ndjson", "", "jsonl"),
        ("v.yml", "", "yaml"),
        ("v.log", "sha256,verdict", "log"),
        ("export", "[{}]", "json"),
        ("export", '{"a": 1}\n{"b": 2}\n', "jsonl"),
        ("export", "sha256,verdict\n", "csv"),
        ("export", "Info: Retrospective verdict received. SHA256: x, Timestamp: 1", "log"),
    ],
)
def test_kind_detection(name, head, kind):
    from mar_runner.verdicts.reader import detect_kind

    assert detect_kind(name, head) == kind
