"""HTTP side of the Graph endpoint: token check, fault injection, concurrency slots, routing, $batch."""

from __future__ import annotations

import logging
import time
import random
import uuid
from urllib.parse import urlsplit

from mar_sandbox.context import SandboxContext
from mar_sandbox.graph import errors
from mar_sandbox.graph.api import Caller, GraphApi, Response, Target, classify, split_path
from mar_sandbox.graph.batch import parse_batch, run_batch
from mar_sandbox.graph.errors import GraphError
from mar_sandbox.http_base import JSONHandler, elapsed_ms
from mar_sandbox.tokens import GRAPH_AUDIENCES, TokenClaims, TokenInvalid, read_token

log = logging.getLogger("mar_sandbox.graph")

TOKEN_CACHE_SIZE = 4096
_ids = random.Random()


def _loopback_form(url: str | None) -> str | None:
    """Return ``url`` with ``localhost`` written as ``127.0.0.1``.

    The sandbox listens on 127.0.0.1 and its certificate names both. A client
    configured with either form of the Graph URL requests a token for that
    audience, so the sandbox accepts both.
    """
    if url is None:
        return None
    scheme, separator, rest = url.partition("://")
    host, colon, port = rest.partition(":")
    if host.lower() == "localhost":
        host = "127.0.0.1"
    return scheme + separator + host + colon + port

def new_request_id() -> str:
    """Return a random version-4 UUID without a system call per request (ids need not be secret)."""
    return str(uuid.UUID(int=_ids.getrandbits(128), version=4))


def make_handler_class(context: SandboxContext) -> type:
    """Return the Graph listener's handler class."""
    api = GraphApi(context)
    token_cache: dict[str, TokenClaims] = {}

    def verify(authorization: str | None) -> Caller:
        if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            raise errors.token_missing()
        token = authorization[7:].strip()
        claims = token_cache.get(token)
        if claims is None:
            try:
                claims = read_token(context.token_secret, token)
            except TokenInvalid:
                raise errors.token_invalid() from None
            if len(token_cache) >= TOKEN_CACHE_SIZE:
                token_cache.clear()
            token_cache[token] = claims
        now = context.clock.timestamp()
        if now >= claims.expires or now < claims.not_before - 300:
            raise errors.token_expired()
        audience = claims.audience.rstrip("/")
        if audience not in GRAPH_AUDIENCES and _loopback_form(audience) != _loopback_form(context.urls.get("graph")):
            raise errors.token_audience()
        return Caller(claims.tenant_id, claims.client_id, claims.roles)

    class GraphHandler(JSONHandler):
        service = "graph"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def _serve(self) -> None:
            started = time.perf_counter()
            body = self.read_body()
            url = urlsplit(self.path)
            request_id = new_request_id()
            client_request_id = self.headers.get("client-request-id") or request_id
            target = Target(None, "other")
            caller: Caller | None = None
            fault: str | None = None
            try:
                path = url.path
                if not path.startswith("/v1.0/") and path not in ("/v1.0",):
                    version = path.strip("/").split("/", 1)[0]
                    raise errors.bad_request(f"Invalid version: {version}")
                path = path[len("/v1.0") :]
                caller = verify(self.headers.get("Authorization"))
                target = classify(self.command, split_path(path))
                # The request holds its (app, mailbox) slot while it waits out
                # injected latency, as a slow request does on the real service.
                with context.faults.slot("graph", caller.client_id, self._mailbox_key(target)) as over:
                    if over is not None:
                        fault = "concurrency"
                        raise errors.throttled(over.retry_after, over.reason)
                    decision = context.faults.decide("graph", mailbox=target.mailbox, operation=target.operation, app=caller.client_id)
                    if decision.delay:
                        context.faults.wait(decision.delay)
                    if decision.action in ("hang", "drop"):
                        context.log.record("graph", self.command, url.path, 0, mailbox=target.mailbox, operation=target.operation, app=caller.client_id, fault=decision.action, duration_ms=elapsed_ms(started))
                        if decision.action == "hang":
                            self.hang(decision.seconds, context.stopping)
                        else:
                            self.drop()
                        return
                    if decision.action == "throttle":
                        fault = "throttle"
                        raise errors.throttled(decision.retry_after, decision.reason)
                    if decision.action == "server_error":
                        fault = "server_error"
                        raise errors.server_error(decision.status)
                    if target.operation == "batch":
                        response = self._batch(caller, body)
                    else:
                        response = api.handle(self.command, path, url.query, body, caller)
            except GraphError as exc:
                response = Response(exc.status, exc.body(context.clock.now(), request_id, client_request_id), dict(exc.headers))
                log.info("graph error %d %s operation=%s mailbox=%s", exc.status, exc.code, target.operation, target.mailbox or "-")
            except Exception:  # noqa: BLE001 - a bug must still produce a Graph-shaped 500, not a dropped connection
                log.exception("graph: unexpected error serving %s operation=%s mailbox=%s", self.command, target.operation, target.mailbox or "-")
                exc500 = errors.server_error(500)
                response = Response(500, exc500.body(context.clock.now(), request_id, client_request_id))
            headers = {"request-id": request_id, "client-request-id": client_request_id, **response.headers}
            error_code = response.body.get("error", {}).get("code") if isinstance(response.body, dict) and response.status >= 400 else None
            # Logged before the response goes out, so a client that reads the
            # log right after its request finds the entry.
            context.log.record(
                "graph", self.command, url.path, response.status,
                mailbox=target.mailbox, operation=target.operation, app=caller.client_id if caller else None,
                error=error_code, fault=fault, duration_ms=elapsed_ms(started),
            )
            self._send(response, headers)

        def _mailbox_key(self, target: Target) -> str | None:
            if target.mailbox is None:
                return None
            mailbox = context.store.find_mailbox(target.mailbox)
            return mailbox.address.lower() if mailbox else target.mailbox

        def _send(self, response: Response, headers: dict[str, str]) -> None:
            if response.body is None:
                self.send_empty(response.status, headers)
            elif isinstance(response.body, bytes):
                self.send_body(response.status, response.body, response.content_type, headers)
            else:
                self.send_json(response.status, response.body, headers, response.content_type)

        def _batch(self, caller: Caller, body: bytes) -> Response:
            if self.command != "POST":
                raise errors.method_not_allowed()
            requests = parse_batch(body)

            def run(method: str, path: str, query: str, sub_body: bytes) -> Response:
                target = classify(method, split_path(path))
                decision = context.faults.decide("graph", mailbox=target.mailbox, operation=target.operation, app=caller.client_id)
                if decision.delay:
                    context.faults.wait(decision.delay)
                try:
                    if decision.action == "throttle":
                        raise errors.throttled(decision.retry_after, decision.reason)
                    if decision.action in ("server_error", "hang", "drop"):
                        raise errors.server_error(decision.status if decision.action == "server_error" else 503)
                    return api.handle(method, path, query, sub_body, caller)
                except GraphError as exc:
                    return Response(exc.status, exc.body(context.clock.now()), dict(exc.headers))

            return Response(200, run_batch(requests, run))

    return GraphHandler
