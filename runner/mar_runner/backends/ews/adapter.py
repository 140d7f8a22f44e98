"""The HTTP adapter exchangelib uses for every EWS connection in this process.

exchangelib takes its adapter class from ``BaseProtocol.HTTP_ADAPTER_CLS``,
one class for the whole process, so two profiles with different private CAs
cannot each set their own. This adapter looks the CA up by the request's
host and port in a registry that each EWS profile fills; a host with no
entry keeps the default verification. It never turns verification off.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import requests
from exchangelib.protocol import BaseProtocol

_lock = threading.Lock()
_ca_by_host: dict[str, str] = {}


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or 443}"


def register_ca(url: str, ca_path: str) -> None:
    """Trust ``ca_path`` (a PEM file) for requests to the host and port of ``url``."""
    with _lock:
        _ca_by_host[_host_key(url)] = ca_path


def unregister_ca(url: str) -> None:
    """Forget the CA of the host and port of ``url``."""
    with _lock:
        _ca_by_host.pop(_host_key(url), None)


def ca_for(url: str) -> str | None:
    """Return the CA file registered for the host and port of ``url``, or None."""
    with _lock:
        return _ca_by_host.get(_host_key(url))


class HostCAAdapter(requests.adapters.HTTPAdapter):
    """An HTTPAdapter that verifies each host against the CA its profile declared."""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # type: ignore[override]
        ca_path = ca_for(request.url)
        if ca_path is not None:
            verify = ca_path
        elif verify is False:
            verify = True
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def install() -> None:
    """Make exchangelib use HostCAAdapter (idempotent)."""
    BaseProtocol.HTTP_ADAPTER_CLS = HostCAAdapter
