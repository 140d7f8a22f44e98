"""Graph mail routes below ``/v1.0/users/{id|userPrincipalName}``, independent of HTTP so ``$batch`` can reuse them."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from mar_sandbox.context import SandboxContext
from mar_sandbox.graph import errors
from mar_sandbox.graph.errors import GraphError
from mar_sandbox.graph.odata import Query, apply_order, parse_query
from mar_sandbox.graph.serialize import attachment_json, folder_json, message_json
from mar_sandbox.model import AREA_ARCHIVE, AREA_IPM, Folder, Mailbox, Message, Recipient
from mar_sandbox.store import DELETE_PERMANENT, DELETE_SOFT, FolderNotFound, InvalidOperation, ItemNotFound, MessageTooLarge

log = logging.getLogger("mar_sandbox.graph")

JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
READ_ROLES = frozenset({"Mail.Read", "Mail.ReadWrite"})
WRITE_ROLES = frozenset({"Mail.ReadWrite"})
SEND_ROLES = frozenset({"Mail.Send"})
ITEM_ID_PREFIX = "AAMk"


@dataclass
class Caller:
    """The tenant, app and roles of a request, from its verified access token."""

    tenant_id: str
    client_id: str
    roles: frozenset[str]


@dataclass
class Response:
    """A route's response: a JSON ``body`` (dict), raw bytes, or no body."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE


@dataclass
class Target:
    """The mailbox and operation of a request, for fault rules and the request log."""

    mailbox: str | None
    operation: str


