"""Pictures on a page: a 28x28 input with sharp pixels, a grid of them, an upload or a drawing with the digits read in it.

Nothing here computes on arrays beyond resizing a picture for show.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from mnist_app.reading.images import ACCENT_RGB, annotate
from mnist_app.reading.pictures import Picture
from mnist_app.reading.recognize import UNCERTAIN_BELOW
from ui.screen import shown_size
from ui.wording import ordinal, percent

NOT_A_DIGIT_RGB = (127, 140, 154)  # the grey of the other bars: ink that was read and is no digit


def pixels_ui(image: np.ndarray, size: int = 168, caption: str | None = None) -> None:
    """A small image (28x28 floats in [0, 1] or uint8) shown large with sharp pixels."""
    # As PNG: Streamlit would send a grey picture as JPEG, which blurs the pixels' edges (by up to 16 grey
    # levels, for a file five times larger).
    st.image(_pixels_image(image, size), caption=caption, output_format="PNG")


def _pixels_image(image: np.ndarray, size: int, margin: int = 0) -> Image.Image:
    # (28, 28) floats in [0, 1] or uint8 -> (size, size) sharp pixels, in a transparent margin if asked.
    values = np.asarray(image)
    if values.dtype != np.uint8:
        values = (np.clip(values, 0, 1) * 255).astype(np.uint8)
    picture = Image.fromarray(values).resize((size, size), Image.NEAREST)
    if not margin:
        return picture
    framed = Image.new("RGBA", (size + 2 * margin, size + 2 * margin), (0, 0, 0, 0))
    framed.paste(picture.convert("RGBA"), (margin, margin))
    return framed


def image_grid_ui(images, captions: list[str], size: int = 76) -> None:
    """Small images (28x28) in rows that wrap to the page's width: at the default size eleven to a row on a
    1366-pixel laptop, four on a 390-pixel phone. (Streamlit's columns stack into one image per row on a
    narrow screen.)"""
    if len(images):
        st.image([_pixels_image(image, size, margin=3) for image in images], caption=captions, width=size + 6)


def picture_ui(image: np.ndarray, caption: str | None = None, drawing: bool = False) -> None:
    """A picture of any size and shape, such as an upload, at most SHOWN_HEIGHT pixels high (a portrait photo
    would push what was read off the screen) and shrunk here rather than by Streamlit, whose shrinking fails
    on a picture it would leave less than a pixel high (a 3x12000 strip).

    A ``drawing`` is sent as PNG, a photo as JPEG: for four digits drawn on the canvas, with their boxes,
    PNG is exact and 21 kB, JPEG 31 kB and smears the red labels; for a photo JPEG is a fifth of PNG."""
    picture = Image.fromarray(image)
    size = shown_size(picture.width, picture.height)
    if size != picture.size:
        picture = picture.resize(size, Image.BILINEAR)
    # At its own size, or the page's width if that is less.
    st.image(picture, caption=caption, output_format="PNG" if drawing else "JPEG")


def digits_read_ui(image: np.ndarray | Picture, reading, caption: str | None = None, drawing: bool = False) -> None:
    """Several digits read from ``image`` (a photo as an array, or a picture decoded smaller than its file;
    or a ``drawing``): which are uncertain, the image with each digit's box and value (and a grey box around
    ink that is no digit), and the 28x28 inputs the model saw."""
    # "the 2nd digit, read as 7 (62%)": a digit is named by its place in reading order, never by a bare
    # number, which would read as the digit itself ("digit 1").
    uncertain = [f"the {ordinal(number)} digit, read as {digit.digit} ({percent(digit.confidence)})"
                 for number, digit in enumerate(reading.digits, start=1) if digit.uncertain]
    if uncertain:
        which = ", ".join(uncertain[:-1]) + (" and " if len(uncertain) > 1 else "") + uncertain[-1]
        st.warning(f"Not sure about {which}: below {UNCERTAIN_BELOW:.0%} confidence.", icon=":material/help:")
    if reading.not_digits and reading.digits:  # with no digit at all, the page says so in its own words
        count = len(reading.not_digits)
        st.info(f"{count} mark{'s' if count > 1 else ''} in grey {'do' if count > 1 else 'does'} not look like a digit and "
                f"{'are' if count > 1 else 'is'} left out.", icon=":material/block:")
    marks = list(reading.digits) + list(reading.not_digits)
    picture_ui(annotate(image, [d.box for d in marks], [str(d.digit) for d in reading.digits] + ["?"] * len(reading.not_digits),
                        [ACCENT_RGB] * len(reading.digits) + [NOT_A_DIGIT_RGB] * len(reading.not_digits)), caption=caption,
               drawing=drawing)
    if not reading.digits:
        return
    st.caption("What the model saw, digit by digit")
    image_grid_ui([digit.model_input for digit in reading.digits], [f"{digit.digit} · {percent(digit.confidence)}" for digit in reading.digits])
