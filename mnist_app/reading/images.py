"""Reading image files that people upload, safely: size checked before decoding, EXIF rotation applied,
and large photos decoded only at the resolution reading digits needs (``read_picture``).

Every fault a user can cause comes out as ``ImageError`` (a ValueError) with a message in words.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from mnist_app.reading.pictures import Picture, analysis_size
from mnist_app.threads import on_a_worker

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
    images converted, and the EXIF orientation of photos applied. The image comes at its full size: to
    read digits, ``read_picture`` costs a fraction of the time and memory of a large photo.
    """
    return _decode(_read_bytes(source), shrink=False).pixels


def read_picture(source: str | Path | bytes | BinaryIO) -> Picture:
    """An image file, as ``read_image`` reads it, at the resolution reading digits needs: a Picture of its
    pixels (at most pictures.ANALYSIS_MAX_PIXELS of them) and the original's size, for ``recognize``.

    A JPEG is decoded straight at a half, a quarter or an eighth of its size where that is still enough;
    other formats are decoded whole and shrunk at once. The file is refused for the same faults, with the
    same messages, as by ``read_image``.
    """
    return _decode(_read_bytes(source), shrink=True)


def _decode(data: bytes, shrink: bool) -> Picture:
    """The bytes of a file -> its first frame, EXIF rotation applied, at full size or ``analysis_size``."""
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
            target = analysis_size(width, height) if shrink else (width, height)
            if target != (width, height):
                image.draft(image.mode, target)  # a JPEG's decoder scales by 1/2, 1/4 or 1/8 (at least target); others ignore it
            # The worker is chosen by the size the image is decoded at.
            return on_a_worker(image.width * image.height, _load, image, (width, height), target)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"not an image in a supported format ({', '.join(EXTENSIONS)})") from None
    except Image.DecompressionBombError:
        # Pillow's own guard, from the header alone: the image was never decoded.
        raise ImageError(f"the image has too many pixels; at most {MAX_PIXELS / 1e6:.0f} megapixels are accepted") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"the image file is damaged or truncated ({error})") from None


def _load(image: Image.Image, size: tuple[int, int], target: tuple[int, int]) -> Picture:
    """Decode an opened image of ``size``, bring it down to ``target`` (width, height), turn it upright."""
    width, height = size
    image.load()
    image = _shrunk(image, target)
    quarter_turn = image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)  # as exif_transpose reads it
    ImageOps.exif_transpose(image, in_place=True)
    return Picture(_to_array(image), (height, width) if quarter_turn else (width, height))


def _shrunk(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """A decoded image brought down to ``target`` (width, height): Pillow's ``reduce`` averages whole blocks
    of pixels (fast, and alpha-weighted for RGBA), a box filter does what a whole factor cannot."""
    if image.size == target:
        return image
    if image.mode in ("1", "P", "PA") or image.mode.startswith("I;16"):
        # Modes reduce() does not take (and palette images would be resized by nearest neighbour).
        image = image.convert("I" if image.mode.startswith("I;16") else "RGBA" if _has_alpha(image) else "RGB")
    factor = min(image.width // target[0], image.height // target[1])
    if factor >= 2:
        image = image.reduce(factor)
    return image if image.size == target else image.resize(target, Image.Resampling.BOX)


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
    mode = "RGBA" if _has_alpha(image) else "RGB"
    return np.asarray(image if image.mode == mode else image.convert(mode))  # convert() would copy even to its own mode


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


ACCENT_RGB = (255, 75, 75)


def annotate(image: np.ndarray | Picture, boxes: list[tuple[int, int, int, int]], labels: list[str],
             colours: list[tuple[int, int, int]] | None = None) -> np.ndarray:
    """A copy of ``image`` as RGB uint8 with each box outlined and its label written above it, in the
    accent colour or in ``colours`` (one RGB triple per box). On a Picture, the boxes are in the original's
    pixels (as ``recognize`` gives them) and are drawn where they fall on its smaller pixels."""
    import cv2  # only this helper draws

    if isinstance(image, Picture):
        boxes = [image.shown_box(box) for box in boxes]
        image = image.pixels
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
