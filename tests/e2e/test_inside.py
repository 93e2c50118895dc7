"""The "Inside the model" page in a real browser, reached as a visitor reaches it: from a digit drawn on the
Draw page (laptop), and from a mistake picked on the Evaluation page (phone). What it shows must be about
that very input: the same answer, saliency in colour over its ink, every layer's maps, and on a phone
nothing wider than the screen."""

from __future__ import annotations

import base64
import io
import re
import time

import cv2
import numpy as np
import pytest
from browser import drawn_and_read, wait_until_idle, whole_page_screenshot
from PIL import Image

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
LINK = "Why? Look inside the model"
LAYERS = ["Block 1, convolution 1", "Block 1, convolution 2", "Block 2, convolution 1", "Block 2, convolution 2"]
VERDICT = re.compile(r"Read as (\d) \(([\d.]+)%\), then (\d) \(([\d.]+)%\)")

# Every picture of every st.image on the page: its caption (its own, or the st.caption right under it, as the
# feature maps have), whether it decoded, its size and place.
PICTURES = """() => [...document.querySelectorAll('[data-testid="stImageContainer"]')].map(container => {
  const image = container.querySelector('img');
  const below = container.closest('[data-testid="stElementContainer"]')?.nextElementSibling;
  const caption = container.querySelector('[data-testid="stImageCaption"]')
    || below?.querySelector('[data-testid="stCaptionContainer"]');
  const box = image.getBoundingClientRect();
  return {caption: caption ? caption.innerText.trim() : "", complete: image.complete, natural_width: image.naturalWidth,
          top: box.top, left: box.left, right: box.right};
})"""
# One shown picture as the browser decoded it, drawn on a canvas and read back as a PNG data URL.
AS_DECODED = """async (image) => {
  if (!image.complete || !image.naturalWidth) await image.decode();  // a rerun may have just given it a new src
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  canvas.getContext('2d').drawImage(image, 0, 0);
  return canvas.toDataURL('image/png');
}"""
# How wide the document and the main section scroll, and the elements that reach past the window's right edge.
TOO_WIDE = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const right = element => element.getBoundingClientRect().right;
  const past = element => element.getBoundingClientRect().width > 0 && right(element) > window.innerWidth + 0.5;
  const name = element => element.tagName.toLowerCase() + `[${element.getAttribute('data-testid') || element.className}]`;
  const wide = [...main.querySelectorAll('*')].filter(past).map(element => `${name(element)} to ${Math.round(right(element))}`);
  return {document: document.documentElement.scrollWidth, main: main.scrollWidth, window: window.innerWidth,
          wide: wide.slice(0, 10)};
}"""


def new_page(browser, screen: dict):
    page = browser.new_context(**screen).new_page()
    page.set_default_timeout(60_000)  # generous: CI machines are slow, and the first run imports TensorFlow
    return page


def wait_for_inside(page, timeout_s: float = 60) -> None:
    """Wait until the Inside page has drawn all of itself, at the width the browser measured: its pictures
    decoded, its chart drawn, and no rerun for a second (the page's first run lays out for a guessed width,
    then runs again once the browser has said how wide it is; the pictures' URLs name their contents)."""
    page.get_by_role("heading", name="Every model on this input").wait_for()
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for()
    deadline, shown = time.monotonic() + timeout_s, None
    while True:
        wait_until_idle(page)
        page.wait_for_function("() => [...document.images].every(image => image.complete && image.naturalWidth > 0)")
        now = page.evaluate("() => [...document.images].map(image => image.src)")
        if now == shown or time.monotonic() > deadline:
            return
        shown = now
        page.wait_for_timeout(1000)


def look_at(page) -> str:
    """The option the "Look at" control has chosen; with nothing handed over there is no choice, only MNIST."""
    if page.get_by_role("radiogroup", name="Look at").count() == 0:
        return "An MNIST test image"
    chosen = page.get_by_role("radiogroup", name="Look at").get_by_role("radio", checked=True)
    assert chosen.count() == 1, chosen.all_inner_texts()
    return chosen.inner_text().strip()


def verdict(page) -> tuple[int, int]:
    """The digit read and the runner-up, as "Read as **7** (98%), then 2 (1%)" says them."""
    text = page.get_by_test_id("stMarkdown").filter(has_text="Read as").inner_text()
    found = VERDICT.search(text)
    assert found, text
    return int(found[1]), int(found[3])


def decoded(page, caption: str) -> np.ndarray:
    """(H, W, 3) RGB values 0-255 (as int, to subtract): the picture above ``caption``, as the browser decoded it."""
    image = page.get_by_test_id("stImageContainer").filter(
        has=page.get_by_test_id("stImageCaption").get_by_text(caption, exact=True)).locator("img")
    url = image.evaluate(AS_DECODED)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")).astype(int)


def coloured(picture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the clearly red and the clearly blue pixels (the accent red, the saliency blue)."""
    red, green, blue = picture[..., 0], picture[..., 1], picture[..., 2]
    return (red > 120) & (red > green + 60) & (red > blue + 60), (blue > 120) & (blue > red + 60)


def test_from_a_drawing_the_page_explains_that_drawing(browser, server_url, test_writers, screenshots):
    two = next(d for d in test_writers if d.label == 2 and len(d.strokes) == 1)
    page = new_page(browser, LAPTOP)
    read = int(drawn_and_read(page, server_url, two.strokes))

    page.get_by_role("link", name=LINK).click()
    page.wait_for_url("**/inside*")
    wait_for_inside(page)
    whole_page_screenshot(page, screenshots / "inside-from-drawing-laptop.png")
    assert look_at(page) == "Your drawing"
    assert page.locator('[data-testid="stMain"] :is([data-testid="stException"], [data-testid="stAlert"])').count() == 0
    best, second = verdict(page)
    assert best == read and second != best

    pictures = page.evaluate(PICTURES)
    captions = [picture["caption"] for picture in pictures]
    saliency = ["your drawing", f"towards {best}", f"towards {second}", f"{best} rather than {second}"]
    assert captions[:4] == saliency, captions
    layers = [next((p for p in pictures if p["caption"].startswith(layer)), None) for layer in LAYERS]
    assert all(layers), captions
    assert all(p["complete"] and p["natural_width"] > 0 for p in pictures[:4] + layers), pictures
    assert all(layer["top"] > pictures[0]["top"] for layer in layers)  # below "Why this answer"
    # In reading order, row by row: the layers as the input goes through them.
    in_reading_order = sorted(zip(layers, LAYERS), key=lambda shown: (round(shown[0]["top"]), shown[0]["left"]))
    assert [name for _, name in in_reading_order] == LAYERS, layers

    # The drawing in grey, the maps in red and blue over its ink: integrated gradients from a black input
    # give nothing where there is no ink (the smoothing spreads colour a pixel or so).
    drawing = decoded(page, "your drawing")
    assert np.abs(drawing - drawing.mean(axis=2, keepdims=True)).max() < 40, "the drawing is not grey"
    ink = cv2.dilate((drawing.max(axis=2) > 40).astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    assert 0.02 < ink.mean() < 0.8
    for caption in saliency[1:]:
        red, blue = coloured(decoded(page, caption))
        assert (red | blue).sum() > 0.01 * red.size, f"{caption!r}: {red.sum()} red and {blue.sum()} blue pixels"
        assert (red | blue)[~ink].sum() <= 0.02 * (red | blue).sum(), f"{caption!r} is coloured away from the ink"
    red, _ = coloured(decoded(page, f"towards {best}"))
    assert red.sum() > 0.01 * red.size, "nothing pushes towards the digit read"

    # Against another digit than the runner-up: the maps of that digit.
    other = next(digit for digit in range(10) if digit not in (best, second))
    page.get_by_role("radiogroup", name="Against").get_by_role("radio", name=str(other), exact=True).click()
    page.get_by_text(f"{best} rather than {other}", exact=True).wait_for()
    wait_for_inside(page)
    assert [picture["caption"] for picture in page.evaluate(PICTURES)][2:4] == [f"towards {other}", f"{best} rather than {other}"]
    page.context.close()


def test_on_a_phone_a_mistake_from_evaluation_opens_inside_and_fits(browser, server_url, screenshots):
    page = new_page(browser, PHONE)
    page.goto(f"{server_url}/evaluation")
    page.get_by_text("Look closer at").wait_for()
    wait_until_idle(page)
    chosen = page.get_by_test_id("stSelectbox").filter(has_text="Look closer at").get_by_role("combobox").input_value()
    found = re.fullmatch(r"#(\d+): a (\d) read as (\d)", chosen)
    assert found, chosen
    index, true, predicted = (int(group) for group in found.groups())

    page.get_by_role("link", name=LINK).tap()
    page.wait_for_url("**/inside*")
    wait_for_inside(page)
    assert look_at(page) == "An MNIST test image"
    assert page.get_by_label("Test image").input_value() == str(index)
    assert verdict(page)[0] == predicted
    page.get_by_test_id("stMarkdown").filter(has_text=f"wrong, it is labelled {true}.").wait_for()
    assert page.get_by_text(f"test image #{index}, labelled {true}", exact=True).count() == 1
    # One under the other on a phone, in the order of the network (not the wide layout's columns one by one).
    captions = [picture["caption"] for picture in sorted(page.evaluate(PICTURES), key=lambda picture: picture["top"])]
    shown = [layer for caption in captions for layer in LAYERS if caption.startswith(layer)]
    assert shown == LAYERS, captions

    fit = page.evaluate(TOO_WIDE)
    whole_page_screenshot(page, screenshots / "inside-from-evaluation-phone.png")
    assert fit["document"] <= fit["window"] == PHONE["viewport"]["width"], fit
    assert fit["main"] <= fit["window"] and fit["wide"] == [], fit
    page.context.close()



@pytest.mark.parametrize("screen", ["laptop", "phone"])
def test_a_mistake_shows_the_same_confidence_on_both_pages_or_says_why(browser, server_url, screen):
    page = new_page(browser, LAPTOP if screen == "laptop" else PHONE)
    page.goto(f"{server_url}/evaluation")
    page.get_by_text("Look closer at").wait_for()
    wait_until_idle(page)
    first = page.get_by_text(re.compile(r"^\d → \d · [\d.]+%$")).first.inner_text()  # the chosen one: the first mistake
    listed = re.search(r"([\d.]+)%", first)[1]
    link = page.get_by_role("link", name=LINK)
    link.tap() if screen == "phone" else link.click()
    page.wait_for_url("**/inside*")
    wait_for_inside(page)
    shown = VERDICT.search(page.get_by_test_id("stMarkdown").filter(has_text="Read as").inner_text())[2]
    if shown != listed:  # a figure of its own, then, and the page says where the other comes from
        page.get_by_text(f"The Evaluation page lists this image at {listed}%").wait_for(timeout=5_000)
    page.context.close()
