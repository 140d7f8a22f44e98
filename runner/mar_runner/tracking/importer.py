"""Import of tracking logs into the index: streaming, incremental and transactional.

Files are read line by line from where the last import stopped. Rows, the
new reading position and the reader's open-message state are committed in
one transaction every ``BATCH_LINES`` lines, so an import that is killed
half-way leaves a consistent index and the next import resumes at the last
commit. Bad lines (binary, not UTF-8, over-long, malformed) are counted and
reported with file and line; they never stop the import.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import logging
import os
import sqlite3
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Callable, Iterable, Iterator, Protocol

from mar_runner.i18n import _
from mar_runner.tracking import files
from mar_runner.tracking.asyncos.reader import AsyncOSReader
from mar_runner.tracking.lines import iter_lines
from mar_runner.tracking.native import JsonLinesReader
from mar_runner.tracking.problems import InputProblem
from mar_runner.tracking.schema import ensure_schema
from mar_runner.tracking.store import IndexWriter

logger = logging.getLogger("mar.tracking")

FORMATS = ("auto", "asyncos", "cef", "jsonl")
BATCH_LINES = 50_000
MAX_LINE_BYTES = 256 * 1024
MAX_KEPT_PROBLEMS = 1000
GZIP_MAGIC = b"\x1f\x8b"
# Page cache of an import, in KiB: large enough for the hot index pages of
# millions of deliveries, and small next to the 300 MiB memory target for
# importing 1 GiB of logs (bench/ingest.py measures it).
IMPORT_CACHE_KIB = 128 * 1024


class LineReader(Protocol):
    """Interface of the per-format readers that the import loop feeds line by line."""

    def feed_bytes(self, raw: bytes) -> str | None: ...
    def snapshot(self) -> object: ...
    def restore(self, state: object) -> None: ...
    def finish(self) -> None: ...


@dataclass(slots=True)
class FileSummary:
    """Result of one import for one file: its lines read and problems."""

    path: str
    format: str
    first_line: int
    last_line: int
    resumed: bool
    problems: int = 0
    held_back: bool = False

    @property
    def lines_read(self) -> int:
        return self.last_line - self.first_line


@dataclass(slots=True)
class ImportSummary:
    """Result of one import: files, counts and the first problems found."""

    files: list[FileSummary] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    problem_count: int = 0
    messages_written: int = 0
    records: int = 0
    verdict_lines: int = 0
    ignored_lines: int = 0
    unknown_recipients: int = 0

    @property
    def lines_read(self) -> int:
        return sum(f.lines_read for f in self.files)

    def add_problem(self, problem: InputProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(problem)


ProgressCallback = Callable[[int, int], None]


def detect_format(handle) -> str:
    """Guess the format from the first non-blank lines: ``jsonl`` or ``asyncos`` (which reads CEF lines too)."""
    position = handle.tell()
    handle.seek(0)
    try:
        for _index in range(20):
            raw = handle.readline(MAX_LINE_BYTES)
            if not raw:
                break
            text = raw.strip()
            if not text:
                continue
            if text.startswith(b"{"):
                return "jsonl"
            if b"CEF:" in text:
                return "cef"
            return "asyncos"
        return "asyncos"
    finally:
        handle.seek(position)


class _Run:
    """State of one import run over several files."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        zone: tzinfo,
        now: datetime,
        progress: ProgressCallback | None,
        total_bytes: int,
    ) -> None:
        self.conn = conn
        self.summary = ImportSummary()
        self.writer = IndexWriter(conn)
        self.asyncos = AsyncOSReader(self.writer, zone=zone, now=now)
        self.jsonl = JsonLinesReader(self.writer, zone)
        self.progress = progress
        self.total_bytes = total_bytes
        self.done_bytes = 0

    def reader_for(self, fmt: str) -> LineReader:
        return self.jsonl if fmt == "jsonl" else self.asyncos

    def commit(self, state: files.FileState | None, reader: LineReader | None) -> None:
        """Write buffered rows and the file position in the open transaction, commit, and start the next one."""
        self.writer.flush()
        if state is not None and reader is not None:
            state.open_state = reader.snapshot()
            files.save(self.conn, state)
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN IMMEDIATE")

    def read_file(self, path: str, fmt: str) -> None:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
            state = files.locate(self.conn, raw, path, fmt, compressed=compressed)
            size = os.fstat(raw.fileno()).st_size
            raw.seek(0)
            # Rotated logs are often gzip-compressed; offsets then count decompressed bytes.
            handle = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
            if state.format == "auto":
                state.format = detect_format(handle)
            reader = self.reader_for(state.format)
            file_summary = FileSummary(
                path=path,
                format=state.format,
                first_line=state.line_no,
                last_line=state.line_no,
                resumed=state.row_id is not None,
            )
            self.summary.files.append(file_summary)
            if not compressed and state.offset >= size:
                self.done_bytes += size
                return
            if state.open_state is not None:
                reader.restore(state.open_state)
            handle.seek(state.offset)
            self.done_bytes += min(state.offset, size)
            try:
                self._read_lines(handle, path, state, reader, file_summary)
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                file_summary.problems += 1
                self.summary.add_problem(
                    InputProblem(
                        path,
                        state.line_no + 1,
                        _("compressed file is damaged or truncated ({error}); the lines before were read").format(
                            error=exc
                        ),
                    )
                )
            self.commit(state, reader)

    def _read_lines(self, handle, path, state, reader, file_summary) -> None:
        # Locals instead of attributes: this loop runs once per log line.
        feed = reader.feed_bytes
        line_no = state.line_no
        offset = state.offset
        batch_start = line_no
        done_bytes = self.done_bytes
        next_progress = done_bytes + (1 << 20)
        for raw, consumed, complete, too_long in iter_lines(handle, MAX_LINE_BYTES):
            line_no += 1
            if too_long:
                problem = _("line longer than {limit} bytes").format(limit=MAX_LINE_BYTES)
            else:
                problem = feed(raw)
                if problem is not None and not complete:
                    # A rejected last line without a line end may still be being
                    # written: leave it for the next import instead of losing it.
                    file_summary.held_back = True
                    self.summary.add_problem(
                        InputProblem(
                            path,
                            line_no,
                            _("incomplete last line (no line end): {reason}; it is read again by the next import").format(
                                reason=problem
                            ),
                        )
                    )
                    line_no -= 1
                    break
            offset += consumed
            done_bytes += consumed
            if problem is not None:
                file_summary.problems += 1
                self.summary.add_problem(InputProblem(path, line_no, problem))
            if line_no - batch_start >= BATCH_LINES:
                state.line_no, state.offset = line_no, offset
                self.commit(state, reader)
                batch_start = line_no
            if done_bytes >= next_progress and self.progress:
                self.progress(done_bytes, self.total_bytes)
                next_progress = done_bytes + (1 << 20)
        state.line_no, state.offset = line_no, offset
        self.done_bytes = done_bytes
        file_summary.last_line = line_no


