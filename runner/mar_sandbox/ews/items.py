"""GetItem and GetAttachment."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from . import ids
from .backend import MailboxError, MessageInfo
from .item_xml import attachment_xml, message_xml
from .operation import OperationContext, operation, requested_fields, required_child
from .soap import element, error_message, m, operation_response, success_message, t

ITEM_NOT_FOUND = "The specified object was not found in the store."
ATTACHMENT_NOT_FOUND = "The specified attachment was not found."
INVALID_ID = "Id is malformed."


def find_message(ctx: OperationContext, item_id: ET.Element) -> tuple[str, MessageInfo | None, str | None]:
    """Resolve an ItemId element to (mailbox, message, error code when it cannot be used)."""
    address = ctx.require_mailbox()
    decoded = ids.decode(item_id.get("Id"), "item")
    if decoded is None:
        return address, None, "ErrorInvalidIdMalformed"
    if decoded.address != address:
        return address, None, "ErrorItemNotFound"
    try:
        message = ctx.backend.message(address, decoded.key)
    except MailboxError as exc:
        return address, None, exc.code
    if message is None:
        return address, None, "ErrorItemNotFound"
    return address, message, None


def item_error(operation_name: str, code: str) -> str:
    text = INVALID_ID if code == "ErrorInvalidIdMalformed" else ITEM_NOT_FOUND
    return error_message(operation_name, code, text)


@operation("GetItem")
def get_item(ctx: OperationContext) -> str:
    request = ctx.request.operation
    base_shape, fields = requested_fields(request.find(m("ItemShape")))
    item_ids = required_child(request, m("ItemIds"), "ItemIds")
    responses = []
    for item_id in item_ids:
        address, message, code = find_message(ctx, item_id)
        if message is None:
            responses.append(item_error("GetItem", code or "ErrorItemNotFound"))
            continue
        xml = message_xml(address, message, base_shape, fields)
        responses.append(success_message("GetItem", element("m:Items", None, xml)))
    return operation_response("GetItem", responses)


@operation("GetAttachment")
def get_attachment(ctx: OperationContext) -> str:
    attachment_ids = required_child(ctx.request.operation, m("AttachmentIds"), "AttachmentIds")
    address = ctx.require_mailbox()
    responses = []
    for attachment_id in attachment_ids.findall(t("AttachmentId")):
        decoded = ids.decode(attachment_id.get("Id"), "attachment")
        attachment = None
        if decoded is not None and decoded.address == address:
            message_key, _, _ = decoded.key.partition("/")
            try:
                message = ctx.backend.message(address, message_key)
            except MailboxError:
                message = None
            if message is not None:
                attachment = next((a for a in message.attachments if a.attachment_id == decoded.key), None)
        if attachment is None:
            code = "ErrorInvalidIdMalformed" if decoded is None else "ErrorItemNotFound"
            responses.append(error_message("GetAttachment", code, INVALID_ID if decoded is None else ATTACHMENT_NOT_FOUND))
            continue
        xml = attachment_xml(address, attachment, with_content=True)
        responses.append(success_message("GetAttachment", element("m:Attachments", None, xml)))
    return operation_response("GetAttachment", responses)
