"""Command-line interface ``marctl``: one module per group of subcommands."""
