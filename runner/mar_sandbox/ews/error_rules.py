"""EWS error injection beyond the shared fault kinds: a given EWS fault or HTTP status for chosen requests.

Real servers fail in ways the shared fault rules do not cover, for example impersonation refused
for a few mailboxes only while the right is being replicated, or HTTP 403 on a folder bind right
after a permission change. A rule matches by mailbox and operation, fires at most `count` times
(every time when None) and is removed when the sandbox resets.

    rules = ews_error_rules(sandbox.context)
    rules.add(code="ErrorImpersonateUserDenied", mailbox="erin@corp.example", count=1)
    rules.add(status=403, operation="GetFolder")
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .soap import SoapFault

# Texts Exchange sends with each response code the rules may inject.
FAULT_TEXTS = {
    "ErrorImpersonateUserDenied": "The account does not have permission to impersonate the requested user.",
    "ErrorNonExistentMailbox": "The SMTP address has no mailbox associated with it.",
    "ErrorAccessDenied": "Access is denied. Check credentials and try again.",
    "ErrorServerBusy": "The server cannot service this request right now. Try again later.",
    "ErrorItemNotFound": "The specified object was not found in the store.",
    "ErrorMailboxMoveInProgress": "Mailbox move in progress. Try again later.",
    "ErrorInternalServerError": "An internal server error occurred. The operation failed.",
}

# Pages IIS sends with each status the rules may inject.
STATUS_PAGES = {
    401: b"",
    403: b"<html><head><title>403 - Forbidden: Access is denied.</title></head><body><h2>403 - Forbidden: Access is denied.</h2></body></html>",
    404: b"<html><head><title>404 - File or directory not found.</title></head><body><h2>404 - File or directory not found.</h2></body></html>",
    500: b"<html><head><title>Runtime Error</title></head><body><h1>Server Error in '/EWS' Application.</h1></body></html>",
    502: b"<html><head><title>502 - Web server received an invalid response</title></head><body></body></html>",
    503: b"<html><head><title>Service Unavailable</title></head><body><h2>Service Unavailable</h2></body></html>",
}


@dataclass
class EwsErrorRule:
    """One injected error: a SOAP fault `code` or an HTTP `status`, for matching requests."""

    rule_id: int
    code: str | None = None
    status: int | None = None
    mailbox: str | None = None
    operation: str | None = None
    count: int | None = None
    back_off_ms: int = 1000
    fired: int = 0

    def matches(self, mailbox: str | None, operation: str | None) -> bool:
        if self.mailbox and (mailbox or "").lower() != self.mailbox:
            return False
        if self.operation and operation != self.operation:
            return False
        return self.count is None or self.fired < self.count

    def fault(self) -> SoapFault:
        values = {"BackOffMilliseconds": str(self.back_off_ms)} if self.code == "ErrorServerBusy" else None
        return SoapFault(self.code or "", FAULT_TEXTS[self.code or ""], values=values)


class EwsErrorRules:
    """The injected-error rules of one sandbox; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[EwsErrorRule] = []
        self._next_id = 1

    def add(
        self,
        *,
        code: str | None = None,
        status: int | None = None,
        mailbox: str | None = None,
        operation: str | None = None,
        count: int | None = None,
        back_off_ms: int = 1000,
    ) -> int:
        """Add a rule and return its id; give exactly one of `code` and `status`."""
        if (code is None) == (status is None):
            raise ValueError("give exactly one of code (an EWS response code) and status (an HTTP status)")
        if code is not None and code not in FAULT_TEXTS:
            raise ValueError(f"unknown EWS error code {code!r}: use one of {', '.join(sorted(FAULT_TEXTS))}")
        if status is not None and status not in STATUS_PAGES:
            raise ValueError(f"unsupported HTTP status {status!r}: use one of {', '.join(map(str, sorted(STATUS_PAGES)))}")
        if count is not None and count < 1:
            raise ValueError(f"count {count!r} must be at least 1, or None for every request")
        with self._lock:
            rule = EwsErrorRule(
                self._next_id, code, status, mailbox.lower() if mailbox else None, operation, count, back_off_ms
            )
            self._next_id += 1
            self._rules.append(rule)
            return rule.rule_id

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[EwsErrorRule]:
        with self._lock:
            return list(self._rules)

    def fire(self, mailbox: str | None, operation: str | None) -> EwsErrorRule | None:
        """Return the first rule matching a request and count it as fired, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(mailbox, operation):
                    rule.fired += 1
                    return rule
        return None


_ATTRIBUTE = "ews_error_rules"
_ATTACH_LOCK = threading.Lock()


def ews_error_rules(context: Any) -> EwsErrorRules:
    """Return the error rules kept on a SandboxContext, creating them (cleared on every reset) the first time."""
    with _ATTACH_LOCK:
        rules = getattr(context, _ATTRIBUTE, None)
        if rules is None:
            rules = EwsErrorRules()
            setattr(context, _ATTRIBUTE, rules)
            context.on_reset.append(rules.clear)
        return rules
