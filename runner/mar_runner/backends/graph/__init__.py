"""Exchange Online through Microsoft Graph: msal for tokens, requests for the mail API."""

from mar_runner.backends.graph.backend import GraphBackend

__all__ = ["GraphBackend"]
