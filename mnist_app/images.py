"""Reading image files that people upload, safely: size checked before decoding, EXIF rotation applied.

Every fault a user can cause comes out as ``ImageError`` (a ValueError) with a message in words.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # a 40-megapixel photo is the largest accepted; larger ones are refused unread
MAX_FILE_BYTES = 50 * 1024 * 1024  # 50 MiB of file
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
EXTENSIONS = ("png", "jpg", "jpeg", "webp", "bmp", "gif")

# Pillow refuses (raises) beyond twice this; we check the header ourselves first and say why.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageError(ValueError):
    """The file is not an image this app can read; the message says why."""


def read_image(source: str | Path | bytes | BinaryIO) -> np.ndarray:
    """An image file (path, bytes or open file) -> (H, W, 3) RGB or (H, W, 4) RGBA uint8 array.

    Only the first frame of an animation is read. 16-bit images are scaled to 8 bits, CMYK and palette
    images converted, and the EXIF orientation of photos applied.
    """
    data = _read_bytes(source)
    if not data:
        raise ImageError("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size check below says it better
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"the image is {width}x{height} pixels; at most {MAX_PIXELS / 1e6:.0f} megapixels are accepted")
            image.seek(0)
            image.load()
            image = ImageOps.exif_transpose(image)
            return _to_array(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"not an image in a supported format ({', '.join(EXTENSIONS)})") from None
    except Image.DecompressionBombError:
        # Pillow's own guard, from the header alone: the image was never decoded.
        raise ImageError(f"the image has too many pixels; at most {MAX_PIXELS / 1e6:.0f} megapixels are accepted") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"the image file is damaged or truncated ({error})") from None


def _read_bytes(source: str | Path | bytes | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageError(f"{path}: no such file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageError(f"the file is {path.stat().st_size / 2**20:.0f} MiB; at most {MAX_FILE_BYTES // 2**20} MiB are accepted")
        data = path.read_bytes()
    else:
        data = source.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    return data


def _to_array(image: Image.Image) -> np.ndarray:
    """A decoded Pillow image in any mode -> uint8 RGB or RGBA array."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = values.max()
        scale = 255 / (65535 if top > 255 else 255) if top > 0 else 1.0
        gray = np.clip(values * scale, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., np.newaxis], 3, axis=2)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))


ACCENT_RGB = (255, 75, 75)


def annotate(image: np.ndarray, boxes: list[tuple[int, int, int, int]], labels: list[str],
             colours: list[tuple[int, int, int]] | None = None) -> np.ndarray:
    """A copy of ``image`` as RGB uint8 with each box outlined and its label written above it, in the
    accent colour or in ``colours`` (one RGB triple per box)."""
    import cv2  # only this helper draws

    if image.ndim == 2:
        picture = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        alpha = image[..., 3:4].astype(np.float32) / 255  # transparent parts shown on white
        picture = (image[..., :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    else:
        picture = image.copy()
    thickness = max(2, round(max(picture.shape[:2]) / 300))
    for index, ((x, y, width, height), label) in enumerate(zip(boxes, labels)):
        colour = colours[index] if colours is not None else ACCENT_RGB
        cv2.rectangle(picture, (x, y), (x + width, y + height), colour, thickness)
        scale = max(0.6, height / 90)
        (text_width, text_height), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        top = max(0, y - text_height - 2 * thickness)
        cv2.rectangle(picture, (x, top), (x + text_width + 2 * thickness, top + text_height + 2 * thickness), colour, -1)
        cv2.putText(picture, label, (x + thickness, top + text_height + thickness), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return picture
