"""One real replay on the sandbox, shared by the report and tracking tests of this folder."""

from __future__ import annotations

import pytest

from .sandbox_replay import run_sandbox_replay


@pytest.fixture(scope="package")
def replayed(tmp_path_factory, engine_sandbox_session, app_credentials):
    return run_sandbox_replay(tmp_path_factory.mktemp("report-replay"), engine_sandbox_session, app_credentials)
