"""Field order of the log lines, and the fields whose values are never written."""

from __future__ import annotations

from typing import Any

# A field whose name contains one of these words is written as REDACTED, so
# that a secret, token, header or message body passed by mistake does not
# reach a log. Values of other fields are written as given.
FORBIDDEN_WORDS = (
    "password",
    "passphrase",
    "secret",
    "token",
    "private_key",
    "authorization",
    "cookie",
    "header",
    "body",
    "mime",
)
REDACTED = "<redacted>"

# Fields shown first, in this order; other fields follow sorted by name.
LEADING_FIELDS = (
    "run_id",
    "mid",
    "message_id",
    "recipient",
    "sha256",
    "profile",
    "action",
    "status",
    "reason",
)

MAIL_LOG_EVENTS = frozenset({"run_started", "recipient_outcome", "run_finished"})
REMEDIATION_LOG_EVENTS = frozenset({"run_started", "profile_attempt", "action", "error", "run_finished", "alert"})


def is_forbidden(name: str) -> bool:
    """Return True when a field of that name must never reach a log."""
    lowered = name.lower()
    return any(word in lowered for word in FORBIDDEN_WORDS)


def safe_fields(fields: dict[str, Any] | None) -> dict[str, Any]:
    """Return the fields in log order, with forbidden values replaced by REDACTED."""
    if not fields:
        return {}
    ordered: dict[str, Any] = {}
    for name in LEADING_FIELDS:
        if name in fields:
            ordered[name] = fields[name]
    for name in sorted(fields):
        if name not in ordered:
            ordered[name] = fields[name]
    return {name: (REDACTED if is_forbidden(name) and value is not None else value) for name, value in ordered.items()}
