"""Subcommands of marctl (not yet registered)."""


def register(subparsers) -> None:
    """Add this module's subcommands to ``subparsers``."""
