"""Fixtures of the sandbox area.

``sandbox`` is one running sandbox per test session, reset to its seed before
each test. A test module changes the seed by overriding ``sandbox_seed``
(return a dict), or a test calls ``sandbox.load_seed(...)`` itself; the next
test gets the standard seed back.
"""

from __future__ import annotations

import pytest

from mar_sandbox import Sandbox
from mar_sandbox.testing import standard_seed


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """The session's running sandbox, started with the standard seed."""
    server = Sandbox(standard_seed(), state_dir=tmp_path_factory.mktemp("sandbox"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox_seed() -> dict:
    """The seed of the ``sandbox`` fixture; override it in a module to use another."""
    return standard_seed()


@pytest.fixture
def sandbox(sandbox_server, sandbox_seed):
    """The session's sandbox with state, faults, clock and request log reset to ``sandbox_seed``."""
    # reset() is several times faster than load_seed(), which validates the
    # seed again; most tests keep the seed the previous test had.
    if sandbox_server.seed_copy() == sandbox_seed:
        sandbox_server.reset()
    else:
        sandbox_server.load_seed(sandbox_seed)
    yield sandbox_server
    sandbox_server.set_clock_offset(0)
