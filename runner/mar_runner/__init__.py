"""mailsec.mar remediation engine: configuration, tracking, verdicts, engine, reports, CLI."""

__version__ = "0.1.0"
