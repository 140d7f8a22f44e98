"""One real replay on the sandbox, shared by the report and tracking tests of this folder."""

from __future__ import annotations

import pytest

from tests.plugins.engine import make_app_credentials

from .sandbox_replay import run_sandbox_replay


@pytest.fixture(scope="package")
def replayed(tmp_path_factory, engine_sandbox_session, app_credentials):
    other_key = make_app_credentials().key_pem
    return run_sandbox_replay(tmp_path_factory.mktemp("report-replay"), engine_sandbox_session, app_credentials, other_key)
