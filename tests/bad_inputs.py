"""The bad-input zoo: image files a user (or an attacker) may send, shared by the reader's tests
(test_images.py) and the Upload page's (test_hostile_uploads.py)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def png_bytes(array: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", **options)
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims an enormous 1-bit image (its pixel data is never there)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def bad_images() -> dict[str, tuple[bytes, str | None]]:
    """File name -> (its bytes, what the reader must say, or None when it reads fine but is odd)."""
    rng = np.random.default_rng(0)
    files = {
        "empty.png": (b"", "the file is empty"),
        "text.png": (b"this is a text file, not a picture\n" * 20, "not an image in a supported format"),
        "truncated.png": (png_bytes(rng.integers(0, 256, (300, 300, 3), dtype=np.uint8))[:3000], "damaged or truncated"),
        "bomb.png": (bomb_png(100_000, 100_000), "too many pixels; at most 40 megapixels are accepted"),
        "tiny.png": (png_bytes(np.zeros((1, 1), np.uint8)), None),
        "strip.png": (png_bytes(np.full((3, 12000), 255, np.uint8)), None),
        "sixteen.png": (png_bytes(np.full((40, 40), 60000, np.uint16)), None),
        "blank.png": (png_bytes(np.full((60, 60), 255, np.uint8)), None),
        "noise.png": (png_bytes(rng.integers(0, 256, (200, 200), dtype=np.uint8)), None),
    }
    cmyk = io.BytesIO()
    Image.new("CMYK", (80, 80), (0, 0, 0, 0)).save(cmyk, format="JPEG")
    files["cmyk.jpg"] = (cmyk.getvalue(), None)
    gif = io.BytesIO()
    frames = [Image.new("L", (50, 50), 255), Image.new("L", (50, 50), 0)]
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    files["animated.gif"] = (gif.getvalue(), None)
    return files