def split_path(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return [unquote(p) for p in parts] if "%" in path else parts


def classify(method: str, segments: list[str]) -> Target:
    """Return the mailbox and the operation name of a request below /v1.0 (for faults and logging)."""
    if not segments or segments[0].lower() != "users" or len(segments) < 2:
        return Target(None, "batch" if segments[:1] == ["$batch"] else "other")
    mailbox = segments[1].lower()
    rest = [s.lower() for s in segments[2:]]
    if rest[:1] == ["mailfolders"]:
        if len(rest) >= 3 and rest[2] == "messages":
            rest = rest[2:]
        else:
            return Target(mailbox, "folders")
    if rest == ["messages"]:
        return Target(mailbox, "find")
    if len(rest) == 2 and rest[0] == "messages":
        return Target(mailbox, {"GET": "get", "DELETE": "delete", "PATCH": "update"}.get(method, "other"))
    if len(rest) >= 3 and rest[0] == "messages":
        if rest[2] == "attachments":
            return Target(mailbox, "attachments")
        names = {"permanentdelete": "permanent_delete", "move": "move", "forward": "forward", "createforward": "create_forward", "send": "send"}
        return Target(mailbox, names.get(rest[2], "other"))
    return Target(mailbox, "other")


@lru_cache(maxsize=8192)
def _quote(text: str) -> str:
    return quote(text)


class GraphApi:
    """Routes of one sandbox's Graph mail endpoint."""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context

    @property
    def store(self):  # noqa: ANN201 - the context's store is replaced on reset only in place
        return self.context.store

    # -- entry ------------------------------------------------------------------------

    def handle(self, method: str, path: str, raw_query: str, body: bytes, caller: Caller) -> Response:
        """Serve one request whose path is below /v1.0 (``path`` without the version)."""
        segments = split_path(path)
        if not segments:
            raise errors.bad_request("Invalid request.")
        head = segments[0]
        if head.lower() == "me":
            raise errors.bad_request("/me request is only valid with delegated authentication flow.")
        if head.lower() != "users":
            raise errors.segment_not_found(head)
        if len(segments) < 2:
            raise errors.access_denied()  # listing users needs directory roles the app does not have
        user = segments[1]
        rest = segments[2:]
        if not rest:
            if method != "GET":
                raise errors.method_not_allowed()
            # Reading a user object needs User.Read.All, which a mail-only app lacks.
            raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        kind = rest[0].lower()
        if kind == "messages":
            return self._messages(method, user, rest[1:], raw_query, body, caller, folder=None)
        if kind == "mailfolders":
            return self._folders(method, user, rest[1:], raw_query, body, caller)
        raise errors.segment_not_found(rest[0])

    # -- access -----------------------------------------------------------------------

    def _mailbox(self, user: str, caller: Caller, roles: frozenset[str]) -> Mailbox:
        mailbox = self.store.find_mailbox(user)
        if mailbox is None:
            raise errors.invalid_user(user)
        if mailbox.tenant_id is None:
            tenant = self.store.tenant_of_domain(mailbox.address)
            if tenant is not None and tenant.tenant_id.lower() == caller.tenant_id.lower():
                raise errors.mailbox_on_premises()
            raise errors.invalid_user(user)
        if mailbox.tenant_id.lower() != caller.tenant_id.lower():
            raise errors.invalid_user(user)
        if not (caller.roles & roles):
            raise errors.access_denied()
        tenant = self.store.find_tenant(caller.tenant_id)
        app = self.store.find_app(tenant, caller.client_id) if tenant else None
        if app is not None and app.scope is not None and mailbox.address.lower() not in app.scope:
            raise errors.odata_disabled() if app.scope_kind == "access_policy" else errors.access_denied()
        return mailbox

    def _message(self, mailbox: Mailbox, item_id: str) -> Message:
        if not item_id.startswith(ITEM_ID_PREFIX):
            raise errors.id_malformed()
        try:
            message = self.store.get_message(mailbox.address, item_id)
        except ItemNotFound:
            raise errors.item_not_found() from None
        if mailbox.folders[message.folder_id].area == AREA_ARCHIVE:
            raise errors.item_not_found()
        return message

    def _folder(self, mailbox: Mailbox, ref: str) -> Folder:
        try:
            folder = self.store.folder(mailbox.address, ref)
        except FolderNotFound:
            if not ref.startswith(ITEM_ID_PREFIX):
                raise errors.id_malformed() from None
            raise errors.item_not_found() from None
        if folder.area == AREA_ARCHIVE or folder.well_known == "root":
            raise errors.item_not_found()
        return folder

    # -- messages ---------------------------------------------------------------------

    def _messages(self, method: str, user: str, rest: list[str], raw_query: str, body: bytes, caller: Caller, folder: str | None) -> Response:
        if not rest:
            if method != "GET":
                raise errors.method_not_allowed()
            mailbox = self._mailbox(user, caller, READ_ROLES)
            return self._list(mailbox, user, folder, raw_query)
        item_id = rest[0]
        if len(rest) == 1:
            if method == "GET":
                mailbox = self._mailbox(user, caller, READ_ROLES)
                query = parse_query(raw_query, collection=False)
                return Response(200, _with_expand(self._message(mailbox, item_id), query))
            if method == "DELETE":
                return self._delete(self._mailbox(user, caller, WRITE_ROLES), item_id)
            if method == "PATCH":
                return self._update(self._mailbox(user, caller, WRITE_ROLES), item_id, body)
            raise errors.method_not_allowed()
        action = rest[1]
        if action.lower() == "attachments":
            if method != "GET":
                raise errors.method_not_allowed()
            return self._attachments(self._mailbox(user, caller, READ_ROLES), item_id, rest[2:])
        if method != "POST" or len(rest) != 2:
            raise errors.segment_not_found(action) if method == "POST" else errors.method_not_allowed()
        handlers = {
            "permanentdelete": (WRITE_ROLES, self._permanent_delete),
            "move": (WRITE_ROLES, self._move),
            "forward": (SEND_ROLES, self._forward),
            "createforward": (WRITE_ROLES, self._create_forward),
            "send": (SEND_ROLES, self._send),
        }
        entry = handlers.get(action.lower())
        if entry is None:
            raise errors.segment_not_found(action)
        roles, handler = entry
        return handler(self._mailbox(user, caller, roles), item_id, body)

    def _list(self, mailbox: Mailbox, user: str, folder_ref: str | None, raw_query: str) -> Response:
        query = parse_query(raw_query, collection=True)
        if folder_ref is None:
            messages = self.store.list_messages(mailbox.address, area=AREA_IPM, predicate=query.predicate)
            context_path = f"users('{_quote(user)}')/messages"
        else:
            folder = self._folder(mailbox, folder_ref)
            messages = self.store.list_messages(mailbox.address, [folder.id], predicate=query.predicate)
            context_path = f"users('{_quote(user)}')/mailFolders('{folder_ref}')/messages"
        if query.order:
            messages = apply_order(messages, query.order)
        page = messages[query.skip : query.skip + query.top]
        select = f"({','.join(query.select)})" if query.select else ""
        result: dict[str, Any] = {"@odata.context": f"{self.context.urls.get('graph', '')}/v1.0/$metadata#{context_path}{select}"}
        if query.count:
            result["@odata.count"] = len(messages)
        result["value"] = [_with_expand(m, query) for m in page]
        if query.skip + query.top < len(messages):
            result["@odata.nextLink"] = self._next_link(user, folder_ref, raw_query, query.skip + query.top)
        return Response(200, result)

    def _next_link(self, user: str, folder_ref: str | None, raw_query: str, skip: int) -> str:
        kept = [p for p in raw_query.split("&") if p and not p.lower().startswith(("$skip=", "%24skip="))]
        kept.append(f"$skip={skip}")
        path = f"/v1.0/users/{quote(user, safe='@')}"
        path += f"/mailFolders/{quote(folder_ref)}/messages" if folder_ref else "/messages"
        return f"{self.context.urls.get('graph', '')}{path}?{'&'.join(kept)}"

    def _attachments(self, mailbox: Mailbox, item_id: str, rest: list[str]) -> Response:
        message = self._message(mailbox, item_id)
        if not rest:
            base = self.context.urls.get("graph", "")
            return Response(
                200,
                {
                    "@odata.context": f"{base}/v1.0/$metadata#users('{_quote(mailbox.address)}')/messages('{item_id}')/attachments",
                    "value": [attachment_json(a) for a in message.attachments],
                },
            )
        attachment = next((a for a in message.attachments if a.id == rest[0]), None)
        if attachment is None:
            raise errors.item_not_found()
        if len(rest) == 1:
            return Response(200, attachment_json(attachment))
        if len(rest) == 2 and rest[1] == "$value":
            return Response(200, attachment.content, content_type=attachment.content_type)
        raise errors.segment_not_found(rest[1])

    def _delete(self, mailbox: Mailbox, item_id: str) -> Response:
        message = self._message(mailbox, item_id)
        folder = mailbox.folders[message.folder_id]
        if folder.well_known in ("recoverableitemsdeletions", "recoverableitemspurges"):
            # NOTE: status and text taken from field reports of deleting from
            # Recoverable Items; not confirmed against the service.
            raise GraphError(403, "ErrorCannotDeleteObject", "The object cannot be deleted.")
        moved = self.store.delete_message(mailbox.address, item_id, DELETE_SOFT)
        log.info("delete mailbox=%s item=%s new_item=%s", mailbox.address, item_id, moved.id)
        return Response(204)

    def _permanent_delete(self, mailbox: Mailbox, item_id: str, body: bytes) -> Response:
        self._message(mailbox, item_id)
        self.store.delete_message(mailbox.address, item_id, DELETE_PERMANENT)
        return Response(204)

    def _move(self, mailbox: Mailbox, item_id: str, body: bytes) -> Response:
        payload = _json_object(body)
        destination = payload.get("destinationId")
        if not isinstance(destination, str) or not destination:
            raise errors.bad_request("Empty Payload. JSON content expected.", "ErrorInvalidRequest") if not payload else errors.bad_request(
                "The DestinationId property is required.", "ErrorInvalidIdMalformed"
            )
        self._message(mailbox, item_id)
        folder = self._folder(mailbox, destination)
        moved = self.store.move_message(mailbox.address, item_id, folder.id)
        return Response(201, message_json(moved))

    def _forward(self, mailbox: Mailbox, item_id: str, body: bytes) -> Response:
        payload = _json_object(body)
        recipients, comment = _forward_fields(payload)
        if not recipients:
            raise errors.no_recipients()
        self._message(mailbox, item_id)
        try:
            sent = self.store.forward(mailbox.address, item_id, recipients, comment)
        except MessageTooLarge:
            raise errors.message_too_large() from None
        log.info("forward mailbox=%s item=%s recipients=%d sent_item=%s", mailbox.address, item_id, len(recipients), sent.id if sent else "-")
        return Response(202)

    def _create_forward(self, mailbox: Mailbox, item_id: str, body: bytes) -> Response:
        payload = _json_object(body) if body.strip() else {}
        recipients, comment = _forward_fields(payload)
        self._message(mailbox, item_id)
        draft = self.store.create_forward_draft(mailbox.address, item_id, recipients, comment)
        return Response(201, message_json(draft))

    def _send(self, mailbox: Mailbox, item_id: str, body: bytes) -> Response:
        message = self._message(mailbox, item_id)
        if not message.is_draft:
            # NOTE: the text Exchange returns for sending a non-draft is not confirmed.
            raise errors.bad_request("The item is not a draft and cannot be sent.", "ErrorInvalidOperation")
        if not message.to and not message.cc:
            raise errors.no_recipients()
        try:
            self.store.send_draft(mailbox.address, item_id)
        except MessageTooLarge:
            raise errors.message_too_large() from None
        except InvalidOperation as exc:
            raise errors.bad_request(str(exc), "ErrorInvalidOperation") from None
        return Response(202)

    def _update(self, mailbox: Mailbox, item_id: str, body: bytes) -> Response:
        payload = _json_object(body)
        message = self._message(mailbox, item_id)
        changes: dict[str, Any] = {}
        if "toRecipients" in payload:
            changes["to"] = tuple(_recipients(payload["toRecipients"]))
        if "ccRecipients" in payload:
            changes["cc"] = tuple(_recipients(payload["ccRecipients"]))
        if "subject" in payload:
            changes["subject"] = str(payload["subject"])
        if isinstance(payload.get("body"), dict):
            changes["body"] = str(payload["body"].get("content", ""))
        if not message.is_draft and set(changes) - {"subject"}:
            raise errors.bad_request("Only drafts can have their recipients or body changed.", "ErrorInvalidOperation")
        updated = self.store.update_draft(mailbox.address, item_id, **changes) if message.is_draft else message
        return Response(200, message_json(updated))

    # -- folders ----------------------------------------------------------------------

    def _folders(self, method: str, user: str, rest: list[str], raw_query: str, body: bytes, caller: Caller) -> Response:
        if len(rest) >= 2 and rest[1].lower() == "messages":
            return self._messages(method, user, rest[2:], raw_query, body, caller, folder=rest[0])
        if method != "GET":
            raise errors.method_not_allowed()
        mailbox = self._mailbox(user, caller, READ_ROLES)
        if not rest:
            return self._folder_list(mailbox, "msgfolderroot")
        folder = self._folder(mailbox, rest[0])
        if len(rest) == 1:
            return Response(200, self._folder_json(mailbox, folder))
        if len(rest) == 2 and rest[1].lower() == "childfolders":
            return self._folder_list(mailbox, folder.id)
        raise errors.segment_not_found(rest[1])

    def _folder_list(self, mailbox: Mailbox, parent_ref: str) -> Response:
        children = self.store.child_folders(mailbox.address, parent_ref)
        return Response(200, {"value": [self._folder_json(mailbox, f) for f in children if f.area != AREA_ARCHIVE]})

    def _folder_json(self, mailbox: Mailbox, folder: Folder) -> dict:
        messages = [m for m in mailbox.messages.values() if m.folder_id == folder.id]
        children = self.store.child_folders(mailbox.address, folder.id)
        return folder_json(
            folder,
            parent_id=folder.parent_id,
            child_count=len(children),
            total=len(messages),
            unread=sum(1 for m in messages if not m.is_read),
        )


def _with_expand(message: Message, query: Query) -> dict:
    result = message_json(message, query.select)
    if query.expand_attachments:
        result["attachments"] = [attachment_json(a) for a in message.attachments]
    return result


def _json_object(body: bytes) -> dict:
    if not body.strip():
        raise errors.bad_request("Empty Payload. JSON content expected.", "ErrorInvalidRequest")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise errors.unreadable_json() from None
    if not isinstance(payload, dict):
        raise errors.unreadable_json()
    return payload


def _recipients(value: Any) -> list[Recipient]:
    if not isinstance(value, list):
        raise errors.unreadable_json()
    result = []
    for entry in value:
        address = entry.get("emailAddress", {}).get("address") if isinstance(entry, dict) else None
        if not isinstance(address, str) or "@" not in address:
            raise errors.bad_request(
                "At least one recipient is not valid., Recipient is not resolved. All recipients must be resolved before a message can be submitted.",
                "ErrorInvalidRecipients",
            )
        result.append(Recipient(address, entry["emailAddress"].get("name") or ""))
    return result


def _forward_fields(payload: dict) -> tuple[list[Recipient], str]:
    """Return (recipients, comment) of a forward or createForward body, checking the exclusive pairs."""
    message = payload.get("message") or {}
    if not isinstance(message, dict):
        raise errors.unreadable_json()
    comment = payload.get("comment")
    if comment is not None and message.get("body") is not None:
        # NOTE: Graph returns 400 here; the exact code and text are not documented.
        raise errors.bad_request("Both comment and message.body cannot be specified.", "ErrorInvalidRequest")
    top = payload.get("toRecipients")
    nested = message.get("toRecipients")
    if top is not None and nested is not None:
        raise errors.bad_request("Both toRecipients and message.toRecipients cannot be specified.", "ErrorInvalidRequest")
    if top is not None:
        recipients = _recipients(top)
    elif nested is not None:
        recipients = _recipients(nested)
    else:
        recipients = []
    text = comment if isinstance(comment, str) else ""
    if not text and isinstance(message.get("body"), dict):
        text = str(message["body"].get("content", ""))
    return recipients, text
