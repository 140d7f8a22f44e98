"""GetItem and GetAttachment."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from . import ids
from .backend import MailboxError, MessageInfo
from .item_xml import attachment_xml, message_xml
from .operation import OperationContext, operation, requested_fields, required_child
from .soap import element, error_message, m, operation_response, success_message, t

ITEM_NOT_FOUND = "The specified object was not found in the store."
INVALID_ID = "Id is malformed."


def find_message(ctx: OperationContext, item_id: ET.Element) -> tuple[str, MessageInfo | None, str | None]:
    """Resolve an ItemId element to (mailbox, message, error code when it cannot be used)."""
    wanted_id = item_id.get("Id")
    address = ctx.mailbox_for_id(wanted_id)
    if not ids.is_well_formed(wanted_id):
        return address, None, "ErrorInvalidIdMalformed"
    try:
        message = ctx.backend.message(address, wanted_id or "")
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
        _, message, code = find_message(ctx, item_id)
        if message is None:
            responses.append(item_error("GetItem", code or "ErrorItemNotFound"))
            continue
        xml = message_xml(message, base_shape, fields)
        responses.append(success_message("GetItem", element("m:Items", None, xml)))
    return operation_response("GetItem", responses)


@operation("GetAttachment")
def get_attachment(ctx: OperationContext) -> str:
    attachment_ids = required_child(ctx.request.operation, m("AttachmentIds"), "AttachmentIds")
    responses = []
    for attachment_id in attachment_ids.findall(t("AttachmentId")):
        wanted_id = attachment_id.get("Id") or ""
        address = ctx.mailbox_for_id(wanted_id)
        if not ids.is_well_formed(wanted_id):
            responses.append(item_error("GetAttachment", "ErrorInvalidIdMalformed"))
            continue
        try:
            attachment = ctx.backend.attachment(address, wanted_id)
        except MailboxError as exc:
            responses.append(error_message("GetAttachment", exc.code, exc.message))
            continue
        if attachment is None:
            responses.append(item_error("GetAttachment", "ErrorItemNotFound"))
            continue
        xml = attachment_xml(attachment, with_content=True)
        responses.append(success_message("GetAttachment", element("m:Attachments", None, xml)))
    return operation_response("GetAttachment", responses)
