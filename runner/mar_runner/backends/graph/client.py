"""HTTP calls to Microsoft Graph for one profile: token, TLS, timeout, retries and error mapping."""

from __future__ import annotations

import json
import logging
from typing import Any


from mar_runner.backends.graph.auth import TokenProvider
from mar_runner.backends.graph.transport import Transport
from mar_runner.engine.errors import BackendError, PermanentError, backend_error
from mar_runner.engine.limits import KeyedLimiter
from mar_runner.engine.retry import RetryPolicy

logger = logging.getLogger("mar.backends.graph")


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers else None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def response_error(status: int, body: Any, headers: Any, mailbox: str) -> BackendError:
    """Map a Graph error response (status, JSON body, headers) to a BackendError."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code", "") if isinstance(error, dict) else ""
    message = error.get("message", "") if isinstance(error, dict) else ""
    text = f"{code}: {message}" if code else f"HTTP {status}"
    if status == 429:
        return backend_error("throttled", text, retry_after=_retry_after(headers), status=status, diagnosis="throttled")
    if status >= 500:
        return backend_error("connection_failed", text, retry_after=_retry_after(headers), status=status,
                             diagnosis="server_error")
    if code == "MailboxNotEnabledForRESTAPI":
        return PermanentError("wrong_profile_type", text, status=status, diagnosis="wrong_profile_type")
    if code == "ErrorInvalidUser" or (status == 404 and "user" in message.lower() and "invalid" in message.lower()):
        return PermanentError("mailbox_not_found", text, status=status, diagnosis="invalid_user")
    if status == 404:
        return PermanentError("message_not_found", text, status=status)
    if status == 403:
        return PermanentError("permission_denied", text, status=status, diagnosis="access_denied")
    if status == 401:
        return PermanentError("authentication_failed", text, status=status, diagnosis="invalid_signature")
    if status == 413 or code in ("ErrorMessageSizeExceeded", "RequestEntityTooLarge"):
        return PermanentError("message_too_large", text, status=status)
    return PermanentError("server_error", text, status=status, diagnosis="server_error")


class GraphClient:
    """Send Graph requests with the profile's token, CA, timeout, per-mailbox limit and retries.

    Mail requests go through ``Transport`` (http.client, one keep-alive
    connection per worker thread); msal keeps its own requests session.
    """

    def __init__(
        self,
        transport: Transport,
        tokens: TokenProvider,
        graph_url: str,
        *,
        timeout: float,
        retry: RetryPolicy,
        per_mailbox: int,
        profile_name: str,
    ) -> None:
        self.transport = transport
        self.tokens = tokens
        self.base = graph_url.rstrip("/") + "/v1.0"
        self.host = graph_url.split("://", 1)[-1].split("/", 1)[0]
        self.timeout = timeout
        self.retry = retry
        self.mailboxes = KeyedLimiter(per_mailbox)
        self.profile_name = profile_name
        self.requests_sent = 0

    def request(
        self,
        method: str,
        path: str,
        mailbox: str,
        *,
        body: Any = None,
        url: str | None = None,
        slots: int = 1,
    ) -> tuple[int, Any]:
        """Send one request (retrying transient failures) and return (status, JSON body or None).

        ``path`` is relative to ``/v1.0``; ``url`` (a nextLink) is used as
        given. ``slots`` is how many of the mailbox's concurrent-request
        slots the call takes (a $batch runs up to 4 sub-requests at once).
        """
        retries = {"count": 0}

        def on_retry(attempt: int, error: BackendError, wait: float) -> None:
            retries["count"] += 1
            logger.info(
                "profile %s: %s %s for %s failed (%s), try %d again in %.2fs",
                self.profile_name, method, path.split("?", 1)[0], mailbox, error.reason, attempt + 1, wait,
            )

        return self.retry.call(lambda: self._send(method, path, mailbox, body, url, slots), on_retry=on_retry)

    def _send(self, method: str, path: str, mailbox: str, body: Any, url: str | None, slots: int):
        refreshed = False
        while True:
            token = self.tokens.token(refresh=refreshed)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            data = None
            if body is not None:
                headers["Content-Type"] = "application/json"
                data = json.dumps(body).encode("utf-8")
            target = url or f"{self.base}{path}"
            with self._slots(mailbox, slots):
                response = self.transport.request(method, target, headers, data)
            self.requests_sent += 1
            logger.debug("profile %s: %s %s -> %d", self.profile_name, method, path.split("?", 1)[0], response.status)
            parsed = _json(response.data)
            if response.status == 401 and not refreshed:
                # An expired or revoked token: get a fresh one once before giving up.
                refreshed = True
                continue
            if response.status >= 400:
                raise response_error(response.status, parsed, response.headers, mailbox)
            return response.status, parsed

    def _slots(self, mailbox: str, slots: int):
        return self.mailboxes.hold(mailbox, slots)


def _json(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
