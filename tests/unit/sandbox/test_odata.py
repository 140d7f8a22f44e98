"""The OData subset of the Graph endpoint: filters, literals, query options and their errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mar_sandbox.graph.errors import GraphError
from mar_sandbox.graph.odata import parse_filter, parse_query
from mar_sandbox.model import Attachment, Message, Recipient


def _message(**fields) -> Message:
    base = {
        "id": "AAMkAG1",
        "change_key": "c",
        "mailbox": "alice@x.example",
        "folder_id": "f",
        "internet_message_id": "<a+b=c@x.example>",
        "sender": Recipient("Bad@Evil.example"),
        "to": (Recipient("alice@x.example"),),
        "subject": "It's due",
        "received": datetime(2026, 11, 30, 9, 15, tzinfo=timezone.utc),
        "sent": datetime(2026, 11, 30, 9, 14, tzinfo=timezone.utc),
        "attachments": (Attachment("a", "x.docm", "application/octet-stream", b"x", "00"),),
    }
    base.update(fields)
    return Message(**base)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("internetMessageId eq '<a+b=c@x.example>'", True),
        ("internetMessageId eq '<a b=c@x.example>'", False),
        ("subject eq 'It''s due'", True),
        ("receivedDateTime ge 2026-11-30T09:00:00Z and receivedDateTime le 2026-11-30T09:30:00Z", True),
        ("receivedDateTime gt 2026-11-30T09:15:00Z", False),
        ("from/emailAddress/address eq 'bad@evil.example'", True),
        ("hasAttachments eq true", True),
        ("hasAttachments eq false or isDraft eq true", False),
        ("not (hasAttachments eq false)", True),
        ("startswith(subject, 'it')", True),
    ],
)
def test_filter_matches(expression, expected):
    assert parse_filter(expression)(_message()) is expected


def test_query_is_percent_decoded():
    query = parse_query("$filter=internetMessageId%20eq%20%27%3Ca%2Bb%3Dc%40x.example%3E%27", collection=True)
    assert query.predicate(_message()) is True


def test_plus_decodes_to_space():
    query = parse_query("$filter=internetMessageId eq '<a+b=c@x.example>'", collection=True)
    assert query.predicate(_message()) is False


def _error(callable_, *args, **kwargs) -> tuple[int, str, str]:
    with pytest.raises(GraphError) as raised:
        callable_(*args, **kwargs)
    return raised.value.status, raised.value.code, raised.value.message


def test_unterminated_string():
    assert _error(parse_filter, "subject eq 'abc") == (400, "BadRequest", "Invalid filter clause: Syntax error at position 11 in 'subject eq 'abc'.")


def test_unknown_operator():
    assert _error(parse_filter, "subject like 'a'") == (400, "BadRequest", "Invalid filter clause: Syntax error at position 8 in 'subject like 'a''.")


def test_boolean_against_string():
    assert _error(parse_filter, "hasAttachments eq 'true'") == (
        400,
        "BadRequest",
        "A binary operator with incompatible types was detected. Found operand types 'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'.",
    )


def test_unknown_select_property():
    assert _error(parse_query, "$select=id,foo", collection=True) == (
        400,
        "RequestBroker--ParseUri",
        "Could not find a property named 'foo' on type 'microsoft.graph.message'.",
    )


def test_unknown_option():
    assert _error(parse_query, "$frobnicate=1", collection=True)[2].startswith("Query option '$frobnicate' is not allowed.")


def test_repeated_option():
    assert _error(parse_query, "$top=1&$top=2", collection=True)[2] == (
        "Query option '$top' was specified more than once, but it must be specified at most once."
    )


def test_top_not_a_number():
    assert _error(parse_query, "$top=ten", collection=True)[2] == (
        "Invalid value 'ten' for $top query option found. The $top query option requires a non-negative integer value."
    )


def test_filter_on_single_item():
    assert _error(parse_query, "$filter=isRead eq true", collection=False)[0] == 400


def test_orderby_after_filter_property():
    query = parse_query("$filter=receivedDateTime ge 2026-01-01T00:00:00Z&$orderby=receivedDateTime desc", collection=True)
    assert query.order == [("receiveddatetime", True)]


def test_select_keeps_graph_names():
    assert parse_query("$select=ID,internetmessageid", collection=True).select == ["id", "internetMessageId"]
