"""marctl report on the outcomes of a real replay, in every format and language."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import html5lib
import pytest

from mar_runner.logs import JSON_LINES_LOG, MAIL_LOG, REMEDIATION_LOG
from tests.plugins.engine import SHA
from tests.unit.report.chromium import chromium_binary, png_colours, render_page

from .replay_data import EVIL_FILE_NAME, EVIL_SUBJECT, MESSAGE_ID, run_replay

EXPECTED_COUNTERS = {
    "deleted": 1,
    "forwarded": 0,
    "forwarded_and_deleted": 0,
    "failed": 2,
    "in_progress": 0,
    "skipped": 1,
}


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    return run_replay(tmp_path_factory.mktemp("replay"))


def marctl(replayed, *args):
    return subprocess.run(
        [sys.executable, "-m", "mar_runner.cli.main", "--state-dir", str(replayed.state_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(replayed.state_dir)},
    )


def _json_report(replayed, *args):
    completed = marctl(replayed, "report", "--format", "json", *args)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_replay_outcomes(replayed):
    statuses = {outcome.recipient: (outcome.status, outcome.reason) for outcome in replayed.result.outcomes}
    assert statuses == {
        "ok@example.com": ("success", None),
        "gone@example.com": ("failed", "message_not_found"),
        "user5@example.org": ("failed", "no_profile_mapped"),
        "bounced@example.com": ("skipped", "not_delivered"),
    }


def test_json_counters_rows_reasons(replayed):
    document = _json_report(replayed)
    assert document["counters"] == EXPECTED_COUNTERS
    section = document["files"][0]
    assert section["sha256"] == SHA
    assert section["file_names"] == [EVIL_FILE_NAME]
    assert section["verdict_sources"] == ["amp"]
    assert [row["recipient"] for row in section["remediated"]] == ["ok@example.com"]
    assert section["remediated"][0]["profile"] == "exo"
    assert [row["recipient"] for row in section["failed"]] == ["gone@example.com"]
    assert section["failed"][0]["reason"] == "message_not_found"
    assert section["failed"][0]["profiles_tried"] == ["exo"]
    assert [row["recipient"] for row in section["no_profile"]] == ["user5@example.org"]
    assert [row["reason"] for row in section["skipped"]] == ["not_delivered"]
    assert section["messages"][0]["subject"] == EVIL_SUBJECT
    assert [reason["code"] for reason in document["reasons"]] == ["message_not_found", "no_profile_mapped", "not_delivered"]


def test_json_in_japanese(replayed):
    document = _json_report(replayed, "--lang", "ja")
    failed = document["files"][0]["failed"][0]
    assert document["lang"] == "ja"
    assert failed["reason"] == "message_not_found"
    assert failed["reason_text"] != "No copy of the message carrying the file's SHA-256 was found in the mailbox."


def test_sha256_filter(replayed):
    assert _json_report(replayed, "--sha256", SHA.upper())["counters"] == EXPECTED_COUNTERS
    assert _json_report(replayed, "--sha256", "0" * 64)["files"] == []


def test_period_filter(replayed):
    assert _json_report(replayed, "--since", "2000-01-01")["counters"] == EXPECTED_COUNTERS
    assert _json_report(replayed, "--until", "2000-01-01")["files"] == []


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_table(replayed, lang):
    completed = marctl(replayed, "--lang", lang, "report")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[5].split() == ["1", "0", "0", "2", "0", "1"]
    assert any("gone@example.com" in line and "message_not_found" in line for line in lines)
    assert "\x1b" not in completed.stdout
    heading = "Remediation report generated " if lang == "en" else "修復レポート 作成日時 "
    assert lines[0].startswith(heading)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_csv(replayed, lang):
    completed = marctl(replayed, "report", "--format", "csv", "--lang", lang)
    assert completed.returncode == 0, completed.stderr
    rows = list(csv.DictReader(io.StringIO(completed.stdout)))
    assert sorted((row["recipient"], row["status"], row["reason"]) for row in rows) == [
        ("bounced@example.com", "skipped", "not_delivered"),
        ("gone@example.com", "failed", "message_not_found"),
        ("ok@example.com", "success", ""),
        ("user5@example.org", "failed", "no_profile_mapped"),
    ]
    assert {row["file_names"] for row in rows} == {EVIL_FILE_NAME}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_html(replayed, lang, tmp_path):
    output = tmp_path / "report.html"
    completed = marctl(replayed, "report", "--format", "html", "--lang", lang, "--output", str(output))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    text = output.read_text(encoding="utf-8")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
    assert document.get("lang") == lang
    assert document.findall(".//script") == []
    assert "&lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt; &#34;urgent&#34;" in text
    assert "&lt;script&gt;alert(&#34;f&#34;)&lt;/script&gt;&#39;.docm" in text
    assert f'href="#sha-{SHA}-m1"' in text
    assert (output.stat().st_mode & 0o777) == 0o600


def test_mail_log_one_line_per_event(replayed):
    lines = (replayed.state_dir / "logs" / MAIL_LOG).read_text(encoding="utf-8").split("\n")[:-1]
    events = [line.split(" ")[2] for line in lines]
    assert events == ["run_started"] + ["recipient_outcome"] * 4 + ["run_finished"]
    outcome_lines = [line for line in lines if " recipient_outcome " in line]
    assert any("recipient=gone@example.com" in line and "status=failed reason=message_not_found" in line for line in outcome_lines)


def test_remediation_log_has_attempts(replayed):
    text = (replayed.state_dir / "logs" / REMEDIATION_LOG).read_text(encoding="utf-8")
    assert " profile_attempt " in text or " action " in text
    assert "\x1b" not in text
    assert MESSAGE_ID in text


def test_json_lines_parse(replayed):
    lines = (replayed.state_dir / "logs" / JSON_LINES_LOG).read_text(encoding="utf-8").split("\n")[:-1]
    documents = [json.loads(line) for line in lines]
    assert documents[0]["event"] == "run_started"
    assert documents[-1]["event"] == "run_finished"


def test_html_in_chromium(replayed, tmp_path):
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: install the Debian package chromium (CI must provide it)")
        pytest.skip("Chromium is not installed and CI is unset")
    output = tmp_path / "report.html"
    assert marctl(replayed, "report", "--format", "html", "--output", str(output)).returncode == 0
    run = render_page(binary, output, tmp_path)
    assert run.console == []
    assert "gone@example.com" in run.dom
    assert len(png_colours(run.screenshot)) > 2
