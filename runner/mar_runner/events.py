"""Structured engine events on the logger ``mar.events``.

Every remediation step that an operator may need to audit is logged here with
its ids. A record carries ``mar_event`` (the event name) and ``mar_fields``
(ids and values: run_id, mid, message_id, recipient, profile, action, status,
reason, ...). The handlers in ``mar_runner.logs`` format these records as the
mail log, the remediation log and JSON Lines. Never put a secret, a token, a
header or a message body in the fields.
"""

from __future__ import annotations

import logging
from typing import Any

LOGGER_NAME = "mar.events"
logger = logging.getLogger(LOGGER_NAME)

EVENTS = (
    "run_started",
    "profile_attempt",
    "action",
    "error",
    "recipient_outcome",
    "run_finished",
    "alert",
)


def emit(event: str, message: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """Log one engine event; ``message`` is the English one-line summary."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}: use one of {', '.join(EVENTS)}")
    logger.log(level, message, extra={"mar_event": event, "mar_fields": fields})
