"""Reading a log as lines of bytes in large chunks, with over-long lines skipped in bounded memory."""

from __future__ import annotations

from typing import BinaryIO, Iterator

from mar_runner.i18n import _

CHUNK_BYTES = 1 << 20


def iter_lines(handle: BinaryIO, max_bytes: int, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[bytes, int, bool, bool]]:
    """Yield (line without its line end, bytes consumed, ends with a line end, longer than max_bytes).

    An over-long line is yielded once, empty, after skipping to its end,
    so memory stays bounded by about ``max_bytes + chunk_bytes``.
    """
    carry = b""
    skipped = 0
    while True:
        chunk = handle.read(chunk_bytes)
        if not chunk:
            break
        if skipped:
            end = chunk.find(b"\n")
            if end < 0:
                skipped += len(chunk)
                continue
            yield b"", skipped + end + 1, True, True
            skipped = 0
            chunk = chunk[end + 1 :]
        data = carry + chunk if carry else chunk
        lines = data.split(b"\n")
        carry = lines.pop()
        for line in lines:
            yield line, len(line) + 1, True, len(line) > max_bytes
        if len(carry) > max_bytes:
            skipped = len(carry)
            carry = b""
    if skipped:
        yield b"", skipped, False, True
    elif carry:
        yield carry, len(carry), False, len(carry) > max_bytes


def decode_line(raw: bytes) -> tuple[str | None, str | None]:
    """Return (text, None) for a UTF-8 line, or (None, problem) for binary or undecodable bytes."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if b"\x00" in raw:
        return None, _("binary data (NUL byte) in a text log line")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, _("not UTF-8 text (invalid byte at column {column})").format(column=exc.start + 1)
