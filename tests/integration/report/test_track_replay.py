"""Message tracking with remediation attempts, on the outcomes of a real replay on the sandbox."""

from __future__ import annotations

import argparse
import csv
import io
import json

import html5lib
import pytest

from mar_runner.cli.report_cmd import print_tracking
from mar_runner.report.render_track import TRACK_COLUMNS, render_track
from mar_runner.report.tracking import track
from mar_runner.state import open_db
from tests.plugins.engine import PAYLOAD_SHA as SHA

from .sandbox_replay import EVIL_SUBJECT, MESSAGE_ID, RECIPIENTS


@pytest.fixture
def conn(replayed):
    connection = open_db(replayed.state_dir, create=False)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    "criteria",
    [{"mid": 100}, {"message_id": MESSAGE_ID}, {"sha256": SHA}, {"recipient": "GONE@corp.example.com"}],
    ids=["mid", "message_id", "sha256", "recipient"],
)
def test_lookup_by_each_key(conn, criteria):
    result = track(conn, **criteria)
    assert [message.message_ref for message in result.messages] == [MESSAGE_ID]
    assert result.messages[0].delivery["subject"] == EVIL_SUBJECT


def test_every_attempt_listed(conn):
    attempts = track(conn, mid=100).messages[0].attempts
    rows = [(line.recipient, line.profile, line.action, line.result, line.reason) for line in attempts]
    assert rows == [
        ("alice@example.com", "exo", "delete", "success", None),
        ("bounced@example.com", None, "delete", "skipped", "not_delivered"),
        ("carol@corp.example.com", "onprem", "delete", "success", None),
        ("dave@example.com", "exo", "delete", "failed", "wrong_profile_type"),
        ("dave@example.com", "onprem", "delete", "success", None),
        ("eve@broken.example.com", "exo-broken", "delete", "failed", "authentication_failed"),
        ("frank1@wrongkey.example.com", "exo-wrongkey", "delete", "failed", "authentication_failed"),
        ("frank2@wrongkey.example.com", "exo-wrongkey", "delete", "failed", "authentication_failed"),
        ("frank3@wrongkey.example.com", "exo-wrongkey", "delete", "failed", "authentication_failed"),
        ("gone@corp.example.com", "onprem", "delete", "failed", "message_not_found"),
        ("user5@example.org", None, "delete", "failed", "no_profile_mapped"),
    ]
    assert all(line.time for line in attempts)


def test_recipient_filter(conn):
    attempts = track(conn, recipient="dave@example.com").messages[0].attempts
    assert [(line.recipient, line.profile) for line in attempts] == [("dave@example.com", "exo"), ("dave@example.com", "onprem")]


def test_no_match(conn):
    assert track(conn, mid=999).messages == []


def test_no_criterion_rejected(conn):
    with pytest.raises(ValueError, match=r"^track needs at least one of sha256, message_id, mid, recipient$"):
        track(conn)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_table(conn, lang):
    text = render_track(track(conn, mid=100, lang=lang), "table")
    assert "\x1b" not in text
    assert "\r" not in text
    assert any("gone@corp.example.com" in line and "message_not_found" in line for line in text.splitlines())
    assert text.splitlines()[0] == ("Message " if lang == "en" else "メッセージ ") + MESSAGE_ID


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_json(conn, lang):
    document = json.loads(render_track(track(conn, sha256=SHA, lang=lang), "json"))
    assert document["lang"] == lang
    assert document["messages"][0]["delivery"]["mids"] == ["100"]
    assert len(document["messages"][0]["attempts"]) == 11


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_csv(conn, lang):
    rows = list(csv.DictReader(io.StringIO(render_track(track(conn, sha256=SHA, lang=lang), "csv"))))
    assert list(rows[0]) == list(TRACK_COLUMNS)
    assert sorted((row["recipient"], row["profile"], row["result"], row["reason"]) for row in rows) == [
        ("alice@example.com", "exo", "success", ""),
        ("bounced@example.com", "", "skipped", "not_delivered"),
        ("carol@corp.example.com", "onprem", "success", ""),
        ("dave@example.com", "exo", "failed", "wrong_profile_type"),
        ("dave@example.com", "onprem", "success", ""),
        ("eve@broken.example.com", "exo-broken", "failed", "authentication_failed"),
        ("frank1@wrongkey.example.com", "exo-wrongkey", "failed", "authentication_failed"),
        ("frank2@wrongkey.example.com", "exo-wrongkey", "failed", "authentication_failed"),
        ("frank3@wrongkey.example.com", "exo-wrongkey", "failed", "authentication_failed"),
        ("gone@corp.example.com", "onprem", "failed", "message_not_found"),
        ("user5@example.org", "", "failed", "no_profile_mapped"),
    ]
    assert {row["delivery_status"] for row in rows} == {"delivered", "bounced"}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_html(conn, lang):
    text = render_track(track(conn, message_id=MESSAGE_ID, lang=lang), "html")
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
    assert document.get("lang") == lang
    assert document.findall(".//script") == []
    assert "&lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt;" in text


def test_print_tracking_output(replayed, tmp_path, capsys):
    output = tmp_path / "track.json"
    args = argparse.Namespace(state_dir=str(replayed.state_dir), format="json", output_lang=None, output=str(output))
    assert print_tracking(args, mid=100) == 0
    assert json.loads(output.read_text())["messages"][0]["message_ref"] == MESSAGE_ID


def test_print_tracking_nothing_found(replayed, capsys):
    args = argparse.Namespace(state_dir=str(replayed.state_dir), format="table", output_lang=None, output=None)
    assert print_tracking(args, mid=999) == 1
    assert capsys.readouterr().out == "No message matches mid=999.\n"


def test_print_tracking_needs_criterion(replayed, capsys):
    args = argparse.Namespace(state_dir=str(replayed.state_dir), format="table", output_lang=None, output=None)
    assert print_tracking(args) == 2
    assert capsys.readouterr().err == "Give at least one of --mid, --message-id, --recipient or --sha256.\n"


def test_marctl_track_command(replayed):
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "mar_runner.cli.main", "--state-dir", str(replayed.state_dir), "track", "--mid", "100", "--format", "json", "--lang", "ja"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["lang"] == "ja"
    assert sorted({line["recipient"] for line in document["messages"][0]["attempts"]}) == sorted(RECIPIENTS)


def test_track_html_in_chromium(conn, tmp_path):
    import os

    from tests.unit.report.chromium import chromium_binary, png_colours, render_page

    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: install the Debian package chromium (CI must provide it)")
        pytest.skip("Chromium is not installed and CI is unset")
    page = tmp_path / "track.html"
    page.write_text(render_track(track(conn, mid=100, lang="ja"), "html"), encoding="utf-8")
    run = render_page(binary, page, tmp_path)
    assert run.console == []
    assert "frank1@wrongkey.example.com" in run.dom
    assert len(png_colours(run.screenshot)) > 2
