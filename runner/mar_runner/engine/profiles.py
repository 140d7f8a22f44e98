"""Build and share one backend per account profile for a run."""

from __future__ import annotations

import threading
from typing import Any, Callable

from mar_runner.engine.backend import Backend
from mar_runner.engine.errors import PermanentError
from mar_runner.engine.limits import Limits
from mar_runner.engine.retry import RetryPolicy


class BackendPool:
    """One backend per profile, built on first use and shared by all workers.

    A profile whose backend cannot be built (for example an encrypted key
    without a passphrase) raises a configuration_error BackendError each time
    it is asked for, so the chain moves on.
    """

    def __init__(
        self,
        config: dict[str, Any],
        settings: dict[str, Any],
        limits: Limits,
        *,
        timeout: float | None = None,
        factory: Callable[[dict[str, Any]], Backend] | None = None,
    ) -> None:
        self.profiles = {profile["name"]: profile for profile in config.get("mar_account_profiles") or []}
        self.settings = settings
        self.limits = limits
        self.timeout = timeout
        self.factory = factory or self._build
        self.retry = RetryPolicy(max_attempts=int(settings.get("max_attempts", 3)))
        self._lock = threading.Lock()
        self._backends: dict[str, Backend | PermanentError] = {}

    def _build(self, profile: dict[str, Any]) -> Backend:
        if profile.get("type") == "graph":
            from mar_runner.backends.graph import GraphBackend

            timeout = self.timeout or float(self.settings.get("cloud_timeout", 30))
            return GraphBackend(profile, timeout=timeout, retry=self.retry, per_mailbox=self.limits.per_mailbox)
        if profile.get("type") == "ews":
            from mar_runner.backends.ews import EwsBackend

            timeout = self.timeout or float(self.settings.get("onprem_timeout", 30))
            return EwsBackend(
                profile, timeout=timeout, retry=self.retry, per_service_account=self.limits.per_service_account
            )
        raise PermanentError("configuration_error", f"unknown profile type {profile.get('type')!r}")

    def get(self, name: str) -> Backend:
        """Return the backend of profile ``name``."""
        with self._lock:
            backend = self._backends.get(name)
            if backend is None:
                profile = self.profiles.get(name)
                if profile is None:
                    backend = PermanentError("configuration_error", f"profile {name!r} is not configured")
                else:
                    try:
                        backend = self.factory(profile)
                    except PermanentError as error:
                        backend = error
                self._backends[name] = backend
        if isinstance(backend, PermanentError):
            raise PermanentError(backend.reason, backend.server_message, diagnosis=backend.diagnosis)
        return backend

    def close(self) -> None:
        """Close every backend built."""
        with self._lock:
            for backend in self._backends.values():
                if not isinstance(backend, PermanentError):
                    backend.close()
            self._backends.clear()
