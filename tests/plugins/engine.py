"""Fixtures of the engine area."""
