"""Fixtures every area uses."""

from __future__ import annotations

import pytest

from mar_runner import i18n


@pytest.fixture(autouse=True)
def english_by_default(monkeypatch):
    """Run each test in English whatever the machine's locale, and reset --lang after it."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    """A fresh state directory, also exported as MAR_STATE_DIR."""
    path = tmp_path / "state"
    monkeypatch.setenv("MAR_STATE_DIR", str(path))
    return path
