"""GetFolder and FindFolder over a mailbox's folder tree."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from . import ids
from .backend import FolderInfo
from .operation import OperationContext, operation, required_child
from .soap import element, error_message, invalid_attribute, m, operation_response, success_message, t

FOLDER_NOT_FOUND = "The specified folder could not be found in the store."
# folder_target's key for a FolderId that cannot be an id the sandbox issued.
MALFORMED = "\x00malformed"

_FOLDER_ELEMENTS = {
    "IPF.Appointment": "t:CalendarFolder",
    "IPF.Contact": "t:ContactsFolder",
    "IPF.Task": "t:TasksFolder",
}


def folder_xml(folder: FolderInfo, parent_change_key: str = "") -> str:
    tag = _FOLDER_ELEMENTS.get(folder.folder_class, "t:Folder")
    parts = [element("t:FolderId", {"Id": folder.key, "ChangeKey": folder.change_key})]
    if folder.parent_key is not None:
        parts.append(element("t:ParentFolderId", {"Id": folder.parent_key, "ChangeKey": parent_change_key}))
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
    wanted_id = folder_id.get("Id")
    if not ids.is_well_formed(wanted_id):
        return ctx.require_mailbox(), MALFORMED
    address = ctx.mailbox_for_id(wanted_id)
    if not any(folder.key == wanted_id for folder in _folders(ctx, address)):
        return address, None
    return address, wanted_id


def folder_error(operation_name: str, key: str | None) -> str:
    """Build the per-folder error for a folder that folder_target could not resolve."""
    if key == MALFORMED:
        return error_message(operation_name, "ErrorInvalidIdMalformed", "Id is malformed.")
    return error_message(operation_name, "ErrorFolderNotFound", FOLDER_NOT_FOUND)


def folder_targets(ctx: OperationContext, container: ET.Element) -> list[tuple[str, str | None]]:
    return [folder_target(ctx, child) for child in container if child.tag in (t("FolderId"), t("DistinguishedFolderId"))]


def _folders(ctx: OperationContext, address: str) -> list[FolderInfo]:
    return ctx.folders(address)


def _parent_change_key(by_key: dict[str, FolderInfo], folder: FolderInfo) -> str:
    parent = by_key.get(folder.parent_key or "")
    return parent.change_key if parent is not None else ""


@operation("GetFolder")
def get_folder(ctx: OperationContext) -> str:
    folder_ids = required_child(ctx.request.operation, m("FolderIds"), "FolderIds")
    messages = []
    for address, key in folder_targets(ctx, folder_ids):
        by_key = {folder.key: folder for folder in _folders(ctx, address)}
        if key is None or key not in by_key:
            messages.append(folder_error("GetFolder", key))
            continue
        folder = by_key[key]
        xml = folder_xml(folder, _parent_change_key(by_key, folder))
        messages.append(success_message("GetFolder", element("m:Folders", None, xml)))
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
        raise invalid_attribute("Traversal", traversal)
    parents = required_child(request, m("ParentFolderIds"), "ParentFolderIds")
    view = request.find(m("IndexedPageFolderView"))
    offset = int(view.get("Offset", "0")) if view is not None else 0
    max_entries = int(view.get("MaxEntriesReturned", "0") or 0) if view is not None else 0
    messages = []
    for address, key in folder_targets(ctx, parents):
        if key is None or key == MALFORMED:
            messages.append(folder_error("FindFolder", key))
            continue
        every_folder = _folders(ctx, address)
        by_key = {folder.key: folder for folder in every_folder}
        found = [] if traversal == "SoftDeleted" else _descendants(every_folder, key, traversal == "Deep")
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
            element("t:Folders", None, *(folder_xml(folder, _parent_change_key(by_key, folder)) for folder in page)),
        )
        messages.append(success_message("FindFolder", root))
    return operation_response("FindFolder", messages)
