"""The HTML report loads in headless Chromium without console errors and is not blank.

Skipped only when Chromium is missing and CI is unset; in CI a missing
Chromium fails the test, so the install step must provide it.
"""

from __future__ import annotations

import os

import pytest

from mar_runner.report import build_report, render

from .chromium import chromium_binary, png_colours, render_page
from .samples import DELIVERIES, EVIL_NAME, SHA_EVIL, sample_outcomes


@pytest.fixture(scope="module")
def chromium():
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: install the Debian package chromium (CI must provide it)")
        pytest.skip("Chromium is not installed and CI is unset")
    return binary


@pytest.fixture(scope="module")
def page_run(chromium, tmp_path_factory):
    work = tmp_path_factory.mktemp("chromium")
    page = work / "report.html"
    page.write_text(render(build_report(sample_outcomes(), deliveries=DELIVERIES), "html"), encoding="utf-8")
    return render_page(chromium, page, work)


def test_no_console_errors(page_run):
    assert page_run.console == []


def test_dom_has_report(page_run):
    assert "<h1>Remediation report</h1>" in page_run.dom
    assert f'id="sha-{SHA_EVIL}-m1"' in page_run.dom


def test_script_in_file_name_stays_text(page_run):
    assert "<script" not in page_run.dom
    assert "&lt;script&gt;" in page_run.dom
    assert EVIL_NAME.replace("<", "&lt;").replace(">", "&gt;") in page_run.dom


def test_screenshot_not_blank(page_run):
    assert page_run.screenshot.exists()
    assert len(png_colours(page_run.screenshot)) > 2


def test_console_errors_detected(chromium, tmp_path):
    # The check itself must be able to fail: a page with a failing script is caught.
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>x</title><p>x</p><script>undefinedFunction()</script>", encoding="utf-8")
    run = render_page(chromium, page, tmp_path)
    assert any("undefinedFunction is not defined" in line for line in run.console)


def test_blank_page_detected(chromium, tmp_path):
    page = tmp_path / "blank.html"
    page.write_text("<!DOCTYPE html><title>x</title>", encoding="utf-8")
    run = render_page(chromium, page, tmp_path)
    assert len(png_colours(run.screenshot)) <= 2
