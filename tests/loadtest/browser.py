"""Headless Chromium (Debian's package) for report.html: its DOM, a screenshot, its pixels.

PNG is decoded here with zlib and numpy (no imaging library in the project): the five
row filters of the PNG specification, enough for the 8-bit RGB/RGBA that Chromium writes.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
Pixels = npt.NDArray[np.uint8]


def _chromium(page: Path, *args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        done = subprocess.run(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return done.stdout


def dom(page: Path) -> str:
    """The page's DOM after Chromium loaded and laid it out."""
    return _chromium(page, "--dump-dom")


def screenshot(page: Path, png: Path, width: int, height: int) -> Pixels:
    """A screenshot of the top `width` x `height` of the page, as an (h, w, 3|4) array."""
    _chromium(page, f"--screenshot={png}", f"--window-size={width},{height}")
    return decode_png(png.read_bytes())


def count_colour(pixels: Pixels, colour: str) -> int:
    """How many pixels have exactly this #rrggbb colour."""
    rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return int(np.all(pixels[..., :3] == rgb, axis=-1).sum())


def decode_png(data: bytes) -> Pixels:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width = height = bpp = 0
    chunks: list[bytes] = []
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"only 8-bit RGB/RGBA PNG, got depth {depth} colour {colour}")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    out = np.zeros((height, stride), np.uint8)
    previous = np.zeros(stride, np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        line = np.frombuffer(raw, np.uint8, stride, start + 1)
        out[y] = _unfilter(raw[start], line, previous, bpp)
        previous = out[y]
    return out.reshape(height, width, bpp)


def _unfilter(kind: int, line: Pixels, previous: Pixels, bpp: int) -> Pixels:
    if kind == 0:
        return line
    if kind == 1:  # Sub: a running sum per channel, wrapping at 256
        return np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint8).ravel()
    if kind == 2:  # Up
        return line + previous
    row = bytearray(line.tobytes())
    above = previous.tobytes()
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        up = above[i]
        if kind == 3:  # Average
            row[i] = (row[i] + ((left + up) >> 1)) & 255
            continue
        corner = above[i - bpp] if i >= bpp else 0  # Paeth
        estimate = left + up - corner
        pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
        guess = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
        row[i] = (row[i] + guess) & 255
    return np.frombuffer(bytes(row), np.uint8)