@contextlib.contextmanager
def _import_lock(conn: sqlite3.Connection) -> Iterator[None]:
    """Hold an exclusive lock beside the database file while importing.

    Two imports at once would both read the same files from the same stored
    positions; the second one waits here and then continues where the first
    one stopped.
    """
    database = conn.execute("PRAGMA database_list").fetchone()[2]
    if not database:
        yield
        return
    fd = os.open(database + ".import-lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for another import into %s to finish", database)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _run_files(conn: sqlite3.Connection, run: _Run, path_list: list[str], fmt: str) -> None:
    """Read every file in batch transactions with an import-sized page cache."""
    # Inserts into the address, SHA-256 and Message-ID indexes land at random
    # pages; SQLite's default 2 MB page cache makes a large import re-read them
    # from the file again and again.
    previous_cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        for path in path_list:
            run.read_file(path, fmt)
        run.asyncos.finish()
        run.writer.flush()
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute(f"PRAGMA cache_size = {int(previous_cache)}")


def import_paths(
    conn: sqlite3.Connection,
    paths: Iterable[str | os.PathLike[str]],
    fmt: str = "auto",
    *,
    zone: tzinfo = timezone.utc,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import tracking files into the index and return what was done.

    ``fmt`` is one of FORMATS; ``auto`` detects it per file. ``zone`` is the
    time zone of timestamps without one; ``now`` (default: the current time)
    decides the year of syslog timestamps without a year. Raises OSError
    when a file cannot be opened, ValueError for an unknown format and
    RuntimeError when ``conn`` is inside a transaction. Everything committed
    before an error stays committed.
    """
    if fmt not in FORMATS:
        raise ValueError(
            _("unknown format {value!r}: use one of {choices}").format(value=fmt, choices=", ".join(FORMATS))
        )
    if conn.in_transaction:
        # Each batch is committed on its own so an interrupted import keeps its progress.
        raise RuntimeError("import_paths needs a connection that is not inside a transaction")
    path_list = [os.fspath(p) for p in paths]
    total = sum(os.path.getsize(p) for p in path_list if os.path.isfile(p))
    with _import_lock(conn):
        ensure_schema(conn)
        run = _Run(conn, zone, now or datetime.now(timezone.utc), progress, total)
        _run_files(conn, run, path_list, fmt)
    summary = run.summary
    summary.messages_written = run.writer.messages_written
    summary.records = run.jsonl.records
    summary.verdict_lines = run.asyncos.verdict_lines
    summary.ignored_lines = run.asyncos.ignored_lines
    summary.unknown_recipients = run.asyncos.unknown_recipients
    if progress:
        progress(total, total)
    logger.info(
        "imported %d lines from %d files: %d messages written, %d problems",
        summary.lines_read,
        len(summary.files),
        summary.messages_written,
        summary.problem_count,
    )
    return summary
