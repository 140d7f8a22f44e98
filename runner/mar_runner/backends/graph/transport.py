"""HTTPS for Graph mail requests: one keep-alive connection per worker thread, verified against one CA file.

http.client is used directly because the pooled clients (requests, urllib3)
spend more CPU per request than the request's own JSON and hashing work,
and a run over thousands of mailboxes sends tens of thousands of requests
from one process. http.client never reads REQUESTS_CA_BUNDLE, so the
context's CA file is the only trust.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from mar_runner.engine.errors import BackendError, PermanentError, backend_error


@dataclass
class Answer:
    """A response: status, headers (case-insensitive ``get``) and the body bytes."""

    status: int
    headers: http.client.HTTPMessage
    data: bytes


class Transport:
    """Send requests to one HTTPS origin over per-thread keep-alive connections."""

    def __init__(self, base_url: str, ca_file: str | None, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"invalid Graph URL {base_url!r}: use https://host[:port]")
        self.host = parts.hostname
        self.port = parts.port or 443
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_file)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPSConnection] = []

    def _connection(self) -> tuple[http.client.HTTPSConnection, bool]:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            return connection, True
        connection = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=self.timeout)
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection, False

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> Answer:
        """Send one request; ``url`` is a path or an absolute URL on this origin."""
        if url.startswith(self.origin):
            url = url[len(self.origin):]
        while True:
            connection, reused = self._connection()
            try:
                connection.request(method, url, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self._drop()
                if reused:
                    continue  # the server closed an idle keep-alive connection: open a new one once
                raise self._error(error) from None
            except (OSError, http.client.HTTPException) as error:
                self._drop()
                raise self._error(error) from None
            if response.getheader("Connection", "").lower() == "close":
                self._drop()
            return Answer(response.status, response.headers, data)

    def _error(self, error: Exception) -> BackendError:
        host = f"{self.host}:{self.port}" if self.port != 443 else self.host
        if isinstance(error, ssl.SSLError):
            return PermanentError("tls_verification_failed", f"certificate of {host} could not be verified",
                                  diagnosis="tls_untrusted", host=host)
        if isinstance(error, (TimeoutError, socket.timeout)):
            return backend_error("timed_out", f"{host} did not answer in time", diagnosis="timed_out", host=host)
        if isinstance(error, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                              http.client.HTTPException)):
            return backend_error("connection_failed", f"{host} dropped the connection", diagnosis="server_error")
        return backend_error("connection_failed", f"{host} could not be reached", diagnosis="graph_unreachable",
                         host=host)

    def close(self) -> None:
        """Close every connection opened by any thread."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
