"""Exchange Web Services (SOAP) front end of the sandbox, one endpoint per on-premises organisation."""

from __future__ import annotations

from typing import Any

from .handler import EwsHooks, EwsRequestHandler, build_handler_class


def make_handler_class(context: Any, org_name: str) -> type[EwsRequestHandler]:
    """Return the request handler class the sandbox binds at /EWS/Exchange.asmx for one organisation."""
    from .auth import register_backend

    backend = context.ews_backend(org_name) if hasattr(context, "ews_backend") else context
    register_backend(backend)
    return build_handler_class(backend, org_name, getattr(context, "ews_hooks", lambda name: None)(org_name))


__all__ = ["EwsHooks", "EwsRequestHandler", "make_handler_class"]
