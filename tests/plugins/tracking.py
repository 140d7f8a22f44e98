"""Fixtures of the tracking area."""
