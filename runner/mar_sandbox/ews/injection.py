"""Fault injection for EWS requests, through the sandbox's shared fault rules.

A throttle becomes the ErrorServerBusy fault with BackOffMilliseconds, as Exchange sends it when a
caller exceeds its budget. Server errors, hangs and dropped connections act on the HTTP connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .soap import SoapFault

log = logging.getLogger("mar_sandbox.ews")

SERVER_BUSY = "The server cannot service this request right now. Try again later."

# Error pages IIS sends for a 503 and for a 500 outside the EWS application (exchangelib retries both).
_ERROR_PAGES = {
    500: b"<html><head><title>Runtime Error</title></head><body><h1>Server Error in '/EWS' Application.</h1></body></html>",
    503: b"<html><head><title>Service Unavailable</title></head><body><h2>Service Unavailable</h2></body></html>",
}


@dataclass
class Outcome:
    """The request log's record of one EWS request."""

    status: int = 0
    operation: str | None = None
    mailbox: str | None = None
    account: str | None = None
    error: str | None = None
    injected: str | None = None
    # Seconds to wait before closing the connection without a response: set for a hang, 0 for a drop.
    hang_seconds: float | None = None


def server_busy(back_off_ms: int) -> SoapFault:
    return SoapFault("ErrorServerBusy", SERVER_BUSY, values={"BackOffMilliseconds": str(back_off_ms)})


def apply_faults(handler: Any, faults: Any, outcome: Outcome) -> bool:
    """Apply the fault rules matching this request; return False when the request must not run.

    Raises the ErrorServerBusy fault for a throttle.
    """
    decision = faults.decide("ews", mailbox=outcome.mailbox, operation=outcome.operation, app=outcome.account)
    if decision.delay:
        faults.wait(decision.delay)
    if decision.action is None:
        return True
    outcome.injected = decision.action
    log.info("EWS %s: injected %s for mailbox=%s", outcome.operation, decision.action, outcome.mailbox or "-")
    if decision.action == "throttle":
        raise server_busy(decision.backoff_ms)
    if decision.action == "server_error":
        status = decision.status or 503
        page = _ERROR_PAGES.get(status, _ERROR_PAGES[503])
        handler.send_plain(status, page)
        outcome.status = status
        return False
    outcome.hang_seconds = decision.seconds if decision.action == "hang" else 0.0
    outcome.status = 0
    return False


@contextmanager
def concurrency_slot(sandbox: Any, outcome: Outcome) -> Iterator[None]:
    """Hold an in-flight slot for the request's mailbox, or raise ErrorServerBusy when the limit is reached."""
    if sandbox is None:
        yield
        return
    with sandbox.faults.slot("ews", outcome.account, outcome.mailbox) as over:
        if over is not None:
            outcome.injected = "concurrency"
            raise server_busy(over.backoff_ms)
        yield
