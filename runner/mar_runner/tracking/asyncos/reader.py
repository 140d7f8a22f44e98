"""Assembles messages from AsyncOS mail, AMP and consolidated event log lines.

Only messages that are still open are held in memory. A message is written
to the index when its last MID finishes, when too many messages are open
(the oldest are written and dropped), and at the end of an import. A later
line for a MID that is no longer in memory reloads the message from the
index, so memory stays bounded whatever the size of the log.

Cheap string tests run before any regular expression: most lines of a mail
log (connections, sender groups, DCIDs) are dropped by them.
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from mar_runner.i18n import _
from mar_runner.tracking.asyncos import shapes
from mar_runner.tracking.asyncos.cef import SAME_MESSAGE_SECONDS, CefError, cef_record
from mar_runner.tracking.asyncos.message import OpenMessage
from mar_runner.tracking.asyncos.prefix import PrefixError, TimestampReader, split_level
from mar_runner.tracking.lines import decode_line
from mar_runner.tracking.model import normalize_address
from mar_runner.tracking.store import IndexWriter

logger = logging.getLogger("mar.tracking")

MAX_OPEN_MIDS = 50_000
EVICT_FRACTION = 10


class AsyncOSReader:
    """Reads AsyncOS log lines one at a time and writes finished messages."""

    def __init__(self, writer: IndexWriter, *, zone: tzinfo, now: datetime) -> None:
        self.writer = writer
        self.conn = writer.conn
        self.times = TimestampReader(zone, now)
        self.open: dict[int, OpenMessage] = {}
        self.verdict_lines = 0
        self.ignored_lines = 0
        self.unknown_recipients = 0
        # Only when the index has CEF events is a new text-log message matched against them.
        self.cef_present = bool(
            self.conn.execute("SELECT 1 FROM trk_messages WHERE source = 'cef' LIMIT 1").fetchone()
        )

    # ----------------------------------------------------------------- lines
    def feed_bytes(self, raw: bytes) -> str | None:
        """Read one line of bytes; return a problem text, or None when it was used or is irrelevant."""
        at = raw.find(b": MID ")
        if at >= 0:
            # Most "MID n <word> ..." lines (scanning engines, SPF, DKIM, sizes) do not
            # matter here, and the word after the number identifies them without decoding.
            word_start = raw.find(b" ", at + 6) + 1
            word_end = raw.find(b" ", word_start)
            if word_start > 0 and raw[word_start : word_end if word_end > 0 else None] not in _MID_WORDS:
                self.ignored_lines += 1
                return None
        elif b"MID" not in raw and b"CEF:0|" not in raw and b"Retrospective" not in raw:
            # Most other lines of a busy log (connections, sender groups, DCIDs) end
            # here; only lines without a log level go on to be reported.
            if b" Info: " in raw or b" Warning: " in raw or b" Debug: " in raw:
                self.ignored_lines += 1
                return None
        text, problem = decode_line(raw)
        if problem is not None:
            return problem
        return self.feed(text)

    def feed(self, text: str) -> str | None:
        """Read one line; return a problem text, or None when it was used or is irrelevant."""
        if "CEF:" in text:
            cef_at = text.find("CEF:0|")
            if cef_at >= 0:
                return self._cef(text[:cef_at], text[cef_at:])
        parts = split_level(text)
        if parts is None:
            if not text.strip():
                return None
            return _("not an AsyncOS log line: no log level such as 'Info:' found")
        prefix, message = parts
        if "MID" not in message:
            if message.startswith("Retrospective verdict received"):
                self.verdict_lines += 1
            else:
                self.ignored_lines += 1
            return None
        try:
            return self._dispatch(message, prefix)
        except PrefixError:
            return _("unrecognised timestamp {prefix!r} before the log level").format(prefix=prefix.strip())
        except ValueError:
            return _("malformed line: {text}").format(text=_clip(message))

    def _when(self, prefix: str) -> float:
        return self.times.read(prefix)[0]

    def _dispatch(self, message: str, prefix: str) -> str | None:
        if message.startswith("MID "):
            return self._mid_line(message, prefix)
        if message.startswith("Start MID "):
            match = shapes.RE_START.match(message)
            if match is None:
                raise ValueError(message)
            self._start(int(match.group(1)), self._when(prefix))
            return None
        if message.startswith("Message done "):
            return self._done(message, self._when(prefix))
        if message.startswith("Message finished "):
            match = shapes.RE_FINISHED.match(message)
            if match is None:
                raise ValueError(message)
            self._finish(int(match.group(1)), match.group(2) == "aborted", self._when(prefix))
            return None
        if message.startswith("Message aborted "):
            match = shapes.RE_ABORTED.match(message)
            if match is None:
                raise ValueError(message)
            mid = int(match.group(1))
            self._message(mid, self._when(prefix)).set_status(mid, "aborted")
            return None
        if message.startswith("Delivery start "):
            if shapes.RE_DELIVERY_START.match(message) is None:
                raise ValueError(message)
            return None
        if "ounced: " in message[:16]:
            return self._bounce(message, self._when(prefix))
        if message.startswith("Response received for file reputation query"):
            return self._amp_file(message)
        if message.startswith("File reputation query initiating"):
            return self._amp_file(message)
        self.ignored_lines += 1
        return None

    def _mid_line(self, message: str, prefix: str) -> str | None:
        space = message.find(" ", 4)
        number = message[4:space] if space > 0 else message[4:]
        if not number.isdigit():
            return _("invalid MID {value!r}: a MID is a whole number").format(value=number)
        rest = message[space + 1 :] if space > 0 else ""
        word_end = rest.find(" ")
        handler = _MID_HANDLERS.get(rest[:word_end] if word_end > 0 else rest)
        if handler is None:
            self.ignored_lines += 1
            return None
        return handler(self, int(number), rest, self._when(prefix))

    def _message_id(self, mid: int, rest: str, when: float) -> str | None:
        value = rest[10:].strip()
        if not value:
            raise ValueError(rest)
        self._message(mid, when).message_id_raw = shapes.unquote(value)
        return None

    def _subject(self, mid: int, rest: str, when: float) -> str | None:
        self._message(mid, when).subject = shapes.subject(rest[7:])
        return None

    def _attachment(self, mid: int, rest: str, when: float) -> str | None:
        name = shapes.attachment_name(rest[11:])
        if not name:
            raise ValueError(rest)
        self._message(mid, when).add_attachment(name, None)
        return None

    def _rewritten(self, mid: int, rest: str, when: float) -> str | None:
        match = shapes.RE_REWRITE.match(rest)
        if match is None:
            raise ValueError(rest)
        self._rewrite(mid, int(match.group(1)), when)
        return None

    def _generated_line(self, mid: int, rest: str, when: float) -> str | None:
        match = shapes.RE_GENERATED.match(rest)
        if match is None:
            raise ValueError(rest)
        self._generated(mid, int(match.group(1)), when)
        return None

    def _quarantined(self, mid: int, rest: str, when: float) -> str | None:
        if not rest.startswith("quarantined to "):
            self.ignored_lines += 1
            return None
        self._message(mid, when).set_status(mid, "quarantined")
        return None

    def _released(self, mid: int, rest: str, when: float) -> str | None:
        if not rest.startswith("released from "):
            self.ignored_lines += 1
            return None
        # Only quarantined recipients go back to pending; the others keep their status.
        self._message(mid, when).set_status(mid, "pending", unless=("delivered", "bounced", "aborted", "pending"))
        return None

    # ------------------------------------------------------------ handlers
    def _envelope(self, mid: int, rest: str, when: float) -> str | None:
        match = shapes.RE_ENVELOPE.match(rest)
        if match is None:
            if " From:" in rest or " To:" in rest:
                raise ValueError(rest)
            self.ignored_lines += 1
            return None
        message = self._message(mid, when)
        if match.group(1) is not None:
            message.sender = shapes.address(match.group(1))
            return None
        address = shapes.address(match.group(3))
        if address is None:
            raise ValueError(rest)
        rid = int(match.group(2))
        current = message.rcpts.get((mid, rid))
        if current is None:
            message.rcpts[(mid, rid)] = [address, message.policies.get(mid), "pending", None]
        else:
            current[0] = address
        return None

    def _policy(self, mid: int, rest: str, when: float) -> str | None:
        match = shapes.RE_POLICY.match(rest)
        if match is None:
            self.ignored_lines += 1
            return None
        message = self._message(mid, when)
        policy = match.group(2).strip()
        if match.group(1) is None:
            message.policies[mid] = policy
            for (rcpt_mid, _rid), rcpt in message.rcpts.items():
                if rcpt_mid == mid:
                    rcpt[1] = policy
        else:
            for rid in shapes.rid_list(match.group(1)):
                rcpt = message.rcpts.get((mid, rid))
                if rcpt is not None:
                    rcpt[1] = policy
        return None

    def _done(self, message_text: str, when: float) -> str | None:
        match = shapes.RE_DONE.match(message_text)
        if match is None:
            raise ValueError(message_text)
        mid = int(match.group(1))
        message = self._message(mid, when)
        for rid in shapes.rid_list(match.group(2)):
            rcpt = message.rcpts.get((mid, rid))
            if rcpt is None:
                self.unknown_recipients += 1
                continue
            rcpt[2] = "delivered"
            rcpt[3] = when
        return None

    def _response(self, mid: int, rest: str, when: float) -> str | None:
        match = shapes.RE_RESPONSE.match(rest)
        if match is None:
            if "Response" in rest:
                raise ValueError(rest)
            self.ignored_lines += 1
            return None
        if match.group(2) != "2":
            return None
        message = self._message(mid, when)
        for rid in shapes.rid_list(match.group(1)):
            rcpt = message.rcpts.get((mid, rid))
            if rcpt is not None and rcpt[2] != "delivered":
                rcpt[2] = "delivered"
                rcpt[3] = when
        return None

    def _bounce(self, message_text: str, when: float) -> str | None:
        match = shapes.RE_BOUNCE.search(message_text)
        if match is None:
            raise ValueError(message_text)
        mid, rid = int(match.group(1)), int(match.group(4))
        message = self._message(mid, when)
        rcpt = message.rcpts.get((mid, rid))
        if rcpt is None:
            address = normalize_address(match.group(3))
            if address is None:
                raise ValueError(message_text)
            message.rcpts[(mid, rid)] = [address, message.policies.get(mid), "bounced", None]
        elif rcpt[2] != "delivered":
            rcpt[2] = "bounced"
        return None

    def _amp_file(self, message_text: str) -> str | None:
        found = shapes.amp_file(message_text)
        if found is None:
            raise ValueError(message_text)
        name, mid, sha = found
        if mid == 0:
            # MID 0 means the file was not tied to a message.
            return None
        message = self.open.get(mid)
        if message is not None:
            message.add_attachment(name, sha)
            return None
        if not sha:
            return None
        self.writer.flush()
        row = self.conn.execute(
            "SELECT t.message FROM trk_mids t JOIN trk_messages m ON m.id = t.message "
            "WHERE t.mid = ? ORDER BY m.received_at DESC LIMIT 1",
            (mid,),
        ).fetchone()
        if row is None:
            self.writer.add_pending_file(mid, name, sha)
        else:
            self.writer.add_attachments(row[0], [(name, sha)])
        return None

    def _cef(self, prefix: str, text: str) -> str | None:
        when = None
        if prefix.strip():
            try:
                when, _host = self.times.read(prefix)
            except PrefixError:
                when = None
        # The record may update a buffered text-log message, so the buffer goes first.
        self.writer.flush()
        try:
            record = cef_record(text, when, self.conn)
        except CefError as exc:
            return str(exc)
        self.writer.write(record)
        self.cef_present = True
        return None

    # ------------------------------------------------------------ messages
    def _start(self, mid: int, when: float) -> None:
        old = self.open.get(mid)
        if old is not None:
            # The MID was reused before its end line: keep what was read of the old message.
            self._drop_mid(old, mid)
        message = OpenMessage(self._new_key(mid, when), mid, when)
        self.open[mid] = message
        self._limit_memory()

    def _message(self, mid: int, when: float) -> OpenMessage:
        message = self.open.get(mid)
        if message is None:
            message = self._reload(mid) or OpenMessage(self._new_key(mid, when), mid, when)
            for known in message.open_mids | {mid}:
                self.open[known] = message
            message.open_mids.add(mid)
            self._limit_memory()
        return message

    def _new_key(self, mid: int, when: float) -> str:
        """Return the key of a new message: the key of a CEF event for the same MID and time, if any."""
        if self.cef_present:
            self.writer.flush()
            row = self.conn.execute(
                "SELECT m.message_key FROM trk_mids t JOIN trk_messages m ON m.id = t.message "
                "WHERE t.mid = ? AND m.source = 'cef' AND m.received_at BETWEEN ? AND ? "
                "ORDER BY abs(m.received_at - ?) LIMIT 1",
                (mid, when - SAME_MESSAGE_SECONDS, when + SAME_MESSAGE_SECONDS, when),
            ).fetchone()
            if row is not None:
                return row[0]
        return f"asyncos:{mid}:{int(when)}"

    def _rewrite(self, old_mid: int, new_mid: int, when: float) -> None:
        message = self._message(old_mid, when)
        message.add_mid(new_mid)
        message.move_recipients(old_mid, new_mid)
        self.open[new_mid] = message

    def _generated(self, new_mid: int, parent_mid: int, when: float) -> None:
        parent = self.open.get(parent_mid) or self._reload(parent_mid)
        current = self.open.get(new_mid)
        if parent is None:
            parent = current or OpenMessage(f"asyncos:{parent_mid}:{int(when)}", parent_mid, when)
            parent.open_mids.discard(parent_mid)
        if current is not None and current is not parent:
            # Lines of the copy came before this one: merge them into the parent.
            parent.rcpts.update(current.rcpts)
        parent.add_mid(new_mid)
        self.open[new_mid] = parent

    def _finish(self, mid: int, aborted: bool, when: float) -> None:
        message = self._message(mid, when)
        # A recipient never delivered, bounced or quarantined when its MID ends was dropped.
        message.set_status(mid, "aborted", unless=("delivered", "bounced", "quarantined"))
        self._drop_mid(message, mid)

    def _drop_mid(self, message: OpenMessage, mid: int) -> None:
        message.open_mids.discard(mid)
        if self.open.get(mid) is message:
            del self.open[mid]
        if not message.open_mids:
            self._write(message)

    def _write(self, message: OpenMessage) -> None:
        self.writer.write(message.record())
        message.written = True
        message.removed.clear()

    def _reload(self, mid: int) -> OpenMessage | None:
        """Return the message with this MID from the index, or None."""
        self.writer.flush()
        row = self.conn.execute(
            "SELECT m.id, m.message_key, m.message_id_raw, m.sender, m.subject, m.received_at "
            "FROM trk_mids t JOIN trk_messages m ON m.id = t.message "
            "WHERE t.mid = ? AND m.source = 'asyncos' ORDER BY m.received_at DESC LIMIT 1",
            (mid,),
        ).fetchone()
        if row is None:
            return None
        message = OpenMessage(row[1], mid, row[5])
        message.message_id_raw, message.sender, message.subject = row[2], row[3], row[4]
        message.mids = [r[0] for r in self.conn.execute("SELECT mid FROM trk_mids WHERE message = ?", (row[0],))]
        message.open_mids = {mid}
        for rmid, address, rid, policy, status, delivered_at in self.conn.execute(
            "SELECT mid, address, rid, policy, status, delivered_at FROM trk_recipients WHERE message = ?",
            (row[0],),
        ):
            message.rcpts[(rmid, rid if rid is not None else -1)] = [address, policy, status, delivered_at]
        message.written = True
        return message

    def _limit_memory(self) -> None:
        if len(self.open) <= MAX_OPEN_MIDS:
            return
        oldest = list(self.open.items())[: MAX_OPEN_MIDS // EVICT_FRACTION]
        logger.info("writing %d long-open messages to the index to bound memory", len(oldest))
        for mid, message in oldest:
            if self.open.get(mid) is message:
                del self.open[mid]
            if not any(self.open.get(m) is message for m in message.open_mids):
                self._write(message)

    # ------------------------------------------------------------- state
    def snapshot(self) -> object:
        """Return the open messages as JSON-compatible data."""
        seen: dict[int, dict] = {}
        for message in self.open.values():
            if id(message) not in seen:
                seen[id(message)] = message.to_state()
        return {"open": list(seen.values())}

    def restore(self, state: object) -> None:
        """Take back open messages stored with a file's position, except those finished since."""
        if not isinstance(state, dict):
            return
        for data in state.get("open", []):
            message = OpenMessage.from_state(data)
            if any(mid in self.open for mid in message.open_mids):
                continue
            row = self.conn.execute(
                "SELECT complete FROM trk_messages WHERE message_key = ?", (message.key,)
            ).fetchone()
            if row is not None and row[0]:
                continue
            message.written = row is not None
            for mid in message.open_mids:
                self.open[mid] = message

    def finish(self) -> None:
        """Write the messages still open, as incomplete, at the end of an import."""
        seen: set[int] = set()
        for message in self.open.values():
            if id(message) not in seen:
                seen.add(id(message))
                self._write(message)


# Handlers of "MID n <word> ..." lines, by the word after the MID.
_MID_HANDLERS = {
    "ICID": AsyncOSReader._envelope,
    "Message-ID": AsyncOSReader._message_id,
    "Subject": AsyncOSReader._subject,
    "attachment": AsyncOSReader._attachment,
    "matched": AsyncOSReader._policy,
    "rewritten": AsyncOSReader._rewritten,
    "generated": AsyncOSReader._generated_line,
    "RID": AsyncOSReader._response,
    "quarantined": AsyncOSReader._quarantined,
    "released": AsyncOSReader._released,
}

_MID_WORDS = frozenset(word.encode() for word in _MID_HANDLERS)


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
