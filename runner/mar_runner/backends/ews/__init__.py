"""Exchange on-premises through EWS with exchangelib and impersonation."""

from mar_runner.backends.ews.backend import EwsBackend

__all__ = ["EwsBackend"]
