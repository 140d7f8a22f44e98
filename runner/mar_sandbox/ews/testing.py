"""Helpers for driving the real exchangelib against the sandbox's EWS endpoints.

exchangelib takes one HTTP adapter class for the whole process (`BaseProtocol.HTTP_ADAPTER_CLS`),
so `SandboxCAAdapter` picks the CA to trust from the request's host and port. Hosts it does not
know keep requests' default verification; verification is never turned off.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import requests.adapters


class SandboxCAAdapter(requests.adapters.HTTPAdapter):
    """An HTTPS adapter that verifies each sandbox endpoint against that sandbox's CA file."""

    _ca_by_host: dict[str, str] = {}
    _lock = threading.Lock()

    @classmethod
    def trust(cls, url: str, ca_file: str) -> None:
        """Verify requests to the host and port of `url` against `ca_file`."""
        with cls._lock:
            cls._ca_by_host[urlsplit(url).netloc.lower()] = ca_file

    @classmethod
    def forget(cls, url: str) -> None:
        with cls._lock:
            cls._ca_by_host.pop(urlsplit(url).netloc.lower(), None)

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # requests replaces a session's verify with REQUESTS_CA_BUNDLE when that variable is set,
        # so the CA is chosen here, after the environment was merged in.
        ca_file = self._ca_by_host.get(urlsplit(request.url).netloc.lower())
        if ca_file is not None and kwargs.get("verify", True) is not False:
            kwargs["verify"] = ca_file
        return super().send(request, *args, **kwargs)


def install_adapter() -> None:
    """Make exchangelib use SandboxCAAdapter for every protocol created from now on."""
    from exchangelib.protocol import BaseProtocol

    BaseProtocol.HTTP_ADAPTER_CLS = SandboxCAAdapter
