"""Exchange Web Services (SOAP) front end of the sandbox, one endpoint per on-premises organisation."""

from __future__ import annotations

from typing import Any

from .error_rules import EwsErrorRules, ews_error_rules
from .handler import EwsRequestHandler, build_handler_class


def make_handler_class(context: Any, org_name: str) -> type[EwsRequestHandler]:
    """Return the request handler class the sandbox binds at /EWS/Exchange.asmx for one organisation.

    `context` is the sandbox's SandboxContext: its store, fault rules and request log.
    """
    from .auth import register_backend
    from .store_backend import StoreBackend

    backend = StoreBackend(context.store, org_name)
    register_backend(backend)
    return build_handler_class(backend, org_name, context)


__all__ = ["EwsErrorRules", "EwsRequestHandler", "build_handler_class", "ews_error_rules", "make_handler_class"]
