"""The OData query options Graph mail accepts on message collections: $filter, $select, $top, $skip, $orderby, $count.

The query string is percent-decoded before parsing (``+`` becomes a space,
as form decoding does, which is why clients must send ``%2B``). A string
literal is in single quotes with ``''`` for a quote inside it. DateTimeOffset
literals are unquoted (``receivedDateTime ge 2026-01-01T00:00:00Z``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from mar_sandbox.graph.errors import GraphError, bad_request
from mar_sandbox.model import Message

MAX_TOP = 1000
DEFAULT_TOP = 10
KNOWN_OPTIONS = {"$filter", "$select", "$top", "$skip", "$orderby", "$count", "$expand", "$search"}

# Property name -> (type, getter). Types: string, address, datetime, bool.
PROPERTIES: dict[str, tuple[str, Callable[[Message], object]]] = {
    "id": ("string", lambda m: m.id),
    "internetmessageid": ("string", lambda m: m.internet_message_id),
    "subject": ("string", lambda m: m.subject),
    "parentfolderid": ("string", lambda m: m.folder_id),
    "receiveddatetime": ("datetime", lambda m: m.received),
    "sentdatetime": ("datetime", lambda m: m.sent),
    "createddatetime": ("datetime", lambda m: m.created or m.received),
    "lastmodifieddatetime": ("datetime", lambda m: m.created or m.received),
    "hasattachments": ("bool", lambda m: m.has_attachments),
    "isdraft": ("bool", lambda m: m.is_draft),
    "isread": ("bool", lambda m: m.is_read),
    "from/emailaddress/address": ("address", lambda m: m.sender.address),
    "sender/emailaddress/address": ("address", lambda m: m.sender.address),
    "from/emailaddress/name": ("string", lambda m: m.sender.name),
}

# The message properties $select accepts (Graph's names).
SELECTABLE = (
    "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "receivedDateTime",
    "sentDateTime", "hasAttachments", "internetMessageId", "subject", "bodyPreview", "importance",
    "parentFolderId", "conversationId", "conversationIndex", "isDeliveryReceiptRequested",
    "isReadReceiptRequested", "isRead", "isDraft", "webLink", "inferenceClassification", "body",
    "uniqueBody", "sender", "from", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "flag",
    "internetMessageHeaders",
)
SELECTABLE_LOWER = {name.lower(): name for name in SELECTABLE}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<paren>[(),])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
OPERATOR_NAMES = {
    "eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual",
}
EDM_TYPES = {"string": "Edm.String", "address": "Edm.String", "datetime": "Edm.DateTimeOffset", "bool": "Edm.Boolean", "number": "Edm.Int32", "null": "null"}

Predicate = Callable[[Message], bool]


def invalid_filter(detail: str) -> GraphError:
    # NOTE: Graph's wording for filter syntax errors varies by parser stage;
    # this follows the "Invalid filter clause" form it uses for mail.
    return bad_request(f"Invalid filter clause: {detail}")


def unknown_property(name: str) -> GraphError:
    return bad_request(f"Could not find a property named '{name}' on type 'microsoft.graph.message'.")


@dataclass
class _Token:
    kind: str
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            start = len(text) - len(text[position:].lstrip())
            raise invalid_filter(f"Syntax error at position {start} in '{text}'.")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise invalid_filter(f"Syntax error at position {len(self.text)} in '{self.text}'.")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise invalid_filter(f"Syntax error at position {token.position} in '{self.text}'.")

    def parse(self) -> Predicate:
        predicate = self.parse_or()
        token = self.peek()
        if token is not None:
            raise invalid_filter(f"Syntax error at position {token.position} in '{self.text}'.")
        return predicate

    def parse_or(self) -> Predicate:
        terms = [self.parse_and()]
        while self._keyword("or"):
            terms.append(self.parse_and())
        return terms[0] if len(terms) == 1 else (lambda m, ts=tuple(terms): any(t(m) for t in ts))

    def parse_and(self) -> Predicate:
        terms = [self.parse_unary()]
        while self._keyword("and"):
            terms.append(self.parse_unary())
        return terms[0] if len(terms) == 1 else (lambda m, ts=tuple(terms): all(t(m) for t in ts))

    def _keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "name" and token.text == word:
            self.index += 1
            return True
        return False

    def parse_unary(self) -> Predicate:
        if self._keyword("not"):
            inner = self.parse_unary()
            return lambda m: not inner(m)
        token = self.peek()
        if token is not None and token.text == "(":
            self.take()
            inner = self.parse_or()
            self.expect(")")
            return inner
        if token is not None and token.kind == "name" and token.text.lower() in ("startswith", "contains", "endswith"):
            return self.parse_function()
        return self.parse_comparison()

    def parse_function(self) -> Predicate:
        name = self.take().text.lower()
        self.expect("(")
        prop_token = self.take()
        prop_type, getter = self._property(prop_token)
        self.expect(",")
        literal = self.take()
        if literal.kind != "string" or prop_type not in ("string", "address"):
            raise bad_request(f"The '{name}' function needs a string property and a string literal.")
        self.expect(")")
        value = _string(literal.text).lower()
        if name == "startswith":
            return lambda m: str(getter(m)).lower().startswith(value)
        if name == "endswith":
            return lambda m: str(getter(m)).lower().endswith(value)
        return lambda m: value in str(getter(m)).lower()

    def _property(self, token: _Token) -> tuple[str, Callable[[Message], object]]:
        if token.kind != "name":
            raise invalid_filter(f"Syntax error at position {token.position} in '{self.text}'.")
        found = PROPERTIES.get(token.text.lower())
        if found is None:
            raise unknown_property(token.text.split("/")[-1] if "/" not in token.text else token.text)
        return found

    def parse_comparison(self) -> Predicate:
        prop_token = self.take()
        prop_type, getter = self._property(prop_token)
        operator = self.take()
        if operator.kind != "name" or operator.text not in COMPARISONS:
            raise invalid_filter(f"Syntax error at position {operator.position} in '{self.text}'.")
        literal = self.take()
        value, literal_type = _literal(literal, self.text)
        if literal_type != "null" and EDM_TYPES[literal_type] != EDM_TYPES[prop_type]:
            raise bad_request(
                "A binary operator with incompatible types was detected. Found operand types "
                f"'{EDM_TYPES[prop_type]}' and '{EDM_TYPES[literal_type]}' for operator kind '{OPERATOR_NAMES[operator.text]}'."
            )
        return _comparison(getter, prop_type, operator.text, value)


def _string(text: str) -> str:
    return text[1:-1].replace("''", "'")


def _literal(token: _Token, source: str) -> tuple[object, str]:
    if token.kind == "string":
        return _string(token.text), "string"
    if token.kind == "datetime":
        value = datetime.fromisoformat(token.text.replace("Z", "+00:00"))
        return value.astimezone(timezone.utc), "datetime"
    if token.kind == "number":
        return float(token.text), "number"
    if token.kind == "name" and token.text in ("true", "false"):
        return token.text == "true", "bool"
    if token.kind == "name" and token.text == "null":
        return None, "null"
    raise invalid_filter(f"Syntax error at position {token.position} in '{source}'.")


def _comparison(getter: Callable[[Message], object], prop_type: str, operator: str, value: object) -> Predicate:
    if prop_type == "address" and isinstance(value, str):
        value = value.lower()

        def read(m: Message) -> object:
            return str(getter(m)).lower()
    else:
        read = getter
    if operator == "eq":
        return lambda m: read(m) == value
    if operator == "ne":
        return lambda m: read(m) != value
    if value is None:
        return lambda m: False
    ops: dict[str, Callable[[object, object], bool]] = {
        "gt": lambda a, b: a > b,  # type: ignore[operator]
        "ge": lambda a, b: a >= b,  # type: ignore[operator]
        "lt": lambda a, b: a < b,  # type: ignore[operator]
        "le": lambda a, b: a <= b,  # type: ignore[operator]
    }
    compare = ops[operator]
    return lambda m: compare(read(m), value)


def parse_filter(text: str) -> Predicate:
    """Compile a decoded $filter expression into a predicate over messages; raise GraphError when invalid."""
    if not text.strip():
        raise invalid_filter(f"Syntax error at position 0 in '{text}'.")
    return _Parser(text).parse()


def filter_properties(text: str) -> list[str]:
    """Return the lowercased property names of a $filter in order of appearance."""
    return [t.text.lower() for t in _tokenize(text) if t.kind == "name" and t.text.lower() in PROPERTIES]


@dataclass
class Query:
    """Parsed query options of a collection request."""

    predicate: Predicate | None = None
    filter_text: str | None = None
    select: list[str] | None = None
    top: int = DEFAULT_TOP
    skip: int = 0
    order: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    count: bool = False
    expand_attachments: bool = False


def parse_query(raw_query: str, *, collection: bool) -> Query:
    """Parse the query string of a request; raise GraphError on unknown or invalid options."""
    options: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        key = name
        if not key.startswith("$"):
            continue  # v1.0 reads only $-prefixed options and ignores other parameters
        if key.lower() not in KNOWN_OPTIONS:
            raise bad_request(f"Query option '{key}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.")
        if key.lower() in options:
            raise bad_request(f"Query option '{key}' was specified more than once, but it must be specified at most once.")
        options[key.lower()] = value
    query = Query()
    if "$search" in options:
        raise bad_request("The query parameter '$search' is not supported by the sandbox.", "BadRequest")
    if "$expand" in options:
        if options["$expand"].strip().lower() != "attachments":
            raise bad_request(f"Parsing OData Select and Expand failed: Could not find a property named '{options['$expand']}' on type 'microsoft.graph.message'.")
        query.expand_attachments = True
    if "$filter" in options:
        if not collection:
            raise bad_request("The query specified in the URI is not valid. The requested resource is not a collection. Query options $filter, $orderby, $count, $skip, and $top can be applied only on collections.")
        query.filter_text = options["$filter"]
        query.predicate = parse_filter(options["$filter"])
    if "$select" in options:
        names = [n.strip() for n in options["$select"].split(",") if n.strip()]
        selected = []
        for name in names:
            canonical = SELECTABLE_LOWER.get(name.lower())
            if canonical is None:
                raise bad_request(f"Could not find a property named '{name}' on type 'microsoft.graph.message'.", "RequestBroker--ParseUri")
            selected.append(canonical)
        query.select = selected
    if "$top" in options:
        query.top = _integer(options["$top"], "$top")
        if not 1 <= query.top <= MAX_TOP:
            # NOTE: the range and the text follow the Graph paging docs (1-1000).
            raise bad_request(f"Invalid page size specified: '{query.top}'. Must be between 1 and {MAX_TOP} inclusive.", "ErrorInvalidProperty")
    if "$skip" in options:
        query.skip = _integer(options["$skip"], "$skip")
        if query.skip < 0:
            raise bad_request(f"Invalid value '{query.skip}' for $skip query option found. The $skip query option requires a non-negative integer value.")
    if "$orderby" in options:
        query.order = _order(options["$orderby"])
        if query.filter_text is not None:
            _check_order_with_filter(query.order, query.filter_text)
    if "$count" in options:
        if options["$count"].lower() not in ("true", "false"):
            raise bad_request(f"Invalid value '{options['$count']}' for $count query option found. Valid values are 'true' and 'false'.")
        query.count = options["$count"].lower() == "true"
    return query


def _integer(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise bad_request(f"Invalid value '{text}' for {option} query option found. The {option} query option requires a non-negative integer value.") from None


def _order(text: str) -> list[tuple[str, bool]]:
    order = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise bad_request(f"Syntax error at position {len(text)} in '{text}'.")
        name = words[0].lower()
        if name not in PROPERTIES:
            raise unknown_property(words[0])
        order.append((name, len(words) == 2 and words[1].lower() == "desc"))
    return order


def _check_order_with_filter(order: list[tuple[str, bool]], filter_text: str) -> None:
    # Exchange returns InefficientFilter unless the $orderby properties also
    # come first in $filter, in the same order.
    used = filter_properties(filter_text)
    wanted = [name for name, _ in order]
    if used[: len(wanted)] != wanted:
        raise bad_request("The restriction or sort order is too complex for this operation.", "InefficientFilter")


def apply_order(messages: list[Message], order: list[tuple[str, bool]]) -> list[Message]:
    """Sort messages by $orderby (default: received time, newest first, which the store already gives)."""
    for name, descending in reversed(order):
        getter = PROPERTIES[name][1]
        messages = sorted(messages, key=lambda m: (getter(m), m.id), reverse=descending)  # type: ignore[arg-type,return-value]
    return messages
