"""The HTTP request handler serving /EWS/Exchange.asmx for one on-premises organisation."""

from __future__ import annotations

import io
import logging
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from . import actions, convert_id, find_item, folders, items  # noqa: F401  (registers the operations)
from .auth import AuthenticationFailed, ConnectionAuth, authenticate, challenges
from .error_rules import STATUS_PAGES, ews_error_rules
from .backend import MailboxBackend, MailboxError
from .injection import Outcome, apply_faults, concurrency_slot
from .operation import MAILBOX_OPERATIONS, OPERATIONS, OperationContext
from .soap import SoapFault, envelope, fault_envelope, parse_request, schema_error
from .versions import ServerProfile, profile_for

log = logging.getLogger("mar_sandbox.ews")

ENDPOINT_PATH = "/ews/exchange.asmx"
MAX_BODY_BYTES = 64 * 1024 * 1024

IMPERSONATION_DENIED = "The account does not have permission to impersonate the requested user."
NO_MAILBOX = "The SMTP address has no mailbox associated with it."
# Exchange's text for an address of its own domains whose mailbox moved to Exchange Online
# (a remote mailbox in a hybrid deployment).
NO_MAILBOX_GUID = "No mailbox with such guid."
INVALID_VERSION = "The specified server version is invalid."
INTERNAL_ERROR = "An internal server error occurred. The operation failed."


class EwsRequestHandler(BaseHTTPRequestHandler):
    """Serves EWS over one keep-alive connection; subclasses set the organisation's attributes."""

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    backend: MailboxBackend
    org_name = ""
    # The sandbox's shared objects (faults, request log); None serves without fault injection.
    sandbox: Any = None

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
        # The response is buffered and sent after the request is logged, so a client that reads the
        # request log right after its call returns always finds the entry.
        connection_output = self.wfile
        self.wfile = io.BytesIO()
        try:
            outcome = self._serve(body)
            answer = self.wfile.getvalue()
        finally:
            self.wfile = connection_output
        duration_ms = (time.monotonic() - started) * 1000
        if self.sandbox is not None:
            self.sandbox.log.record(
                "ews",
                "POST",
                urlsplit(self.path).path,
                outcome.status,
                mailbox=outcome.mailbox,
                operation=outcome.operation,
                app=outcome.account,
                error=outcome.error,
                fault=outcome.injected,
                duration_ms=duration_ms,
            )
        log.info(
            "EWS %s org=%s mailbox=%s status=%s error=%s in %.1f ms",
            outcome.operation or "-", self.org_name, outcome.mailbox or "-", outcome.status, outcome.error or "-", duration_ms,
        )
        if outcome.hang_seconds is not None:
            self.sandbox.faults.wait(outcome.hang_seconds)
            self.drop_connection()
            return
        self.wfile.write(answer)

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

    def _serve(self, body: bytes) -> "Outcome":
        outcome = Outcome()
        account = self._authenticate()
        if account is None:
            outcome.status = 401
            return outcome
        outcome.account = account.username
        profile = self._profile()
        try:
            request = parse_request(body)
            outcome.operation = request.name
            outcome.mailbox = request.impersonated_address
            if not profile.accepts(request.requested_version):
                raise SoapFault("ErrorInvalidServerVersion", INVALID_VERSION, with_version=False)
            handler = OPERATIONS.get(request.name)
            if handler is None:
                raise schema_error(
                    "The element 'Body' in namespace 'http://schemas.xmlsoap.org/soap/envelope/' has invalid "
                    f"child element '{request.name}' in namespace "
                    "'http://schemas.microsoft.com/exchange/services/2006/messages'."
                )
            if request.name in MAILBOX_OPERATIONS and outcome.mailbox is not None:
                self._check_impersonation(account, outcome.mailbox)
            if self.sandbox is not None and not self._apply_error_rules(outcome):
                return outcome
            context = OperationContext(self.backend, account, request, outcome.mailbox.lower() if outcome.mailbox else None)
            # The in-flight slot covers injected latency too, as a slow server keeps the request open.
            with concurrency_slot(self.sandbox, outcome):
                if self.sandbox is not None and not apply_faults(self, self.sandbox.faults, outcome):
                    return outcome
                content = handler(context)
        except MailboxError as exc:
            return self._fault(profile, SoapFault(exc.code, exc.message), outcome)
        except SoapFault as fault:
            return self._fault(profile, fault, outcome)
        except Exception:  # noqa: BLE001  (a sandbox bug must reach the client as a SOAP fault, not a stack trace)
            log.exception("EWS %s failed in the sandbox", outcome.operation)
            return self._fault(profile, SoapFault("ErrorInternalServerError", INTERNAL_ERROR), outcome)
        self._send(200, envelope(profile, content), "text/xml; charset=utf-8")
        outcome.status = 200
        return outcome

    def _apply_error_rules(self, outcome: Outcome) -> bool:
        """Send an injected error when a rule matches; return False when the request must not run."""
        rule = ews_error_rules(self.sandbox).fire(outcome.mailbox, outcome.operation)
        if rule is None:
            return True
        outcome.injected = "ews_error"
        if rule.code is not None:
            raise rule.fault()
        status = rule.status or 500
        if status == 401:
            self._send_unauthorized(challenges(self.backend.auth_methods(), self.headers.get("Host", "localhost")))
        else:
            self._send(status, STATUS_PAGES[status], "text/html")
        outcome.status = status
        return False

    def _check_impersonation(self, account, mailbox: str) -> None:
        if not account.can_impersonate:
            raise SoapFault("ErrorImpersonateUserDenied", IMPERSONATION_DENIED)
        location = self.backend.mailbox_location(mailbox)
        if location == "migrated":
            raise SoapFault("ErrorNonExistentMailbox", NO_MAILBOX_GUID, values={"SmtpAddress": mailbox})
        if location != "here":
            raise SoapFault("ErrorNonExistentMailbox", NO_MAILBOX, values={"SmtpAddress": mailbox})

    def _fault(self, profile: ServerProfile, fault: SoapFault, outcome: "Outcome") -> "Outcome":
        self._send(500, fault_envelope(profile, fault), "text/xml; charset=utf-8")
        outcome.status = 500
        outcome.error = fault.code
        return outcome

    # Fault injection sends error pages and drops connections through these two methods.

    def send_plain(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self._send(status, body, "text/html", headers)

    def drop_connection(self) -> None:
        """Close the connection without sending a response."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

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
        """Read the request body (Content-Length or chunked), or send 411/400 and return None."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self._reject(411)
            return None
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._reject(400)
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self._reject(400)
                return None
            total += size
            if total > MAX_BODY_BYTES:
                self._reject(400)
                return None
            if size == 0:
                # Skip the optional trailer up to the blank line.
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _reject(self, status: int) -> None:
        log.info("EWS request rejected with HTTP %d: invalid or missing body length", status)
        self._send(status, b"", "text/html", {"Connection": "close"})
        self.close_connection = True

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


def build_handler_class(backend: MailboxBackend, org_name: str, sandbox: Any = None) -> type[EwsRequestHandler]:
    """Return a handler class bound to one organisation's backend and, when given, the sandbox context."""
    attributes: dict[str, Any] = {"backend": backend, "org_name": org_name, "sandbox": sandbox}
    return type(f"EwsHandler_{org_name}", (EwsRequestHandler,), attributes)
