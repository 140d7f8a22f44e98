"""Map exchangelib and transport exceptions to engine reasons."""

from __future__ import annotations

import re

import requests
from exchangelib import errors as ews_errors

from mar_runner.engine.errors import BackendError, PermanentError, backend_error


def map_error(error: Exception, host: str, mailbox: str) -> BackendError:
    """Return the BackendError for an exception raised by exchangelib on ``host``."""
    name = type(error).__name__
    text = str(error)
    if isinstance(error, ews_errors.ErrorServerBusy) and text.startswith("Reraised from ErrorTimeoutExpired"):
        # exchangelib re-raises a timeout or a refused connection as "server busy"
        # when its session pool has more than one session.
        if "Timeout" in text.split("ErrorTimeoutExpired", 1)[1]:
            return backend_error("timed_out", f"{host} did not answer in time", diagnosis="timed_out")
        return backend_error("connection_failed", f"{host} could not be reached", diagnosis="wrong_host")
    if isinstance(error, ews_errors.ErrorServerBusy) and text.startswith("Reraised from"):
        return backend_error("connection_failed", f"transient server error from {host}", diagnosis="server_error")
    if isinstance(error, ews_errors.ErrorServerBusy):
        back_off = getattr(error, "back_off", None)
        return backend_error("throttled", "ErrorServerBusy: The server cannot service this request right now.",
                             retry_after=back_off, diagnosis="throttled")
    if isinstance(error, ews_errors.UnauthorizedError):
        return PermanentError("authentication_failed", f"HTTP 401 from {host}", diagnosis="invalid_password")
    if isinstance(error, ews_errors.ErrorImpersonateUserDenied):
        return PermanentError("permission_denied", "ErrorImpersonateUserDenied: " + _first_line(text),
                              diagnosis="impersonation_denied")
    if isinstance(error, ews_errors.ErrorNonExistentMailbox):
        return PermanentError("mailbox_not_found", "ErrorNonExistentMailbox: " + _first_line(text), diagnosis="no_mailbox")
    if isinstance(error, (ews_errors.ErrorAccessDenied,)):
        return PermanentError("permission_denied", f"{name}: {_first_line(text)}", diagnosis="impersonation_denied")
    if isinstance(error, ews_errors.ErrorItemNotFound):
        return PermanentError("message_not_found", "ErrorItemNotFound: " + _first_line(text))
    if isinstance(error, ews_errors.ErrorMessageSizeExceeded):
        return PermanentError("message_too_large", "ErrorMessageSizeExceeded: " + _first_line(text))
    if isinstance(error, ews_errors.RateLimitError):
        return backend_error("throttled", f"{host} kept asking to back off", diagnosis="throttled")
    if isinstance(error, ews_errors.ErrorTimeoutExpired):
        if "Timeout" in text:
            return backend_error("timed_out", f"{host} did not answer in time", diagnosis="timed_out")
        return backend_error("connection_failed", f"{host} could not be reached", diagnosis="wrong_host")
    if isinstance(error, ews_errors.ErrorInternalServerTransientError):
        return backend_error("connection_failed", f"transient server error from {host}", diagnosis="server_error")
    # MalformedResponseError is a TransportError that carries the HTTP status.
    if isinstance(error, ews_errors.MalformedResponseError):
        status = re.search(r"Code: (\d{3})", text)
        code = int(status.group(1)) if status else None
        if code == 403:
            return PermanentError("permission_denied", f"HTTP 403 from {host}", status=403, diagnosis="impersonation_denied")
        if code is not None and code >= 500:
            return backend_error("connection_failed", f"HTTP {code} from {host}", status=code, diagnosis="server_error")
        return PermanentError("server_error", f"unexpected response from {host}" + (f" (HTTP {code})" if code else ""),
                              status=code, diagnosis="server_error")
    if isinstance(error, ews_errors.TransportError):
        if "SSL" in text or "CERTIFICATE" in text.upper():
            return PermanentError("tls_verification_failed", f"certificate of {host} could not be verified",
                                  diagnosis="tls_untrusted")
        return backend_error("connection_failed", f"{host} could not be reached", diagnosis="wrong_host")
    if isinstance(error, requests.exceptions.SSLError):
        return PermanentError("tls_verification_failed", f"certificate of {host} could not be verified",
                              diagnosis="tls_untrusted")
    if isinstance(error, requests.exceptions.Timeout):
        return backend_error("timed_out", f"{host} did not answer in time", diagnosis="timed_out")
    if isinstance(error, requests.exceptions.ConnectionError):
        return backend_error("connection_failed", f"{host} could not be reached", diagnosis="wrong_host")
    if isinstance(error, ews_errors.CASError):
        return PermanentError("server_error", f"CAS error from {host}", diagnosis="server_error")
    if isinstance(error, ews_errors.ResponseMessageError):
        return PermanentError("server_error", f"{name}: {_first_line(text)}", diagnosis="server_error")
    if isinstance(error, ews_errors.EWSError):
        return PermanentError("server_error", f"{name} from {host}", diagnosis="server_error")
    raise error


def _first_line(text: str) -> str:
    return text.splitlines()[0][:300] if text else ""
