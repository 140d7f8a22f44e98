"""Fixtures of the sandbox area."""
