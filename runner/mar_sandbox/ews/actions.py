"""DeleteItem, CreateItem (ForwardItem) and SendItem: the operations that change a mailbox."""

from __future__ import annotations

import logging

from .backend import MESSAGE_TOO_LARGE, DeleteMode, MailboxError
from .items import find_message, item_error
from .operation import OperationContext, invalid_request, operation, required_child
from .soap import element, error_message, invalid_attribute, m, operation_response, success_message, t

log = logging.getLogger("mar_sandbox.ews")

# Exchange 2013-2019 organisations ship with a 10 MB MaxSendSize; a larger message is not sent.
MAX_SEND_BYTES = 10 * 1024 * 1024

_DELETE_MODES: dict[str, DeleteMode] = {"HardDelete": "hard", "SoftDelete": "soft", "MoveToDeletedItems": "trash"}


@operation("DeleteItem")
def delete_item(ctx: OperationContext) -> str:
    request = ctx.request.operation
    delete_type = request.get("DeleteType", "")
    if delete_type not in _DELETE_MODES:
        raise invalid_attribute("DeleteType", delete_type)
    responses = []
    for item_id in required_child(request, m("ItemIds"), "ItemIds"):
        address, message, code = find_message(ctx, item_id)
        if message is None:
            responses.append(item_error("DeleteItem", code or "ErrorItemNotFound"))
            continue
        try:
            ctx.backend.delete(address, message.message_key, _DELETE_MODES[delete_type])
        except MailboxError as exc:
            responses.append(error_message("DeleteItem", exc.code, exc.message))
            continue
        log.info("DeleteItem %s mailbox=%s item=%s", delete_type, address, message.message_key)
        responses.append(success_message("DeleteItem"))
    return operation_response("DeleteItem", responses)


def _recipients(parent) -> list[str]:
    found = []
    container = parent.find(t("ToRecipients"))
    if container is not None:
        for mailbox in container.findall(t("Mailbox")):
            address = (mailbox.findtext(t("EmailAddress")) or "").strip()
            if address:
                found.append(address)
    return found


@operation("CreateItem")
def create_item(ctx: OperationContext) -> str:
    request = ctx.request.operation
    disposition = request.get("MessageDisposition", "SaveOnly")
    if disposition not in ("SaveOnly", "SendOnly", "SendAndSaveCopy"):
        raise invalid_attribute("MessageDisposition", disposition)
    items = required_child(request, m("Items"), "Items")
    responses = []
    for item in items:
        if item.tag != t("ForwardItem"):
            # NOTE: the sandbox creates forwards only; new messages, replies and calendar items are
            # rejected until a test needs them.
            responses.append(error_message("CreateItem", "ErrorInvalidRequest", "The request is invalid."))
            continue
        responses.append(_forward(ctx, item, disposition))
    return operation_response("CreateItem", responses)


def _forward(ctx: OperationContext, item, disposition: str) -> str:
    reference = item.find(t("ReferenceItemId"))
    if reference is None:
        raise invalid_request("ForwardItem has no ReferenceItemId.")
    address, message, code = find_message(ctx, reference)
    if message is None:
        return item_error("CreateItem", code or "ErrorItemNotFound")
    recipients = _recipients(item)
    if not recipients:
        return error_message("CreateItem", "ErrorInvalidRecipients", "At least one recipient isn't valid.")
    if disposition != "SaveOnly" and message.size > MAX_SEND_BYTES:
        log.info("ForwardItem rejected: mailbox=%s item=%s size=%d", address, message.message_key, message.size)
        return error_message("CreateItem", "ErrorMessageSizeExceeded", MESSAGE_TOO_LARGE)
    subject = item.findtext(t("Subject"))
    comment = item.findtext(t("NewBodyContent")) or ""
    try:
        draft_key = ctx.backend.forward(address, message.message_key, recipients, subject, comment, disposition)
    except MailboxError as exc:
        return error_message("CreateItem", exc.code, exc.message)
    log.info("ForwardItem %s mailbox=%s item=%s", disposition, address, message.message_key)
    if draft_key is None:
        return success_message("CreateItem", element("m:Items"))
    draft = ctx.backend.message(address, draft_key)
    change_key = draft.change_key if draft is not None else None
    draft_id = element("t:ItemId", {"Id": draft_key, "ChangeKey": change_key})
    return success_message("CreateItem", element("m:Items", None, element("t:Message", None, draft_id)))


@operation("SendItem")
def send_item(ctx: OperationContext) -> str:
    request = ctx.request.operation
    save_copy = request.get("SaveItemToFolder", "true").lower() == "true"
    responses = []
    for item_id in required_child(request, m("ItemIds"), "ItemIds"):
        address, message, code = find_message(ctx, item_id)
        if message is None:
            responses.append(item_error("SendItem", code or "ErrorItemNotFound"))
            continue
        if not message.is_draft:
            responses.append(error_message("SendItem", "ErrorInvalidRequest", "The request is invalid."))
            continue
        if message.size > MAX_SEND_BYTES:
            log.info("SendItem rejected: mailbox=%s item=%s size=%d", address, message.message_key, message.size)
            responses.append(error_message("SendItem", "ErrorMessageSizeExceeded", MESSAGE_TOO_LARGE))
            continue
        try:
            ctx.backend.send_draft(address, message.message_key, save_copy)
        except MailboxError as exc:
            responses.append(error_message("SendItem", exc.code, exc.message))
            continue
        log.info("SendItem mailbox=%s item=%s", address, message.message_key)
        responses.append(success_message("SendItem"))
    return operation_response("SendItem", responses)
