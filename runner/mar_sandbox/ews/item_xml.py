"""Serialisation of messages and attachments with the fields exchangelib requests."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from .backend import AttachmentInfo, MessageInfo
from .soap import element

# Fields returned for BaseShape Default (and for AllProperties, which adds nothing the sandbox stores).
DEFAULT_FIELDS = {
    "item:ParentFolderId",
    "item:ItemClass",
    "item:Subject",
    "item:Attachments",
    "item:DateTimeReceived",
    "item:Size",
    "item:DateTimeSent",
    "item:DateTimeCreated",
    "item:HasAttachments",
    "item:IsDraft",
    "item:DisplayTo",
    "message:Sender",
    "message:ToRecipients",
    "message:IsRead",
    "message:From",
    "message:InternetMessageId",
}


def ews_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def mailbox_xml(tag: str, address: str) -> str:
    return element(tag, None, _recipient(address))


def attachment_xml(attachment: AttachmentInfo, with_content: bool) -> str:
    parts = [
        element("t:AttachmentId", {"Id": attachment.attachment_id}),
        element("t:Name", text=attachment.name),
        element("t:ContentType", text=attachment.content_type),
        element("t:Size", text=str(len(attachment.content))),
        element("t:IsInline", text="false"),
    ]
    if with_content:
        parts.append(element("t:Content", text=base64.b64encode(attachment.content).decode("ascii")))
    return element("t:FileAttachment", None, *parts)


def message_xml(message: MessageInfo, base_shape: str, fields: set[str], folder_change_key: str = "") -> str:
    """Serialise one message with the fields a shape requests, in the schema's element order."""
    wanted = set(fields)
    if base_shape in ("Default", "AllProperties"):
        wanted |= DEFAULT_FIELDS
    values: list[tuple[str, str]] = [
        ("item:ParentFolderId", element(
            "t:ParentFolderId", {"Id": message.folder_key, "ChangeKey": folder_change_key or None}
        )),
        ("item:ItemClass", element("t:ItemClass", text="IPM.Note")),
        ("item:Subject", element("t:Subject", text=message.subject)),
        ("item:Body", element("t:Body", {"BodyType": message.body_type}, text=message.body)),
        ("item:Attachments", element(
            "t:Attachments", None, *(attachment_xml(attachment, False) for attachment in message.attachments)
        ) if message.attachments else ""),
        ("item:DateTimeReceived", element("t:DateTimeReceived", text=ews_datetime(message.received_at))),
        ("item:Size", element("t:Size", text=str(message.size))),
        ("item:DateTimeSent", element("t:DateTimeSent", text=ews_datetime(message.sent_at or message.received_at))),
        ("item:DateTimeCreated", element("t:DateTimeCreated", text=ews_datetime(message.received_at))),
        ("item:HasAttachments", element("t:HasAttachments", text="true" if message.attachments else "false")),
        ("item:IsDraft", element("t:IsDraft", text="true" if message.is_draft else "false")),
        ("item:DisplayTo", element("t:DisplayTo", text="; ".join(message.to_recipients))),
        ("message:Sender", mailbox_xml("t:Sender", message.sender) if message.sender else ""),
        ("message:ToRecipients", element(
            "t:ToRecipients", None, *(_recipient(recipient) for recipient in message.to_recipients)
        ) if message.to_recipients else ""),
        ("message:IsRead", element("t:IsRead", text="true" if message.is_read else "false")),
        ("message:From", mailbox_xml("t:From", message.sender) if message.sender else ""),
        ("message:InternetMessageId", element("t:InternetMessageId", text=message.internet_message_id)),
    ]
    parts = [element("t:ItemId", {"Id": message.message_key, "ChangeKey": message.change_key})]
    parts.extend(xml for uri, xml in values if uri in wanted and xml)
    return element("t:Message", None, *parts)


def _recipient(address: str) -> str:
    return element(
        "t:Mailbox",
        None,
        element("t:Name", text=address),
        element("t:EmailAddress", text=address),
        element("t:RoutingType", text="SMTP"),
        element("t:MailboxType", text="OneOff"),
    )
