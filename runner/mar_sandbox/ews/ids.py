"""Checks on the EWS ids the sandbox hands out.

ItemId, FolderId and AttachmentId values are the store's own ids, which are opaque strings
shaped like Exchange ids (they start with AAMk). ChangeKey values come from the store too.
"""

from __future__ import annotations

ID_PREFIX = "AAMk"


def is_well_formed(value: str | None) -> bool:
    """Tell whether a value could be an id the sandbox issued; Exchange returns ErrorInvalidIdMalformed for others."""
    return bool(value) and value.startswith(ID_PREFIX) and len(value) > len(ID_PREFIX)  # type: ignore[union-attr]
