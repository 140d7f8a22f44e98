"""Fixtures of the config area."""
