"""Table, JSON, CSV and HTML renderings of the report, in English and Japanese."""

from __future__ import annotations

import csv
import io
import json

import html5lib
import pytest

from mar_runner.report import build_report, render
from mar_runner.report.render_csv import COLUMNS, neutralise

from .samples import DELIVERIES, EVIL_NAME, EVIL_SUBJECT, SHA_EVIL, SHA_OTHER, outcome, sample_outcomes


def _report(lang="en", outcomes=None):
    return build_report(
        outcomes if outcomes is not None else sample_outcomes(),
        deliveries=DELIVERIES,
        lang=lang,
        generated_at="2026-12-04T12:00:00Z",
    )


def test_table_counters_and_rows():
    text = render(_report(), "table")
    lines = text.splitlines()
    assert lines[0] == "Remediation report generated 2026-12-04T12:00:00Z"
    assert lines[3] == "Deleted  Forwarded  Forwarded and deleted  Failed  In progress  Skipped"
    assert lines[5].split() == ["1", "0", "1", "2", "1", "1"]
    assert f"File {SHA_EVIL}" in lines
    assert "  Failed       denied@example.com  100  Delete  graph-main                    permission_denied" in lines
    assert "  Recipients whose domain has no profile: 1" in lines
    assert "  permission_denied: The profile has no permission to access this mailbox." in lines


def test_table_in_japanese():
    text = render(_report("ja"), "table")
    assert text.splitlines()[0] == "修復レポート 作成日時 2026-12-04T12:00:00Z"
    assert "削除" in text.splitlines()[3]


def test_table_escapes_control_characters():
    evil = outcome("ok@example.com", "success", file_name="a\x1b[2J\r\nFile fake", profile="p")
    text = render(_report(outcomes=[evil]), "table")
    assert "\x1b" not in text
    assert "  File names: a\\x1b[2J\\r\\nFile fake" in text.splitlines()


def test_json_document():
    document = json.loads(render(_report(), "json"))
    assert document["counters"]["failed"] == 2
    assert document["files"][0]["sha256"] == SHA_EVIL
    assert document["files"][0]["failed"][0]["reason"] == "permission_denied"
    assert document["files"][0]["failed"][0]["fix"].startswith("Grant the application")
    assert document["files"][0]["no_profile"][0]["recipient"] == "user5@example.org"
    assert document["files"][0]["remediated"][0]["profile"] == "graph-main"
    assert document["files"][0]["messages"][0]["subject"] == EVIL_SUBJECT
    assert document["lang"] == "en"


def test_json_in_japanese():
    document = json.loads(render(_report("ja"), "json"))
    assert document["lang"] == "ja"
    assert document["files"][0]["failed"][0]["reason"] == "permission_denied"
    assert document["files"][0]["failed"][0]["reason_text"] != "The profile has no permission to access this mailbox."


def test_csv_rows():
    rows = list(csv.reader(io.StringIO(render(_report(), "csv"))))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 1 + 6
    by_recipient = {row[COLUMNS.index("recipient")]: row for row in rows[1:]}
    assert by_recipient["denied@example.com"][COLUMNS.index("reason")] == "permission_denied"
    assert by_recipient["ok@example.com"][COLUMNS.index("profile")] == "graph-main"
    assert by_recipient["ok@example.com"][COLUMNS.index("profiles_tried")] == "ews-onprem;graph-main"
    assert [row[COLUMNS.index("status")] for row in rows[1:]] == ["failed", "failed", "in_progress", "success", "skipped", "success"]


def test_csv_formula_injection_neutralised():
    evil = outcome("=cmd@example.com", "success", file_name="=HYPERLINK(\"http://x\")", profile="+p", message_id="@m")
    rows = list(csv.reader(io.StringIO(render(_report(outcomes=[evil]), "csv"))))
    row = dict(zip(COLUMNS, rows[1]))
    assert row["recipient"] == "'=cmd@example.com"
    assert row["file_names"] == "'=HYPERLINK(\"http://x\")"
    assert row["profile"] == "'+p"
    assert row["message_id"] == "'@m"


@pytest.mark.parametrize(("value", "expected"), [("-1", "'-1"), ("\tx", "\\tx"), ("\x1b[31m=x", "\\x1b[31m=x"), ("safe", "safe"), (None, ""), (3, "3")])
def test_neutralise_cells(value, expected):
    assert neutralise(value) == expected


