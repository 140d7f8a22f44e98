"""Graph error responses: ``{"error": {"code", "message", "innerError": {...}}}``."""

from __future__ import annotations

import uuid
from datetime import datetime

WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)


class GraphError(Exception):
    """An error response; ``headers`` are extra response headers (Retry-After, WWW-Authenticate)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self, now: datetime, request_id: str | None = None, client_request_id: str | None = None) -> dict:
        request_id = request_id or str(uuid.uuid4())
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": now.strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                    "client-request-id": client_request_id or request_id,
                },
            }
        }


def invalid_user(user: str) -> GraphError:
    return GraphError(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")


def item_not_found() -> GraphError:
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def id_malformed() -> GraphError:
    return GraphError(400, "ErrorInvalidIdMalformed", "Id is malformed.")


def access_denied() -> GraphError:
    return GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")


def odata_disabled() -> GraphError:
    return GraphError(403, "ErrorAccessDenied", "Access to OData is disabled.")


def mailbox_on_premises() -> GraphError:
    return GraphError(
        404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise."
    )


def token_missing() -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", {"WWW-Authenticate": WWW_AUTHENTICATE})


def token_invalid() -> GraphError:
    return GraphError(
        401, "InvalidAuthenticationToken", "Access token validation failure.", {"WWW-Authenticate": WWW_AUTHENTICATE}
    )


def token_expired() -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        "Access token has expired or is not yet valid.",
        {"WWW-Authenticate": WWW_AUTHENTICATE},
    )


def token_audience() -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        "Access token validation failure. Invalid audience.",
        {"WWW-Authenticate": WWW_AUTHENTICATE},
    )


def throttled(retry_after: float, reason: str) -> GraphError:
    seconds = str(max(1, int(round(retry_after))))
    # NOTE: Exchange Online's text for the per-mailbox request budget is not
    # documented; the concurrency text is the one seen in real responses.
    limit = "MailboxConcurrency" if reason != "rate_limit" else "MailboxRequestRate"
    return GraphError(429, "ApplicationThrottled", f"Application is over its {limit} limit.", {"Retry-After": seconds})


SERVER_ERRORS = {
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad Gateway."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The gateway did not receive a response in time."),
}


def server_error(status: int) -> GraphError:
    code, message = SERVER_ERRORS.get(status, ("ServiceUnavailable", "The service is temporarily unavailable. Please retry later."))
    return GraphError(status, code, message)


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def unreadable_json() -> GraphError:
    return bad_request(
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
    )


def segment_not_found(segment: str) -> GraphError:
    return bad_request(f"Resource not found for the segment '{segment}'.")


def no_recipients() -> GraphError:
    return bad_request("At least one recipient is required, but none were found.", "ErrorInvalidRecipients")


def message_too_large() -> GraphError:
    # NOTE: code and text as reported for Exchange Online; the HTTP status
    # (400) is an assumption.
    return bad_request("The message exceeds the maximum supported size.", "ErrorMessageSizeExceeded")


def method_not_allowed() -> GraphError:
    return GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
