"""Microsoft Graph mail endpoints (v1.0)."""

from mar_sandbox.graph.handler import make_handler_class

__all__ = ["make_handler_class"]