def test_csv_in_japanese():
    rows = list(csv.reader(io.StringIO(render(_report("ja"), "csv"))))
    row = dict(zip(COLUMNS, rows[1]))
    assert row["reason"] == "permission_denied"
    assert row["reason_text"] != "The profile has no permission to access this mailbox."


def _parse_strict(text):
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def test_html_is_valid_html5():
    document = _parse_strict(render(_report(), "html"))
    assert document.find("head/title").text == "Remediation report"


def test_html_escapes_subject_and_file_name():
    text = render(_report(), "html")
    assert "<script" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#39;.pdf" in text
    assert "Invoice &lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt; &#34;due&#34;" in text
    document = _parse_strict(text)
    assert document.findall(".//script") == []
    cells = ["".join(cell.itertext()) for cell in document.iter("dd")]
    assert EVIL_NAME in cells
    assert EVIL_SUBJECT in cells


def test_html_links_sha256_to_tracking():
    document = _parse_strict(render(_report(), "html"))
    ids = {element.get("id") for element in document.iter() if element.get("id")}
    links = [element.get("href") for element in document.iter("a")]
    assert f"#sha-{SHA_EVIL}" in links
    assert f"#sha-{SHA_EVIL}-m1" in links
    assert f"sha-{SHA_EVIL}-m1" in ids
    assert all(link[1:] in ids for link in links)


def test_html_failures_first():
    text = render(_report(), "html")
    assert text.index(f'id="sha-{SHA_EVIL}"') < text.index(f'id="sha-{SHA_OTHER}"')
    section = text[text.index(f'id="sha-{SHA_EVIL}"') :]
    assert section.index("Failed recipients") < section.index("Remediated recipients")


def test_html_has_no_external_asset():
    document = _parse_strict(render(_report(), "html"))
    assert document.findall(".//link") == []
    assert document.findall(".//img") == []
    assert document.find(".//style") is not None
    assert "@media print" in document.find(".//style").text


def test_html_in_japanese():
    text = render(_report("ja"), "html")
    document = _parse_strict(text)
    assert document.get("lang") == "ja"
    assert document.find("head/title").text == "修復レポート"


def test_empty_report_every_format():
    report = _report(outcomes=[])
    assert "No remediation in this period." in render(report, "table")
    assert json.loads(render(report, "json"))["files"] == []
    assert render(report, "csv").splitlines() == [",".join(COLUMNS)]
    assert "No remediation in this period." in render(report, "html")


def test_unknown_format_rejected():
    with pytest.raises(ValueError, match=r"^unknown report format 'pdf': use one of table, json, csv, html$"):
        render(_report(), "pdf")


def test_html_tracking_rows_escaped():
    evil = outcome(
        "x@example.com",
        "failed",
        reason="permission_denied",
        profiles_tried=["p<1>"],
        attempts=[
            {
                "profile": "p<1>",
                "time": "2026-12-04T10:00:00.000Z",
                "result": "failed",
                "reason": "permission_denied",
                "message": "<img src=x onerror=alert(1)> \"q\"\x1b[0m",
            }
        ],
    )
    text = render(_report(outcomes=[evil]), "html")
    document = _parse_strict(text)
    assert document.findall(".//img") == []
    assert '<span class="server">&lt;img src=x onerror=alert(1)&gt; &#34;q&#34;\\x1b[0m</span>' in text
    assert '<td class="nowrap">p&lt;1&gt;</td>' in text


NOTES = [
    {"sha256": "c" * 64, "code": "no_delivery_found", "file_name": "=evil<b>.exe", "verdict_source": "amp", "verdict_time": "2026-12-04T09:00:00+00:00"}
]


def test_verdict_notes_every_format():
    report = build_report([], verdict_notes=NOTES, lang="en", generated_at="2026-12-04T12:00:00Z")
    assert "  " + "c" * 64 + " =evil<b>.exe: no_delivery_found: No delivered message carries this SHA-256 in the tracking index." in render(report, "table").splitlines()
    assert json.loads(render(report, "json"))["verdict_notes"][0]["code"] == "no_delivery_found"
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert rows[0]["reason"] == "no_delivery_found"
    assert rows[0]["recipient"] == ""
    assert rows[0]["file_names"] == "'=evil<b>.exe"
    text = render(report, "html")
    _parse_strict(text)
    assert "=evil&lt;b&gt;.exe" in text
    assert report.counters.failed == 0
