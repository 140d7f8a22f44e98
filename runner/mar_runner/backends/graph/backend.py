"""Mailbox operations through Microsoft Graph (Exchange Online)."""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from mar_runner.backends.graph.auth import TokenProvider, cloud_urls
from mar_runner.backends.graph.client import GraphClient, response_error
from mar_runner.backends.graph.transport import Transport
from mar_runner.backends.tls import TrustStore
from mar_runner.engine.backend import Copy, FindResult, Target
from mar_runner.engine.errors import BackendError, PermanentError
from mar_runner.engine.retry import RetryPolicy

logger = logging.getLogger("mar.backends.graph")

SELECT = "id,parentFolderId,internetMessageId,hasAttachments,isDraft"
PAGE_SIZE = 100
BATCH_LIMIT = 20
FALLBACK_WINDOW = timedelta(minutes=30)
FALLBACK_MAX = 50
FORWARD_COMMENT = "Forwarded by mailbox auto remediation: the attachment was found to be malicious."


def odata_string(value: str) -> str:
    """Return ``value`` as an OData string literal: single quotes around it, inner quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def filter_query(expression: str) -> str:
    """Return ``$filter=...`` with the expression percent-encoded whole.

    Every reserved character (``+ / # ' % & ? =`` and spaces) is encoded,
    so a ``+`` in a Message-ID is not read as a space and an ``&`` does not
    end the parameter.
    """
    return "$filter=" + quote(expression, safe="")


def user_path(mailbox: str) -> str:
    """Return the ``/users/{address}`` path segment with the address percent-encoded."""
    return "/users/" + quote(mailbox, safe="@")


class GraphBackend:
    """Find, delete and forward messages in Exchange Online mailboxes for one profile."""

    kind = "graph"

    def __init__(self, profile: dict[str, Any], *, timeout: float, retry: RetryPolicy, per_mailbox: int = 4,
                 pool_size: int = 64) -> None:
        self.profile = profile
        self.profile_name = profile["name"]
        _, graph_url = cloud_urls(profile)
        self.trust = TrustStore(profile.get("ca_certificate"))
        self.session = self.trust.session(pool_size)
        try:
            self.tokens = TokenProvider(profile, self.session, timeout)
        except BackendError:
            self.close()
            raise
        self.transport = Transport(graph_url, self.trust.ca_file, timeout)
        self.client = GraphClient(
            self.transport, self.tokens, graph_url, timeout=timeout,
            retry=retry, per_mailbox=per_mailbox, profile_name=self.profile_name,
        )
        self._folder_names: dict[tuple[str, str], str] = {}

    # -- search ------------------------------------------------------------

    def find(self, mailbox: str, target: Target) -> FindResult:
        """Search all folders by Message-ID, then by the fallback search; keep copies carrying the SHA-256.

        NOTE: Graph cannot reach the in-place archive, so copies there are not
        searched, and the outcome does not say so yet.
        """
        if target.message_id:
            candidates = self._list(mailbox, f"internetMessageId eq {odata_string(target.message_id)}")
            copies = self._confirm(mailbox, candidates, target.sha256)
            if copies:
                return FindResult(copies, "message_id")
        candidates = self._fallback_candidates(mailbox, target)
        if candidates is None:
            return FindResult([], None)
        copies = self._confirm(mailbox, candidates, target.sha256)
        if copies:
            logger.info("profile %s: %s found %d copies by the fallback search", self.profile_name, mailbox, len(copies))
            return FindResult(copies, "fallback")
        return FindResult([], None)

    def _list(self, mailbox: str, expression: str) -> list[dict[str, Any]]:
        path = f"{user_path(mailbox)}/messages?{filter_query(expression)}&$select={SELECT}&$top={PAGE_SIZE}"
        found: list[dict[str, Any]] = []
        _, body = self.client.request("GET", path, mailbox)
        while True:
            found.extend(item for item in (body or {}).get("value", []) if not item.get("isDraft"))
            next_link = (body or {}).get("@odata.nextLink")
            if not next_link or len(found) >= FALLBACK_MAX * 4:
                return found
            _, body = self.client.request("GET", path, mailbox, url=next_link)

    def _fallback_candidates(self, mailbox: str, target: Target) -> list[dict[str, Any]] | None:
        # Bounded search: received within the window around the tracked time, with
        # attachments, from the tracked sender; the SHA-256 check then decides.
        if target.received_at is None:
            return None
        start = (target.received_at - FALLBACK_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = (target.received_at + FALLBACK_WINDOW).strftime("%Y-%m-%dT%H:%M:%SZ")
        clauses = [f"receivedDateTime ge {start}", f"receivedDateTime le {end}", "hasAttachments eq true"]
        if target.sender:
            clauses.append(f"from/emailAddress/address eq {odata_string(target.sender)}")
        return self._list(mailbox, " and ".join(clauses))[:FALLBACK_MAX]

    def _confirm(self, mailbox: str, candidates: list[dict[str, Any]], sha256: str) -> list[Copy]:
        """Fetch the attachments of every candidate (in $batch requests) and keep those carrying ``sha256``."""
        candidates = [item for item in candidates if item.get("hasAttachments", True)]
        if not candidates:
            return []
        requests = [
            {"id": str(index), "method": "GET", "url": f"{user_path(mailbox)}/messages/{quote(item['id'], safe='')}/attachments"}
            for index, item in enumerate(candidates)
        ]
        folder_ids = sorted({
            item["parentFolderId"] for item in candidates
            if item.get("parentFolderId") and (mailbox, item["parentFolderId"]) not in self._folder_names
        })
        for folder_id in folder_ids:
            requests.append({
                "id": f"folder:{folder_id}",
                "method": "GET",
                "url": f"{user_path(mailbox)}/mailFolders/{quote(folder_id, safe='')}?$select=displayName",
            })
        answers = self._run(mailbox, requests)
        for folder_id in folder_ids:
            status, body = answers.get(f"folder:{folder_id}", (404, None))
            if status == 200 and isinstance(body, dict):
                self._folder_names[(mailbox, folder_id)] = body.get("displayName") or folder_id
        copies: list[Copy] = []
        for index, item in enumerate(candidates):
            status, body = answers[str(index)]
            if status == 404:
                continue  # deleted between the search and this call
            if status >= 400:
                raise response_error(status, body, {}, mailbox)
            if any(_attachment_sha256(attachment) == sha256 for attachment in (body or {}).get("value", [])):
                folder_id = item.get("parentFolderId") or ""
                copies.append(Copy(item["id"], self._folder_names.get((mailbox, folder_id), folder_id)))
        return copies

    def _run(self, mailbox: str, requests: list[dict[str, Any]]) -> dict[str, tuple[int, Any]]:
        """Run GET requests, one at a time when there is one, else in $batch requests of up to 20."""
        if len(requests) == 1:
            only = requests[0]
            try:
                status, body = self.client.request("GET", only["url"], mailbox)
            except PermanentError as error:
                if error.reason in ("message_not_found",):
                    return {only["id"]: (404, None)}
                raise
            return {only["id"]: (status, body)}
        answers: dict[str, tuple[int, Any]] = {}
        for start in range(0, len(requests), BATCH_LIMIT):
            chunk = requests[start:start + BATCH_LIMIT]
            pending = chunk
            for _ in range(self.client.retry.max_attempts):
                _, body = self.client.request("POST", "/$batch", mailbox, body={"requests": pending},
                                              slots=min(len(pending), 4))
                retry_later = []
                for response in (body or {}).get("responses", []):
                    status = int(response.get("status", 500))
                    if status == 429 or status >= 500:
                        retry_later.append(response["id"])
                        continue
                    answers[response["id"]] = (status, response.get("body"))
                pending = [request for request in pending if request["id"] in retry_later]
                if not pending:
                    break
            for request in pending:
                # Sub-requests still throttled after every batch try: one at a time, with back-off.
                try:
                    answers[request["id"]] = self.client.request("GET", request["url"], mailbox)
                except PermanentError as error:
                    if error.reason != "message_not_found":
                        raise
                    answers[request["id"]] = (404, None)
        return answers

    # -- actions -----------------------------------------------------------

    def delete(self, mailbox: str, copy: Copy, mode: str) -> None:
        """Hard: permanentDelete (purged). Soft: DELETE, which keeps it in Recoverable Items."""
        item = f"{user_path(mailbox)}/messages/{quote(copy.item_id, safe='')}"
        if mode == "hard":
            self.client.request("POST", f"{item}/permanentDelete", mailbox)
        else:
            self.client.request("DELETE", item, mailbox)

    def create_forward(self, mailbox: str, copy: Copy, to: str) -> str:
        """Create a forward draft (server side, so the attachment stays attached) and return its id."""
        item = f"{user_path(mailbox)}/messages/{quote(copy.item_id, safe='')}"
        body = {"comment": FORWARD_COMMENT, "toRecipients": [{"emailAddress": {"address": to}}]}
        _, draft = self.client.request("POST", f"{item}/createForward", mailbox, body=body)
        if not isinstance(draft, dict) or not draft.get("id"):
            raise PermanentError("forward_failed", "createForward returned no draft id")
        return draft["id"]

    def draft_state(self, mailbox: str, draft_id: str) -> str:
        """Look a forward draft up: "draft" when not sent, "sent", or "missing"."""
        path = f"{user_path(mailbox)}/messages/{quote(draft_id, safe='')}?$select=id,isDraft"
        try:
            _, body = self.client.request("GET", path, mailbox)
        except PermanentError as error:
            if error.reason == "message_not_found":
                return "missing"
            raise
        return "draft" if (body or {}).get("isDraft") else "sent"

    def send_draft(self, mailbox: str, draft_id: str) -> None:
        """Send a forward draft."""
        self.client.request("POST", f"{user_path(mailbox)}/messages/{quote(draft_id, safe='')}/send", mailbox)

    def check(self, mailbox: str) -> None:
        """Read one message id from the mailbox: token, permission and mailbox all work."""
        self.client.request("GET", f"{user_path(mailbox)}/messages?$select=id&$top=1", mailbox)

    def close(self) -> None:
        """Close the HTTP session and remove the CA file."""
        session = getattr(self, "session", None)
        if session is not None:
            session.close()
        transport = getattr(self, "transport", None)
        if transport is not None:
            transport.close()
        self.trust.close()


def _attachment_sha256(attachment: dict[str, Any]) -> str | None:
    content = attachment.get("contentBytes")
    if not content:
        return None
    try:
        return hashlib.sha256(base64.b64decode(content)).hexdigest()
    except (ValueError, TypeError):
        return None
