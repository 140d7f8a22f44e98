"""marctl report on the outcomes of a real replay on the sandbox, in every format and language."""

from __future__ import annotations

import contextlib
import csv
import email
import email.policy
import io
import json
import os
import subprocess
import sys

import html5lib
import pytest

from mar_runner.cli.main import main
from mar_runner.i18n import set_language
from mar_runner.logs import JSON_LINES_LOG, MAIL_LOG, REMEDIATION_LOG
from tests.plugins.engine import PAYLOAD_SHA
from tests.unit.report.chromium import chromium_binary, png_colours, render_page

from .sandbox_replay import EVIL_FILE_NAME, EVIL_SUBJECT, MESSAGE_ID, RECIPIENTS

EXPECTED_COUNTERS = {
    "deleted": 3,
    "forwarded": 0,
    "forwarded_and_deleted": 0,
    "failed": 6,
    "in_progress": 0,
    "skipped": 1,
}


def marctl(replayed, *args):
    return subprocess.run(
        [sys.executable, "-m", "mar_runner.cli.main", "--state-dir", str(replayed.state_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(replayed.state_dir)},
    )


def marctl_in_process(replayed, *args):
    """Run marctl's main() in this process (faster than a child under load); return (code, stdout)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = main(["--state-dir", str(replayed.state_dir), *args])
    set_language(None)
    return code, output.getvalue()


@pytest.fixture(scope="module")
def json_report(replayed):
    completed = marctl(replayed, "report", "--format", "json")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def _json_report(replayed, *args):
    code, text = marctl_in_process(replayed, "report", "--format", "json", *args)
    assert code == 0
    return json.loads(text)


def test_replay_outcomes(replayed):
    statuses = {outcome.recipient: (outcome.status, outcome.reason) for outcome in replayed.result.outcomes}
    assert statuses == {address: (status, reason) for address, (_d, status, reason) in RECIPIENTS.items()}


def test_json_counters(json_report):
    assert json_report["counters"] == EXPECTED_COUNTERS


def test_json_file_section(json_report):
    section = json_report["files"][0]
    assert section["sha256"] == PAYLOAD_SHA
    assert section["file_names"] == [EVIL_FILE_NAME]
    assert section["verdict_sources"] == ["amp"]
    assert section["verdict_time"].startswith("2026-12-01T12:00:00")
    assert section["actions"] == ["delete"]
    assert section["messages"][0]["subject"] == EVIL_SUBJECT


def test_json_remediated_with_profile(json_report):
    section = json_report["files"][0]
    remediated = {row["recipient"]: (row["profile"], row["profiles_tried"], row["copies"]) for row in section["remediated"]}
    assert remediated == {
        "alice@example.com": ("exo", ["exo"], 2),
        "carol@corp.example.com": ("onprem", ["onprem"], 1),
        "dave@example.com": ("onprem", ["exo", "onprem"], 1),
    }


def test_json_failed_with_reason_and_fix(json_report):
    section = json_report["files"][0]
    failed = {row["recipient"]: (row["reason"], row["profiles_tried"]) for row in section["failed"]}
    assert failed == {
        "gone@corp.example.com": ("message_not_found", ["onprem"]),
        "eve@broken.example.com": ("authentication_failed", ["exo-broken"]),
        "frank1@wrongkey.example.com": ("authentication_failed", ["exo-wrongkey"]),
        "frank2@wrongkey.example.com": ("authentication_failed", ["exo-wrongkey"]),
        "frank3@wrongkey.example.com": ("authentication_failed", ["exo-wrongkey"]),
    }
    assert section["failed"][0]["reason"] == "authentication_failed"
    assert section["failed"][0]["fix"] == (
        "Check the client id, tenant id, thumbprint and private key (Graph) or the user name and password (EWS)."
    )
    assert [row["recipient"] for row in section["no_profile"]] == ["user5@example.org"]
    assert [(row["recipient"], row["reason"]) for row in section["skipped"]] == [("bounced@example.com", "not_delivered")]


def test_json_reasons_explained(json_report):
    reasons = json_report["reasons"]
    assert [reason["code"] for reason in reasons] == [
        "authentication_failed",
        "message_not_found",
        "no_profile_mapped",
        "not_delivered",
    ]
    assert all(reason["text"] and reason["fix"] for reason in reasons)


def test_json_in_japanese(replayed):
    document = _json_report(replayed, "--lang", "ja")
    failed = document["files"][0]["failed"][0]
    assert document["lang"] == "ja"
    assert failed["reason"] == "authentication_failed"
    assert failed["reason_text"] == "メールサーバーがプロファイルの認証情報を拒否しました。"


def test_sha256_filter(replayed):
    assert _json_report(replayed, "--sha256", PAYLOAD_SHA.upper())["counters"] == EXPECTED_COUNTERS
    assert _json_report(replayed, "--sha256", "0" * 64)["files"] == []


def test_period_filter(replayed):
    assert _json_report(replayed, "--since", "2000-01-01")["counters"] == EXPECTED_COUNTERS
    assert _json_report(replayed, "--until", "2000-01-01")["files"] == []


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_table(replayed, lang):
    if lang == "ja":
        completed = marctl(replayed, "--lang", lang, "report")
        assert completed.returncode == 0, completed.stderr
        stdout = completed.stdout
    else:
        code, stdout = marctl_in_process(replayed, "--lang", lang, "report")
        assert code == 0
    lines = stdout.splitlines()
    assert lines[5].split() == ["3", "0", "0", "6", "0", "1"]
    assert any("eve@broken.example.com" in line and "exo-broken" in line and "authentication_failed" in line for line in lines)
    assert "\x1b" not in stdout
    heading = "Remediation report generated " if lang == "en" else "修復レポート 作成日時 "
    assert lines[0].startswith(heading)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_csv(replayed, lang):
    if lang == "en":
        completed = marctl(replayed, "report", "--format", "csv", "--lang", lang)
        assert completed.returncode == 0, completed.stderr
        stdout = completed.stdout
    else:
        code, stdout = marctl_in_process(replayed, "report", "--format", "csv", "--lang", lang)
        assert code == 0
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert sorted((row["recipient"], row["status"], row["reason"]) for row in rows) == sorted(
        (address, status, reason or "") for address, (_d, status, reason) in RECIPIENTS.items()
    )
    assert {row["file_names"] for row in rows} == {EVIL_FILE_NAME}
    assert rows[0]["status"] == "failed"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_html(replayed, lang, tmp_path):
    output = tmp_path / "report.html"
    if lang == "ja":
        completed = marctl(replayed, "report", "--format", "html", "--lang", lang, "--output", str(output))
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout == ""
    else:
        assert marctl_in_process(replayed, "report", "--format", "html", "--lang", lang, "--output", str(output)) == (0, "")
    text = output.read_text(encoding="utf-8")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
    assert document.get("lang") == lang
    assert document.findall(".//script") == []
    assert "&lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt; &#34;urgent&#34;\\r\\nINFO fake\\x1b[31m" in text
    assert "&lt;script&gt;alert(&#34;f&#34;)&lt;/script&gt;&#39;.docm" in text
    assert f'href="#sha-{PAYLOAD_SHA}-m1"' in text
    assert (output.stat().st_mode & 0o777) == 0o600
    counters = {item.get("class"): item.find("span").text for item in document.iter("li")}
    assert counters == {name: str(value) for name, value in EXPECTED_COUNTERS.items()}
    failed_rows = ["".join(row.itertext()) for row in document.findall(".//section[@id='sha-%s']/table[1]/tbody/tr" % PAYLOAD_SHA)]
    assert len(failed_rows) == 5
    assert any("eve@broken.example.com" in row and "authentication_failed" in row for row in failed_rows)
    reason_text = {"en": "The mail server rejected the profile's credentials.", "ja": "メールサーバーがプロファイルの認証情報を拒否しました。"}[lang]
    assert reason_text in failed_rows[0]


def test_html_in_chromium(replayed, tmp_path):
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: install the Debian package chromium (CI must provide it)")
        pytest.skip("Chromium is not installed and CI is unset")
    output = tmp_path / "report.html"
    assert marctl_in_process(replayed, "report", "--format", "html", "--output", str(output)) == (0, "")
    run = render_page(binary, output, tmp_path)
    assert run.console == []
    assert "eve@broken.example.com" in run.dom
    assert "AADSTS700027: Client assertion contains an invalid signature." in run.dom
    assert len(png_colours(run.screenshot)) > 2


def _log_lines(replayed, name):
    return (replayed.state_dir / "logs" / name).read_text(encoding="utf-8").split("\n")[:-1]


def test_mail_log_one_line_per_event(replayed):
    events = [line.split(" ")[2] for line in _log_lines(replayed, MAIL_LOG)]
    assert events == ["run_started"] + ["recipient_outcome"] * len(RECIPIENTS) + ["run_finished"]


def test_mail_log_outcome_fields(replayed):
    lines = _log_lines(replayed, MAIL_LOG)
    eve = [line for line in lines if "recipient=eve@broken.example.com" in line]
    assert len(eve) == 1
    assert " WARNING recipient_outcome " in eve[0]
    assert f"mid=100 message_id={MESSAGE_ID} recipient=eve@broken.example.com" in eve[0]
    assert "action=delete status=failed reason=authentication_failed" in eve[0]
    assert lines[-1].split(" ")[2] == "run_finished"
    assert " failed=6 " in lines[-1]
    assert " success=3 " in lines[-1]


def test_remediation_log_attempts_and_errors(replayed):
    lines = _log_lines(replayed, REMEDIATION_LOG)
    attempts = [line for line in lines if " profile_attempt " in line]
    assert any("recipient=dave@example.com profile=exo " in line for line in attempts)
    assert any("recipient=dave@example.com profile=onprem " in line for line in attempts)
    errors = [line for line in lines if " error " in line]
    assert any("recipient=dave@example.com profile=exo reason=wrong_profile_type" in line for line in errors)
    actions = [line for line in lines if " action " in line and "recipient=alice@example.com" in line]
    assert len(actions) == 2


def test_logs_carry_no_secret(replayed):
    text = "".join((replayed.state_dir / "logs" / name).read_text(encoding="utf-8") for name in (MAIL_LOG, REMEDIATION_LOG, JSON_LINES_LOG))
    assert "Corp-Pass-1" not in text
    assert "PRIVATE KEY" not in text
    assert "\x1b" not in text


def test_json_lines_parse(replayed):
    documents = [json.loads(line) for line in _log_lines(replayed, JSON_LINES_LOG)]
    assert documents[0]["event"] == "run_started"
    assert documents[-1]["event"] == "run_finished"
    assert len([doc for doc in documents if doc["event"] == "recipient_outcome"]) == len(RECIPIENTS)


def test_profile_alert_once_by_email(replayed):
    subjects = sorted(
        email.message_from_bytes(raw, policy=email.policy.default)["Subject"] for raw in replayed.alert_emails
    )
    assert subjects == [
        "mailsec.mar: profile exo-broken cannot reach its mailboxes",
        "mailsec.mar: profile exo-wrongkey cannot reach its mailboxes",
    ]


def test_wrong_key_alert_explains_fix(replayed):
    messages = [email.message_from_bytes(raw, policy=email.policy.default) for raw in replayed.alert_emails]
    wrong_key = next(message for message in messages if "exo-wrongkey" in message["Subject"])
    body = wrong_key.get_content().replace("\r\n", "\n")
    assert "Diagnosis: AADSTS700027: Client assertion contains an invalid signature." in body
    assert "Reason: authentication_failed: The mail server rejected the profile's credentials.\n" in body
    assert "Fix: Check the client id, tenant id, thumbprint and private key (Graph)" in body


def test_alerts_logged_once_per_profile(replayed):
    alerts = [line for line in _log_lines(replayed, REMEDIATION_LOG) if " alert " in line]
    assert len(alerts) == 2
    for profile in ("exo-wrongkey", "exo-broken"):
        lines = [line for line in alerts if f" profile={profile} reason=authentication_failed " in line]
        assert len(lines) == 1, profile
        assert " kind=profile_unreachable " in lines[0]
        assert " tenant_id=00000000-0000-0000-0000-0000000000aa" in lines[0]
