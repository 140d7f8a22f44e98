"""JSON batching: ``POST /v1.0/$batch`` with at most 20 requests, unique ids and ``dependsOn``.

Requests run one after another in dependency order (Graph runs at most four
Outlook requests of a batch in parallel; running them in sequence stays
within that). A request whose dependency failed gets 424 and does not run.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mar_sandbox.graph import errors
from mar_sandbox.graph.api import Response

MAX_REQUESTS = 20
METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}

SubRequest = Callable[[str, str, str, bytes], Response]


def _invalid(message: str) -> errors.GraphError:
    # NOTE: the texts of $batch validation errors follow the documented rules;
    # Graph's exact wording was not available to compare.
    return errors.bad_request(message)


def parse_batch(body: bytes) -> list[dict]:
    """Validate a batch body and return its requests in dependency order; raise GraphError when invalid."""
    try:
        payload = json.loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise errors.unreadable_json() from None
    if not isinstance(payload, dict) or not isinstance(payload.get("requests"), list):
        raise _invalid("Invalid batch payload format.")
    requests = payload["requests"]
    if not requests:
        raise _invalid("Invalid batch payload format.")
    if len(requests) > MAX_REQUESTS:
        raise _invalid(f"The number of batch requests ({len(requests)}) exceeds the limit of {MAX_REQUESTS}.")
    seen: set[str] = set()
    for request in requests:
        if not isinstance(request, dict):
            raise _invalid("Invalid batch payload format.")
        request_id = request.get("id")
        if not isinstance(request_id, str) or not request_id:
            raise _invalid("Batch request id is required.")
        # Graph compares batch ids without regard to case (message ids that
        # differ only in case collide) and names the repeated id.
        if request_id.lower() in seen:
            raise errors.bad_request(f"Request Id {request_id} has to be unique in a batch.")
        seen.add(request_id.lower())
        method = request.get("method")
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise _invalid(f"Invalid method '{method}' in batch request '{request_id}'.")
        if not isinstance(request.get("url"), str) or not request["url"]:
            raise _invalid(f"Url is required in batch request '{request_id}'.")
        headers = request.get("headers") or {}
        if request.get("body") is not None and not any(k.lower() == "content-type" for k in headers):
            raise _invalid(f"Content-Type header must be specified for the body of batch request '{request_id}'.")
        depends = request.get("dependsOn") or []
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            raise _invalid(f"dependsOn of batch request '{request_id}' must be a list of request ids.")
    ids = {r["id"] for r in requests}
    for request in requests:
        for dependency in request.get("dependsOn") or []:
            if dependency not in ids or dependency == request["id"]:
                raise _invalid(f"Batch request '{request['id']}' depends on '{dependency}', which is not in the batch.")
    return _ordered(requests)


def _ordered(requests: list[dict]) -> list[dict]:
    done: set[str] = set()
    ordered: list[dict] = []
    pending = list(requests)
    while pending:
        ready = [r for r in pending if all(d in done for d in r.get("dependsOn") or [])]
        if not ready:
            raise _invalid("The dependsOn references of the batch form a cycle.")
        for request in ready:
            ordered.append(request)
            done.add(request["id"])
            pending.remove(request)
    return ordered


def run_batch(requests: list[dict], run: SubRequest) -> dict:
    """Run validated requests through ``run(method, path, query, body)`` and return the batch response."""
    statuses: dict[str, int] = {}
    responses: list[dict[str, Any]] = []
    for request in requests:
        failed = [d for d in request.get("dependsOn") or [] if statuses.get(d, 500) >= 400]
        if failed:
            statuses[request["id"]] = 424
            responses.append(
                {
                    "id": request["id"],
                    "status": 424,
                    "headers": {"Content-Type": "application/json"},
                    "body": {"error": {"code": "FailedDependency", "message": "The request failed because it depends on a request that failed."}},
                }
            )
            continue
        url = urlsplit(request["url"])
        path = url.path
        if path.startswith("/v1.0/"):
            path = path[len("/v1.0") :]
        body = request.get("body")
        raw_body = json.dumps(body).encode() if isinstance(body, (dict, list)) else (body or "").encode()
        response = run(request["method"].upper(), path, url.query, raw_body)
        statuses[request["id"]] = response.status
        item: dict[str, Any] = {"id": request["id"], "status": response.status, "headers": dict(response.headers)}
        if response.body is not None:
            item["headers"]["Content-Type"] = response.content_type
            if isinstance(response.body, bytes):
                item["body"] = base64.b64encode(response.body).decode("ascii")
            else:
                item["body"] = response.body
        responses.append(item)
    return {"responses": responses}
