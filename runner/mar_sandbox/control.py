"""Control API of a running sandbox, for tests and ``marctl sandbox`` in another process.

Every request needs the header ``X-Sandbox-Token`` with the token written to
sandbox.json (mode 0600). Routes (JSON in and out):

- ``GET /status``: endpoints and CA file
- ``GET /mailboxes``: addresses; ``GET /mailboxes/{address}``: folders and messages
- ``GET /requests?service=graph&since=N``: the request log
- ``GET /faults``; ``POST /faults`` (a rule) -> ``{"id"}``; ``DELETE /faults`` (all);
  ``DELETE /faults/{id}``
- ``POST /limits`` ``{"service": "graph", "concurrency": N, "rate_limit": {"requests", "per_seconds", "retry_after"}}``
- ``POST /reset``; ``POST /seed`` (a seed document); ``POST /clock`` ``{"offset": seconds}``
- ``POST /shutdown``: stop the sandbox process
"""

from __future__ import annotations

import hmac
import json
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from mar_sandbox.http_base import JSONHandler
from mar_sandbox.seed import SeedError
from mar_sandbox.store import MailboxNotFound

if TYPE_CHECKING:
    from mar_sandbox.server import Sandbox

TOKEN_HEADER = "X-Sandbox-Token"


def make_handler_class(sandbox: "Sandbox") -> type:
    """Return the control listener's handler class bound to ``sandbox``."""

    class ControlHandler(JSONHandler):
        service = "control"

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            body = self.read_body()
            token = self.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(token.encode(), sandbox.control_token.encode()):
                self.send_json(401, {"error": f"missing or wrong {TOKEN_HEADER} header"})
                return
            url = urlsplit(self.path)
            parts = [unquote(p) for p in url.path.strip("/").split("/") if p]
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            try:
                payload = json.loads(body) if body else None
            except ValueError as exc:
                self.send_json(400, {"error": f"the request body is not JSON: {exc}"})
                return
            try:
                status, result = self._route(method, parts, query, payload)
            except MailboxNotFound as exc:
                status, result = 404, {"error": f"no mailbox {exc.address!r} in the sandbox"}
            except (SeedError, ValueError, KeyError, TypeError) as exc:
                status, result = 400, {"error": str(exc)}
            self.send_json(status, result)
            if parts == ["shutdown"] and status == 200:
                threading.Thread(target=sandbox.stop, daemon=True).start()

        def _route(self, method: str, parts: list[str], query: dict, payload: Any) -> tuple[int, Any]:
            head = parts[0] if parts else ""
            if method == "GET" and parts == ["status"]:
                return 200, sandbox.endpoints()
            if method == "GET" and parts == ["mailboxes"]:
                return 200, sorted(m.address for m in sandbox.store.mailboxes.values())
            if method == "GET" and head == "mailboxes" and len(parts) == 2:
                return 200, sandbox.inspect(parts[1])
            if method == "GET" and parts == ["requests"]:
                return 200, sandbox.request_log(query.get("service"), int(query.get("since", 0)))
            if head == "faults":
                return self._faults(method, parts, payload)
            if method == "POST" and parts == ["limits"]:
                return self._limits(payload)
            if method == "POST" and parts == ["reset"]:
                sandbox.reset()
                return 200, {"reset": True}
            if method == "POST" and parts == ["seed"]:
                sandbox.load_seed(payload or {})
                return 200, {"loaded": True}
            if method == "POST" and parts == ["clock"]:
                sandbox.set_clock_offset(float((payload or {}).get("offset", 0)))
                return 200, {"offset": sandbox.clock.offset.total_seconds()}
            if method == "POST" and parts == ["shutdown"]:
                return 200, {"stopping": True}
            return 404, {"error": f"no control route {method} /{'/'.join(parts)}"}

        def _limits(self, payload: Any) -> tuple[int, Any]:
            if not isinstance(payload, dict) or "service" not in payload:
                return 400, {"error": "POST /limits needs a JSON object with 'service' and 'concurrency' or 'rate_limit'"}
            service = payload["service"]
            if "concurrency" in payload:
                sandbox.set_concurrency_limit(service, payload["concurrency"])
            if "rate_limit" in payload:
                limit = payload["rate_limit"]
                sandbox.set_rate_limit(service, limit["requests"], limit["per_seconds"], limit.get("retry_after", 1.0))
            return 200, sandbox.faults.describe()

        def _faults(self, method: str, parts: list[str], payload: Any) -> tuple[int, Any]:
            if method == "GET" and len(parts) == 1:
                return 200, sandbox.faults.describe()
            if method == "POST" and len(parts) == 1:
                if not isinstance(payload, dict):
                    return 400, {"error": "POST /faults needs a JSON object with at least 'kind'"}
                return 200, {"id": sandbox.faults.add_rule(payload)}
            if method == "DELETE" and len(parts) == 1:
                sandbox.clear_faults()
                return 200, {"cleared": True}
            if method == "DELETE" and len(parts) == 2:
                sandbox.remove_fault(int(parts[1]))
                return 200, {"removed": int(parts[1])}
            return 404, {"error": f"no control route {method} /{'/'.join(parts)}"}

    return ControlHandler
