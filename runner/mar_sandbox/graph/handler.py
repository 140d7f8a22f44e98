"""Graph request handler (being built): answers every request with ResourceNotFound for now."""

from __future__ import annotations

from mar_sandbox.context import SandboxContext
from mar_sandbox.http_base import JSONHandler


def make_handler_class(context: SandboxContext) -> type:
    class GraphHandler(JSONHandler):
        service = "graph"

        def do_GET(self) -> None:
            self.read_body()
            self.send_json(404, {"error": {"code": "ResourceNotFound", "message": "Resource could not be discovered."}})

        do_POST = do_DELETE = do_PATCH = do_GET

    return GraphHandler
