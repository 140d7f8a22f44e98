"""TLS trust for one profile: its CA file, or the default bundle; never verification off."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import certifi
import requests


class TrustStore:
    """The ``verify`` value for requests of one profile.

    A profile's ``ca_certificate`` (PEM text) is written to a private
    temporary file (mode 0600) that ``close()`` removes. Without one the
    default CA bundle of requests is used. Sessions built here ignore
    REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE (``trust_env`` is off), because
    requests would let those override a profile's CA.
    """

    def __init__(self, ca_certificate: str | None) -> None:
        self._path: Path | None = None
        if ca_certificate and ca_certificate.strip():
            fd, name = tempfile.mkstemp(prefix="mar-ca-", suffix=".pem")
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(ca_certificate.strip() + "\n")
            self._path = Path(name)

    @property
    def verify(self) -> str | bool:
        """The CA file path, or True for the default bundle (never False)."""
        return str(self._path) if self._path else True

    def session(self, pool_size: int = 10) -> requests.Session:
        """Return a session that verifies with this trust store and ignores proxy and CA variables."""
        session = requests.Session()
        session.trust_env = False
        session.verify = self.verify
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 10))
        session.mount("https://", adapter)
        return session

    @property
    def ca_file(self) -> str:
        """The CA file: the profile's, else the default bundle (certifi)."""
        return str(self._path) if self._path else certifi.where()

    def close(self) -> None:
        """Remove the temporary CA file."""
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None
