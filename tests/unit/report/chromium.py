"""Headless Chromium runs for the HTML report check, and a minimal PNG reader."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


@dataclass
class PageRun:
    """What Chromium printed for one page: the DOM, the console lines, and a screenshot."""

    dom: str
    console: list[str]
    screenshot: Path


def chromium_binary() -> str | None:
    """Return the Chromium executable, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(binary: str, profile: Path, extra: list[str], url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOME": str(profile)},
    )


def render_page(binary: str, page: Path, work: Path) -> PageRun:
    """Load ``page`` in headless Chromium once: DOM on stdout, console lines on stderr, a screenshot."""
    url = page.resolve().as_uri()
    screenshot = work / f"{page.stem}.png"
    run = _run(binary, work / f"profile-{page.stem}", ["--dump-dom", f"--screenshot={screenshot}", "--window-size=1024,768"], url)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return PageRun(dom=run.stdout, console=console, screenshot=screenshot)


def png_colours(path: Path, limit: int = 64) -> set[tuple[int, ...]]:
    """Return up to ``limit`` distinct pixel values of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    offset = 8
    chunks: list[bytes] = []
    width = height = channels = 0
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or colour_type not in (2, 6):
                raise ValueError(f"unsupported PNG layout in {path}: depth {depth}, colour type {colour_type}")
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)

    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    colours: set[tuple[int, ...]] = set()

    # Undo the PNG row filters (None, Sub, Up, Average, Paeth) and sample every seventh pixel.
    for row in range(height):
        start = row * (stride + 1)
        filter_type = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for index in range(stride):
            left = line[index - channels] if index >= channels else 0
            up = previous[index]
            up_left = previous[index - channels] if index >= channels else 0
            if filter_type == 1:
                line[index] = (line[index] + left) & 0xFF
            elif filter_type == 2:
                line[index] = (line[index] + up) & 0xFF
            elif filter_type == 3:
                line[index] = (line[index] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                estimate = left + up - up_left
                distances = (abs(estimate - left), abs(estimate - up), abs(estimate - up_left))
                predictor = (left, up, up_left)[distances.index(min(distances))]
                line[index] = (line[index] + predictor) & 0xFF
        for pixel in range(0, stride, channels * 7):
            colours.add(tuple(line[pixel : pixel + channels]))
            if len(colours) >= limit:
                return colours
        previous = line
    return colours
