"""JSON shapes of Graph messages, attachments and mail folders."""

from __future__ import annotations

import base64
from datetime import datetime

from mar_sandbox.model import Attachment, Folder, Message, Recipient


def graph_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _party(recipient: Recipient) -> dict:
    return {"emailAddress": {"name": recipient.name or recipient.address, "address": recipient.address}}


def message_json(message: Message, select: list[str] | None = None) -> dict:
    """Return a message resource; with ``select`` only those properties plus ``@odata.etag`` and ``id``."""
    created = graph_time(message.created or message.received)
    full = {
        "@odata.etag": f'W/"{message.change_key}"',
        "id": message.id,
        "createdDateTime": created,
        "lastModifiedDateTime": created,
        "changeKey": message.change_key,
        "categories": [],
        "receivedDateTime": graph_time(message.received),
        "sentDateTime": graph_time(message.sent),
        "hasAttachments": message.has_attachments,
        "internetMessageId": message.internet_message_id,
        "subject": message.subject,
        "bodyPreview": message.body[:255],
        "importance": "normal",
        "parentFolderId": message.folder_id,
        "conversationId": "AAQkA" + message.internet_message_id.encode().hex()[:40],
        "conversationIndex": "AQHa",
        "isDeliveryReceiptRequested": False,
        "isReadReceiptRequested": False,
        "isRead": message.is_read,
        "isDraft": message.is_draft,
        "webLink": f"https://outlook.office365.com/owa/?ItemID={message.id}&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": "focused",
        "body": {"contentType": message.body_type, "content": message.body},
        "sender": _party(message.sender),
        "from": _party(message.sender),
        "toRecipients": [_party(r) for r in message.to],
        "ccRecipients": [_party(r) for r in message.cc],
        "bccRecipients": [],
        "replyTo": [],
        "flag": {"flagStatus": "notFlagged"},
    }
    if select is None:
        return full
    result = {"@odata.etag": full["@odata.etag"], "id": message.id}
    for name in select:
        if name in full:
            result[name] = full[name]
    return result


def attachment_json(attachment: Attachment, *, with_content: bool = True) -> dict:
    result = {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "@odata.mediaContentType": attachment.content_type,
        "id": attachment.id,
        "lastModifiedDateTime": None,
        "name": attachment.name,
        "contentType": attachment.content_type,
        "size": attachment.size,
        "isInline": attachment.is_inline,
        "contentId": attachment.content_id,
        "contentLocation": None,
    }
    if with_content:
        result["contentBytes"] = base64.b64encode(attachment.content).decode("ascii")
    return result


def folder_json(folder: Folder, *, parent_id: str | None, child_count: int, total: int, unread: int) -> dict:
    return {
        "id": folder.id,
        "displayName": folder.name,
        "parentFolderId": parent_id,
        "childFolderCount": child_count,
        "unreadItemCount": unread,
        "totalItemCount": total,
        "sizeInBytes": 0,
        "isHidden": False,
    }
