"""Threaded HTTPS listener on loopback and the request-handler base class of the sandbox's front ends.

The listener accepts TCP connections in its own thread and does the TLS
handshake in the connection's worker thread, so a slow or failed handshake
never blocks other clients. Each connection picks its certificate when it is
accepted, which lets the wrong-certificate fault swap in a certificate for
another host name.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import Any

log = logging.getLogger("mar_sandbox")

LOOPBACK = "127.0.0.1"
# Idle keep-alive connections are closed after this many seconds, so worker
# threads of clients that went away end by themselves.
IDLE_TIMEOUT = 30.0
MAX_BODY = 64 * 1024 * 1024


class SandboxHTTPServer(ThreadingMixIn, HTTPServer):
    """HTTPServer over TLS bound to loopback, one thread per connection."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(
        self,
        port: int,
        handler_class: type[BaseHTTPRequestHandler],
        choose_context: Callable[[], ssl.SSLContext],
        name: str,
    ) -> None:
        self.choose_context = choose_context
        self.name = name
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((LOOPBACK, port), handler_class)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            wrapped = self.choose_context().wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        except Exception as exc:  # noqa: BLE001 - serve_forever ends on anything but OSError
            log.exception("%s: cannot set up TLS for a connection from %s", self.name, address)
            sock.close()
            raise OSError(str(exc)) from exc
        return wrapped, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            request.settimeout(IDLE_TIMEOUT)
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                # A client that rejects our certificate ends here (the
                # wrong-certificate fault, or a client without the CA).
                log.debug("%s: TLS handshake failed from %s: %s", self.name, client_address, exc)
                return
            self.RequestHandlerClass(request, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("%s: unhandled error serving %s", self.name, client_address)

    def close_connections(self) -> None:
        """Shut down every open connection so their worker threads end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Listener:
    """One SandboxHTTPServer running in a background thread."""

    def __init__(self, server: SandboxHTTPServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"sandbox-{server.name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.close_connections()
        self.server.server_close()
        self.thread.join(timeout=5)


class Headers(dict):
    """Request headers keyed by lowercase name; ``get`` takes any case."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)

    def __getitem__(self, name: str) -> Any:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html; charset=us-ascii\r\nConnection: close\r\n"
    b"Content-Length: 52\r\n\r\n<h1>Bad Request (Invalid Header Name or Request)</h1>"
)
_REASONS = {status.value: status.phrase for status in HTTPStatus}
MAX_LINE = 65536
MAX_HEADERS = 100


class JSONHandler(BaseHTTPRequestHandler):
    """Base class of the JSON front ends: HTTP/1.1 keep-alive, body reading, JSON responses, fault actions.

    Requests are parsed here rather than by ``http.server``, whose header
    parsing through the ``email`` package took about a third of the CPU per
    request (measured with cProfile on the Graph benchmark).
    """

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    service = "any"
    _date_cache: tuple[int, str] = (0, "")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        log.debug("%s: " + format, self.service, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The front ends write their own request log; skip the per-response debug call.
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        cached_second, text = JSONHandler._date_cache
        if cached_second != now:
            text = super().date_time_string(now)
            JSONHandler._date_cache = (now, text)
        return text

    def handle_one_request(self) -> None:
        """Read one request line and its headers, then call ``do_<METHOD>``."""
        try:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                self.close_connection = True
                return
            if not self._parse(line):
                self.wfile.write(_BAD_REQUEST)
                self.close_connection = True
                return
            handler = getattr(self, "do_" + self.command, None)
            if handler is None:
                self.send_error(405)
                return
            handler()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True

    def _parse(self, line: bytes) -> bool:
        if len(line) > MAX_LINE:
            return False
        self.raw_requestline = line
        self.requestline = line.decode("iso-8859-1").rstrip("\r\n")
        words = self.requestline.split(" ")
        if len(words) != 3 or not words[2].startswith("HTTP/1."):
            return False
        self.command, self.path, self.request_version = words
        headers = Headers()
        for _ in range(MAX_HEADERS + 1):
            raw = self.rfile.readline(MAX_LINE + 1)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, separator, value = raw.decode("iso-8859-1").partition(":")
            if not separator or not name or name != name.strip():
                return False
            headers[name.lower()] = value.strip()
        else:
            return False
        self.headers = headers  # type: ignore[assignment]
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (self.request_version == "HTTP/1.0" and connection != "keep-alive")
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return True

    # -- request ----------------------------------------------------------------

    def read_body(self) -> bytes:
        """Read the request body (Content-Length or chunked).

        A body that is malformed or larger than MAX_BODY reads as empty and
        the connection closes after the response, because the rest of the
        stream can no longer be parsed as requests.
        """
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            return b""
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(MAX_LINE + 1).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self.close_connection = True
                return b""
            if size == 0:
                # Skip trailer fields up to the blank line that ends the body.
                while self.rfile.readline(MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                self.close_connection = True
                return b""
            chunks.append(self.rfile.read(size))
            self.rfile.readline(MAX_LINE + 1)

    # -- responses --------------------------------------------------------------

    def send_body(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None) -> None:
        """Send a whole response in one write: one TLS record and one segment for small responses.

        The status line and headers are formatted here rather than through
        ``send_response``/``send_header``, which took a noticeable share of
        the CPU per response in a cProfile run of the Graph benchmark.
        """
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, '')}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
        ]
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")
        self.wfile.write(head + body if self.command != "HEAD" else head)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None, content_type: str = "application/json; charset=utf-8") -> None:
        self.send_body(status, json.dumps(payload, separators=(",", ":")).encode("utf-8"), content_type, headers)

    def send_empty(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_body(status, b"", None, headers)

    # -- faults -----------------------------------------------------------------

    def hang(self, seconds: float, stopping: threading.Event) -> None:
        """Send nothing for ``seconds`` (or until the sandbox stops), then close the connection."""
        stopping.wait(seconds)
        self.drop()

    def drop(self) -> None:
        """Close the connection without a response."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
