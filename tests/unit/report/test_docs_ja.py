"""The Japanese troubleshooting page explains every reason code and every diagnosis."""

from __future__ import annotations

from pathlib import Path

import pytest

from mar_runner.engine import reasons

PAGE = Path(__file__).parents[3] / "docs" / "ja" / "troubleshooting.md"
VALUES = {"client_id": "<client_id>", "tenant_id": "<tenant_id>", "address": "<address>", "host": "<host>"}


@pytest.fixture(scope="module")
def page():
    return PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(reasons.REASONS))
def test_reason_with_fix(page, code):
    rendered = reasons.REASONS[code].render("ja")
    assert f"| `{code}` | {rendered['text']} | {rendered['fix']} |" in page


@pytest.mark.parametrize("code", sorted(reasons.DIAGNOSES))
def test_diagnosis_with_fix(page, code):
    diagnosis = reasons.DIAGNOSES[code]
    english = diagnosis.render("en", **VALUES)
    japanese = diagnosis.render("ja", **VALUES)
    assert f"### `{code}` (理由コード `{diagnosis.reason}`)" in page
    assert f"- サーバーのメッセージ: `{english['message']}`" in page
    assert f"- 原因: {japanese['cause']}" in page
    assert f"- 対処: {japanese['fix']}" in page


@pytest.mark.parametrize("name", ["installation.md", "demo.md", "configuration.md", "troubleshooting.md", "logs.md", "reports.md"])
def test_page_links_resolve(name):
    import re

    page = PAGE.parent / name
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        assert (page.parent / target).resolve().exists(), f"{name} links to missing {target}"
