"""The HTTP request handler serving /EWS/Exchange.asmx for one on-premises organisation."""

from __future__ import annotations

import logging
import time
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import urlsplit

from . import actions, convert_id, find_item, folders, items  # noqa: F401  (registers the operations)
from .auth import AuthenticationFailed, ConnectionAuth, authenticate
from .backend import MailboxBackend, MailboxError
from .operation import MAILBOX_OPERATIONS, OPERATIONS, OperationContext
from .soap import SoapFault, envelope, fault_envelope, parse_request, schema_error
from .versions import ServerProfile, profile_for

log = logging.getLogger("mar_sandbox.ews")

ENDPOINT_PATH = "/ews/exchange.asmx"
MAX_BODY_BYTES = 64 * 1024 * 1024

IMPERSONATION_DENIED = "The account does not have permission to impersonate the requested user."
NO_MAILBOX = "The SMTP address has no mailbox associated with it."
INVALID_VERSION = "The specified server version is invalid."
INTERNAL_ERROR = "An internal server error occurred. The operation failed."


class EwsHooks:
    """Calls from the handler into the sandbox around each request; the default does nothing."""

    def before_request(self, handler: "EwsRequestHandler") -> bool:
        """Apply connection-level faults; return False when the request must not be answered."""
        return True

    def before_operation(self, operation: str, mailbox: str | None) -> SoapFault | tuple[int, dict[str, str]] | None:
        """Return a fault to send, or an HTTP status with headers, instead of running the operation."""
        return None

    def record(self, operation: str | None, mailbox: str | None, status: int, account: str | None) -> None:
        """Record one served request."""


class EwsRequestHandler(BaseHTTPRequestHandler):
    """Serves EWS over one keep-alive connection; subclasses set the organisation's attributes."""

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    backend: MailboxBackend
    hooks: EwsHooks = EwsHooks()
    org_name = ""

    def setup(self) -> None:
        super().setup()
        self.auth_state = ConnectionAuth()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (stdlib signature)
        log.debug("%s %s", self.address_string(), format % args)

    # HTTP methods

    def do_POST(self) -> None:  # noqa: N802  (stdlib naming)
        started = time.monotonic()
        if urlsplit(self.path).path.lower() != ENDPOINT_PATH:
            self._discard_body()
            self._send(404, b"", "text/html")
            return
        body = self._read_body()
        if body is None:
            return
        if not self.hooks.before_request(self):
            self.close_connection = True
            return
        status, operation, mailbox, account = self._serve(body)
        self.hooks.record(operation, mailbox, status, account)
        log.info(
            "EWS %s org=%s mailbox=%s status=%s in %.1f ms",
            operation or "-", self.org_name, mailbox or "-", status, (time.monotonic() - started) * 1000,
        )

    def do_GET(self) -> None:  # noqa: N802
        if urlsplit(self.path).path.lower() != ENDPOINT_PATH:
            self._send(404, b"", "text/html")
            return
        if self._authenticate() is None:
            return
        self._send(200, b"<html><body>You have created a service.</body></html>", "text/html; charset=utf-8")

    # Steps

    def _profile(self) -> ServerProfile:
        return profile_for(self.backend.server_version())

    def _serve(self, body: bytes) -> tuple[int, str | None, str | None, str | None]:
        account = self._authenticate()
        if account is None:
            return 401, None, None, None
        profile = self._profile()
        operation = mailbox = None
        try:
            request = parse_request(body)
            operation = request.name
            mailbox = request.impersonated_address
            if not profile.accepts(request.requested_version):
                raise SoapFault("ErrorInvalidServerVersion", INVALID_VERSION, with_version=False)
            handler = OPERATIONS.get(operation)
            if handler is None:
                raise schema_error(
                    f"The element 'Body' in namespace 'http://schemas.xmlsoap.org/soap/envelope/' has invalid "
                    f"child element '{operation}' in namespace "
                    "'http://schemas.microsoft.com/exchange/services/2006/messages'."
                )
            if operation in MAILBOX_OPERATIONS and mailbox is not None:
                self._check_impersonation(account, mailbox)
            injected = self.hooks.before_operation(operation, mailbox)
            if isinstance(injected, SoapFault):
                raise injected
            if injected is not None:
                status, headers = injected
                self._send(status, b"", "text/html", headers)
                return status, operation, mailbox, account.username
            context = OperationContext(self.backend, account, request, mailbox.lower() if mailbox else None)
            content = handler(context)
        except MailboxError as exc:
            return self._fault(profile, SoapFault(exc.code, exc.message), operation, mailbox, account.username)
        except SoapFault as fault:
            return self._fault(profile, fault, operation, mailbox, account.username)
        except Exception:  # noqa: BLE001  (a sandbox bug must not reach the client as a stack trace)
            log.exception("EWS %s failed in the sandbox", operation)
            fault = SoapFault("ErrorInternalServerError", INTERNAL_ERROR)
            return self._fault(profile, fault, operation, mailbox, account.username)
        self._send(200, envelope(profile, content), "text/xml; charset=utf-8")
        return 200, operation, mailbox, account.username

    def _check_impersonation(self, account, mailbox: str) -> None:
        if not account.can_impersonate:
            raise SoapFault("ErrorImpersonateUserDenied", IMPERSONATION_DENIED)
        if self.backend.mailbox_location(mailbox) != "here":
            raise SoapFault("ErrorNonExistentMailbox", NO_MAILBOX, values={"SmtpAddress": mailbox})

    def _fault(self, profile, fault: SoapFault, operation, mailbox, username) -> tuple[int, Any, Any, Any]:
        log.info("EWS %s fault %s", operation or "-", fault.code)
        self._send(500, fault_envelope(profile, fault), "text/xml; charset=utf-8")
        return 500, operation, mailbox, username

    def _authenticate(self):
        try:
            account, challenge = authenticate(
                self.headers.get("Authorization"),
                self.auth_state,
                self.backend,
                self.backend.auth_methods(),
                self.headers.get("Host", "localhost"),
            )
        except AuthenticationFailed as failed:
            self._send_unauthorized(failed.challenges)
            return None
        if challenge is not None:
            self._send_unauthorized([challenge])
            return None
        return account

    def _send_unauthorized(self, challenges: list[str]) -> None:
        self.send_response(401)
        for challenge in challenges:
            self.send_header("WWW-Authenticate", challenge)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _read_body(self) -> bytes | None:
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self._send(411, b"", "text/html")
            self.close_connection = True
            return None
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._send(400, b"", "text/html")
            self.close_connection = True
            return None
        return self.rfile.read(length)

    def _discard_body(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if 0 < length <= MAX_BODY_BYTES:
            self.rfile.read(length)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def build_handler_class(backend: MailboxBackend, org_name: str, hooks: EwsHooks | None = None) -> type[EwsRequestHandler]:
    """Return a handler class bound to one organisation's backend."""
    attributes: dict[str, Any] = {"backend": backend, "org_name": org_name}
    if hooks is not None:
        attributes["hooks"] = hooks
    return type(f"EwsHandler_{org_name}", (EwsRequestHandler,), attributes)


HandlerFactory = Callable[[Any, str], type[EwsRequestHandler]]
