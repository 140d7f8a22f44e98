"""ConvertId, which exchangelib sends first to learn the server version."""

from __future__ import annotations

from .operation import OperationContext, operation
from .soap import error_message, m, operation_response


@operation("ConvertId", mailbox=False)
def convert_id(ctx: OperationContext) -> str:
    # The sandbox does not convert ids between formats; each requested id gets the error Exchange
    # sends for a mailbox it does not know, which is what the version probe (Mailbox="DUMMY") receives.
    source_ids = ctx.request.operation.find(m("SourceIds"))
    count = len(source_ids) if source_ids is not None else 1
    messages = [
        error_message("ConvertId", "ErrorInvalidSmtpAddress", "The SMTP address format is invalid.")
        for _ in range(max(count, 1))
    ]
    return operation_response("ConvertId", messages)
