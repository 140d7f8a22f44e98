"""Shared test set-up: fixtures live in tests/plugins/, one module per area."""

pytest_plugins = [
    "tests.plugins.common",
    "tests.plugins.sandbox",
    "tests.plugins.config",
    "tests.plugins.tracking",
    "tests.plugins.engine",
]
