"""GetFolder and FindFolder over a mailbox's folder tree."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from . import ids
from .backend import FolderInfo, MailboxError
from .operation import OperationContext, operation, required_child
from .soap import element, error_message, m, operation_response, success_message, t

FOLDER_NOT_FOUND = "The specified folder could not be found in the store."

_FOLDER_ELEMENTS = {
    "IPF.Appointment": "t:CalendarFolder",
    "IPF.Contact": "t:ContactsFolder",
    "IPF.Task": "t:TasksFolder",
}


def folder_xml(address: str, folder: FolderInfo) -> str:
    tag = _FOLDER_ELEMENTS.get(folder.folder_class, "t:Folder")
    parts = [element("t:FolderId", {"Id": ids.encode("folder", address, folder.key), "ChangeKey": ids.change_key(folder.key)})]
    if folder.parent_key is not None:
        parts.append(
            element(
                "t:ParentFolderId",
                {"Id": ids.encode("folder", address, folder.parent_key), "ChangeKey": ids.change_key(folder.parent_key)},
            )
        )
    if folder.folder_class:
        parts.append(element("t:FolderClass", text=folder.folder_class))
    parts.append(element("t:DisplayName", text=folder.display_name))
    parts.append(element("t:TotalCount", text=str(folder.total_count)))
    parts.append(element("t:ChildFolderCount", text=str(folder.child_folder_count)))
    if folder.distinguished_id:
        parts.append(element("t:DistinguishedFolderId", text=folder.distinguished_id))
    parts.append(element("t:UnreadCount", text="0"))
    return element(tag, None, *parts)


def folder_target(ctx: OperationContext, folder_id: ET.Element) -> tuple[str, str | None]:
    """Resolve a FolderId or DistinguishedFolderId element to (mailbox, folder key or None if unknown)."""
    if folder_id.tag == t("DistinguishedFolderId"):
        explicit = folder_id.findtext(f"{t('Mailbox')}/{t('EmailAddress')}")
        address = ctx.require_mailbox(explicit)
        wanted = (folder_id.get("Id") or "").lower()
        for folder in _folders(ctx, address):
            if folder.distinguished_id == wanted:
                return address, folder.key
        return address, None
    address = ctx.require_mailbox()
    decoded = ids.decode(folder_id.get("Id"), "folder")
    if decoded is None or decoded.address != address:
        return address, None
    if not any(folder.key == decoded.key for folder in _folders(ctx, address)):
        return address, None
    return address, decoded.key


def folder_targets(ctx: OperationContext, container: ET.Element) -> list[tuple[str, str | None]]:
    return [folder_target(ctx, child) for child in container if child.tag in (t("FolderId"), t("DistinguishedFolderId"))]


def _folders(ctx: OperationContext, address: str) -> list[FolderInfo]:
    try:
        return ctx.backend.folders(address)
    except MailboxError:
        return []


@operation("GetFolder")
def get_folder(ctx: OperationContext) -> str:
    folder_ids = required_child(ctx.request.operation, m("FolderIds"), "FolderIds")
    messages = []
    for address, key in folder_targets(ctx, folder_ids):
        by_key = {folder.key: folder for folder in _folders(ctx, address)}
        if key is None or key not in by_key:
            messages.append(error_message("GetFolder", "ErrorFolderNotFound", FOLDER_NOT_FOUND))
            continue
        messages.append(success_message("GetFolder", element("m:Folders", None, folder_xml(address, by_key[key]))))
    return operation_response("GetFolder", messages)


def _descendants(folders: list[FolderInfo], parent_key: str, deep: bool) -> list[FolderInfo]:
    children: dict[str | None, list[FolderInfo]] = {}
    for folder in folders:
        children.setdefault(folder.parent_key, []).append(folder)
    found: list[FolderInfo] = []
    pending = list(children.get(parent_key, []))
    while pending:
        folder = pending.pop(0)
        found.append(folder)
        if deep:
            pending[0:0] = children.get(folder.key, [])
    return found


@operation("FindFolder")
def find_folder(ctx: OperationContext) -> str:
    request = ctx.request.operation
    traversal = request.get("Traversal", "Shallow")
    if traversal not in ("Shallow", "Deep", "SoftDeleted"):
        raise MailboxError("ErrorInvalidRequest", f"The Traversal value '{traversal}' is invalid.")
    parents = required_child(request, m("ParentFolderIds"), "ParentFolderIds")
    view = request.find(m("IndexedPageFolderView"))
    offset = int(view.get("Offset", "0")) if view is not None else 0
    max_entries = int(view.get("MaxEntriesReturned", "0") or 0) if view is not None else 0
    messages = []
    for address, key in folder_targets(ctx, parents):
        if key is None:
            messages.append(error_message("FindFolder", "ErrorFolderNotFound", FOLDER_NOT_FOUND))
            continue
        found = [] if traversal == "SoftDeleted" else _descendants(_folders(ctx, address), key, traversal == "Deep")
        page = found[offset:]
        if max_entries:
            page = page[:max_entries]
        last = offset + len(page) >= len(found)
        root = element(
            "m:RootFolder",
            {
                "IndexedPagingOffset": offset + len(page),
                "TotalItemsInView": len(found),
                "IncludesLastItemInRange": "true" if last else "false",
            },
            element("t:Folders", None, *(folder_xml(address, folder) for folder in page)),
        )
        messages.append(success_message("FindFolder", root))
    return operation_response("FindFolder", messages)
