"""FindItem: restrictions, sort order and indexed paging per parent folder."""

from __future__ import annotations

from .backend import MailboxError, MessageInfo
from .folders import MALFORMED, folder_error, folder_targets
from .item_xml import message_xml
from .operation import OperationContext, operation, requested_fields, required_child
from .restrictions import matches, validate
from .soap import SoapFault, element, error_message, invalid_attribute, m, operation_response, success_message, t


def _sort(messages: list[MessageInfo], order) -> list[MessageInfo]:
    if order is None or len(order) == 0:
        return sorted(messages, key=lambda item: item.received_at, reverse=True)
    for field_order in reversed(list(order)):
        field = field_order.find(t("FieldURI"))
        uri = field.get("FieldURI") if field is not None else ""
        descending = field_order.get("Order", "Ascending") == "Descending"
        if uri == "item:Subject":
            messages = sorted(messages, key=lambda item: item.subject.lower(), reverse=descending)
        else:
            messages = sorted(messages, key=lambda item: item.received_at, reverse=descending)
    return messages


@operation("FindItem")
def find_item(ctx: OperationContext) -> str:
    request = ctx.request.operation
    traversal = request.get("Traversal", "Shallow")
    if traversal not in ("Shallow", "SoftDeleted", "Associated"):
        raise invalid_attribute("Traversal", traversal)
    if request.find(m("QueryString")) is not None:
        # NOTE: Exchange evaluates AQS query strings; the sandbox does not, and returning every item
        # instead would make a search look successful, so it rejects them.
        raise SoapFault(
            "ErrorUnsupportedQueryFilter",
            "The sandbox does not evaluate QueryString searches; use a Restriction instead.",
        )
    base_shape, fields = requested_fields(request.find(m("ItemShape")))
    restriction_elem = request.find(m("Restriction"))
    restriction = restriction_elem[0] if restriction_elem is not None and len(restriction_elem) else None
    if restriction is not None:
        validate(restriction)
    view = request.find(m("IndexedPageItemView"))
    offset = int(view.get("Offset", "0")) if view is not None else 0
    max_entries = int(view.get("MaxEntriesReturned", "0") or 0) if view is not None else 0
    from_end = view is not None and view.get("BasePoint") == "End"
    parents = required_child(request, m("ParentFolderIds"), "ParentFolderIds")

    responses = []
    for address, key in folder_targets(ctx, parents):
        if key is None or key == MALFORMED:
            responses.append(folder_error("FindItem", key))
            continue
        try:
            found = [] if traversal != "Shallow" else ctx.backend.messages(address, key)
        except MailboxError as exc:
            responses.append(error_message("FindItem", exc.code, exc.message))
            continue
        if restriction is not None:
            found = [message for message in found if matches(restriction, message)]
        found = _sort(found, request.find(m("SortOrder")))
        if from_end:
            found = list(reversed(found))
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
            element("t:Items", None, *(message_xml(message, base_shape, fields) for message in page)),
        )
        responses.append(success_message("FindItem", root))
    return operation_response("FindItem", responses)
