"""Exceptions of the remediation engine and its backends.

    EngineError                 the run itself cannot go on (exit code 1)
    ├── ConfigurationMissing    no configuration applied to the state directory (exit code 2)
    └── FaultInjected           a named fault point was reached (tests only; the process exits)
    BackendError                one mailbox call failed; carries a reason code
    ├── TransientError          worth another attempt (timeout, 5xx, throttling, dropped connection)
    └── PermanentError          never retried (authentication, permission, no such mailbox)
"""

from __future__ import annotations

from mar_runner.engine import reasons


class EngineError(Exception):
    """The run cannot go on."""


class ConfigurationMissing(EngineError):
    """No configuration has been applied to the state directory."""


class BackendError(Exception):
    """A call to a mailbox server failed.

    ``reason`` is a code of ``mar_runner.engine.reasons``; ``server_message``
    is the server's own text (never a token or a body); ``diagnosis`` names
    the test-connection row; ``retry_after`` is the wait in seconds the server
    asked for, if any.
    """

    def __init__(
        self,
        reason: str,
        server_message: str = "",
        *,
        diagnosis: str | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        host: str | None = None,
    ) -> None:
        reasons.get(reason)  # reject an unknown code where it is raised
        super().__init__(f"{reason}: {server_message}" if server_message else reason)
        self.reason = reason
        self.server_message = server_message
        self.diagnosis = diagnosis
        self.retry_after = retry_after
        self.status = status
        self.host = host  # host[:port] of the failed request, or None when the backend does not record it

    @property
    def transient(self) -> bool:
        """True when another attempt may succeed."""
        return reasons.is_transient(self.reason)


class TransientError(BackendError):
    """A failure worth another attempt."""


class PermanentError(BackendError):
    """A failure that another attempt would repeat."""


def backend_error(reason: str, server_message: str = "", **kwargs) -> BackendError:
    """Build the TransientError or PermanentError that fits ``reason``."""
    cls = TransientError if reasons.is_transient(reason) else PermanentError
    return cls(reason, server_message, **kwargs)
