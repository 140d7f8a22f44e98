"""Log files of an engine host: mail log, remediation log, JSON Lines, syslog.

``install_log_handlers(state_dir, settings)`` attaches the handlers to the
logger ``mar.events``. ``marctl replay`` and the Ansible replay action call it
before a run. Files go to ``<state_dir>/logs/`` with mode 0600:

- ``mail.log``: run start, one line per recipient outcome, run end with counts;
- ``remediation.log``: each profile attempt, action, error and alert;
- ``events.jsonl``: every event as one JSON object per line.

Each file rotates at ``mar_settings.logs.max_bytes`` and keeps
``mar_settings.logs.backups`` old files. When ``mar_settings.logs.syslog``
is set, mail-log and remediation-log events also go to that syslog address.
Line formats are documented in docs/logs.md.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mar_runner.events import LOGGER_NAME
from mar_runner.logs.fields import MAIL_LOG_EVENTS, REMEDIATION_LOG_EVENTS
from mar_runner.logs.formatters import EventLineFormatter, JsonLinesFormatter
from mar_runner.logs.handlers import rotating_file_handler, syslog_handler

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 5
MAIL_LOG = "mail.log"
REMEDIATION_LOG = "remediation.log"
JSON_LINES_LOG = "events.jsonl"
_MARK = "_mar_log_handler"


@dataclass
class InstalledLogs:
    """The handlers ``install_log_handlers`` attached, and the logger's previous state."""

    directory: Path
    handlers: list[logging.Handler] = field(default_factory=list)
    previous_level: int = logging.NOTSET
    previous_propagate: bool = True

    def close(self) -> None:
        """Detach and close the handlers, and restore the logger's level and propagation."""
        events_logger = logging.getLogger(LOGGER_NAME)
        for handler in self.handlers:
            events_logger.removeHandler(handler)
            handler.close()
        self.handlers = []
        events_logger.setLevel(self.previous_level)
        events_logger.propagate = self.previous_propagate


def _log_settings(settings: dict[str, Any] | None) -> tuple[int, int, str | None]:
    logs = (settings or {}).get("logs") or {}
    max_bytes = logs.get("max_bytes")
    backups = logs.get("backups")
    max_bytes = DEFAULT_MAX_BYTES if max_bytes is None else int(max_bytes)
    backups = DEFAULT_BACKUPS if backups is None else int(backups)
    if max_bytes < 0 or backups < 0:
        raise ValueError(
            f"invalid log rotation max_bytes={max_bytes} backups={backups}: use numbers of 0 or more"
        )
    return max_bytes, backups, logs.get("syslog") or None


def remove_log_handlers() -> None:
    """Detach and close every handler a previous ``install_log_handlers`` attached."""
    events_logger = logging.getLogger(LOGGER_NAME)
    for handler in list(events_logger.handlers):
        if getattr(handler, _MARK, False):
            events_logger.removeHandler(handler)
            handler.close()


def install_log_handlers(
    state_dir: os.PathLike[str] | str,
    settings: dict[str, Any] | None,
    *,
    propagate: bool = False,
) -> InstalledLogs:
    """Attach the log file handlers of ``state_dir`` to the logger ``mar.events``.

    ``settings`` is ``mar_settings`` (or None for the defaults). Handlers from
    an earlier call are replaced, so calling it twice never doubles a line.
    The logger is set to INFO and, unless ``propagate`` is true, stops
    passing events to the root logger so that they are not also printed on
    the console. A syslog address that cannot be used is logged and skipped.
    """
    max_bytes, backups, syslog_address = _log_settings(settings)
    directory = Path(state_dir) / "logs"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    remove_log_handlers()

    line_formatter = EventLineFormatter()
    handlers: list[logging.Handler] = [
        rotating_file_handler(
            directory / MAIL_LOG, max_bytes=max_bytes, backups=backups, events=MAIL_LOG_EVENTS, formatter=line_formatter
        ),
        rotating_file_handler(
            directory / REMEDIATION_LOG,
            max_bytes=max_bytes,
            backups=backups,
            events=REMEDIATION_LOG_EVENTS,
            formatter=line_formatter,
        ),
        rotating_file_handler(
            directory / JSON_LINES_LOG, max_bytes=max_bytes, backups=backups, events=None, formatter=JsonLinesFormatter()
        ),
    ]
    if syslog_address:
        try:
            handlers.append(syslog_handler(syslog_address, events=MAIL_LOG_EVENTS | REMEDIATION_LOG_EVENTS))
        except (ValueError, OSError) as exc:
            log.error("syslog handler not installed for address %r: %s", syslog_address, exc)

    events_logger = logging.getLogger(LOGGER_NAME)
    installed = InstalledLogs(
        directory=directory, previous_level=events_logger.level, previous_propagate=events_logger.propagate
    )
    for handler in handlers:
        setattr(handler, _MARK, True)
        events_logger.addHandler(handler)
    installed.handlers = handlers
    events_logger.setLevel(logging.INFO)
    events_logger.propagate = propagate
    return installed


__all__ = ["InstalledLogs", "install_log_handlers", "remove_log_handlers", "MAIL_LOG", "REMEDIATION_LOG", "JSON_LINES_LOG"]
