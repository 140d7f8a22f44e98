"""Log handlers for the mail log, the remediation log, JSON Lines and syslog."""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
from collections.abc import Collection

from mar_runner.logs.formatters import EventLineFormatter, event_of


class EventFilter(logging.Filter):
    """Pass only the engine events named in ``events`` (all events when None)."""

    def __init__(self, events: Collection[str] | None) -> None:
        super().__init__()
        self.events = frozenset(events) if events is not None else None

    def filter(self, record: logging.LogRecord) -> bool:
        event, _fields = event_of(record)
        if not event:
            return False
        return self.events is None or event in self.events


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler whose files are created with mode 0600.

    The logs hold recipient addresses and subjects, so only the engine's user
    may read them, including the files a rollover creates.
    """

    def _open(self):  # type: ignore[override]
        def opener(path: str, flags: int) -> int:
            return os.open(path, flags, 0o600)

        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors, opener=opener)


def rotating_file_handler(
    path: os.PathLike[str] | str,
    *,
    max_bytes: int,
    backups: int,
    events: Collection[str] | None,
    formatter: logging.Formatter,
) -> PrivateRotatingFileHandler:
    """Return a handler that writes the given events to ``path``, rotated by size and count."""
    handler = PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.addFilter(EventFilter(events))
    handler.setFormatter(formatter)
    return handler


def parse_syslog_address(address: str) -> tuple[str | tuple[str, int], int]:
    """Return the SysLogHandler address and socket type of a syslog setting.

    Accepted forms: a path to a Unix socket (``/dev/log``), ``host:port`` or
    ``udp://host:port`` (UDP), ``tcp://host:port`` (TCP). The port defaults to 514.
    """
    text = address.strip()
    if text.startswith("/"):
        return text, socket.SOCK_DGRAM
    socktype = socket.SOCK_DGRAM
    for scheme, kind in (("udp://", socket.SOCK_DGRAM), ("tcp://", socket.SOCK_STREAM)):
        if text.startswith(scheme):
            text, socktype = text[len(scheme) :], kind
            break
    if "://" in text or not text:
        raise ValueError(
            f"invalid syslog address {address!r}: use a socket path such as /dev/log, "
            "host:port, udp://host:port or tcp://host:port"
        )
    if text.startswith("["):
        host, _bracket, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else "514"
    elif text.count(":") == 1:
        host, _colon, port_text = text.partition(":")
    else:
        # A bare host name, or an IPv6 address without brackets and port.
        host, port_text = text, "514"
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(
            f"invalid syslog address {address!r}: use host:port with a port from 1 to 65535"
        )
    return (host, int(port_text)), socktype


def syslog_handler(address: str, *, events: Collection[str] | None) -> logging.Handler:
    """Return a handler that sends the given events to syslog (facility mail, ident ``mar:``)."""
    target, socktype = parse_syslog_address(address)
    handler = logging.handlers.SysLogHandler(
        address=target, facility=logging.handlers.SysLogHandler.LOG_MAIL, socktype=socktype
    )
    handler.ident = "mar: "
    handler.addFilter(EventFilter(events))
    handler.setFormatter(EventLineFormatter())
    return handler
