"""What the pages share: the model and MNIST, loaded once per server process, and small UI helpers.

Helpers that draw end in ``_ui``. Nothing here computes on arrays beyond resizing a picture for show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from mnist_app.config import Paths
from mnist_app.jobs.trainer import Trainer
from mnist_app.models import store, versions
from mnist_app.models.model import Predictor, keep_keras_state_between_script_runs
from mnist_app.reading.images import ACCENT_RGB, annotate
from mnist_app.reading.pictures import Picture
from mnist_app.reading.recognize import UNCERTAIN_BELOW, load_predictor
from mnist_app.training.data import class_counts, load_mnist, mean_images

ACCENT = "#FF4B4B"
SHOWN_WIDTH = 1460  # Streamlit's widest picture (2 x 730 pixels); it shrinks wider ones to this width
SHOWN_HEIGHT = 560  # pictures are shown at most this high: a portrait photo leaves room for what was read
_TOAST_KEY = "toast_after_rerun"  # the message rerun_saying leaves for the next run

# Streamlit clears Keras's session after every script run; for this app that costs a quarter of a second
# per stroke and disturbs a retrain running in the background (see the function). Once per process.
keep_keras_state_between_script_runs()


@dataclass(frozen=True)
class ActiveModel:
    """The version the pages use, its predictor, and why it stands in for another one, if it does."""

    version: versions.Version
    predictor: Predictor
    problem: str | None

    @property
    def card(self) -> dict:
        return self.version.card


def active_model() -> ActiveModel:
    """The active model. The small file naming it is read on every run, so an activation reaches every
    session at its next rerun; each version's model is loaded once per server process."""
    return ActiveModel(*versions.load_active(Paths.from_env(), _predictor_for))


@st.cache_resource(show_spinner="Loading the model...", max_entries=4)
def _predictor_for(model_dir: Path) -> Predictor:
    # Keyed by directory: activating another version loads it beside this one. Pages that already hold
    # this predictor (a prediction in flight) finish with it; it is dropped when the cache is full.
    return load_predictor(model_dir)


@st.cache_data(show_spinner=False, max_entries=4)
def evaluation_of(model_dir: Path) -> dict:
    """The test evaluation saved with a model (see mnist_app.training.evaluate)."""
    return store.read_evaluation(model_dir)


def trainer() -> Trainer:
    """The one runner of training jobs in this server process, shared by every session."""
    return _trainer_for(Paths.from_env())


@st.cache_resource
def _trainer_for(paths: Paths) -> Trainer:
    return Trainer(paths)


@st.cache_data(show_spinner="Loading MNIST...")
def mnist_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's "train" or "test" images and labels, read once (MNIST_PATH, or Keras's download).

    Cached per split: a page that shows test images does not copy the 47 MB of training images.
    """
    data = load_mnist()
    return (data.x_train, data.y_train) if split == "train" else (data.x_test, data.y_test)


def sidebar_ui() -> None:
    """The active model's name, test accuracy and date on every page, and a warning if it stands in."""
    try:
        model = active_model()
    except Exception as error:  # noqa: BLE001  (not even the shipped model loads: nothing can work)
        st.error(f"No model could be loaded: {error}. Check the models folder (see the README).", icon=":material/error:")
        st.stop()
    card = model.card
    with st.sidebar:
        st.caption("Active model")
        st.markdown(f"**{model.version.id}** · {card['name'].upper()}")
        st.metric("MNIST test accuracy", f"{card['test']['accuracy']:.2%}")
        st.caption(f"Trained {card['created'][:10]} · {card['parameters']:,} parameters")
    if model.problem:
        st.warning(model.problem, icon=":material/warning:")


def rerun_saying(message: str) -> None:
    """Run the app again, as st.rerun does, and say ``message`` in a toast on the new run: a toast sent just
    before st.rerun is gone when the new run ends (Streamlit issue #7740)."""
    st.session_state[_TOAST_KEY] = message
    st.rerun()


def pending_toast_ui() -> None:
    """The toast of rerun_saying, on the run after it; call it on every run."""
    message = st.session_state.pop(_TOAST_KEY, None)
    if message:
        st.toast(message)


def remembered(key: str, default) -> None:
    """Make the widget with this ``key`` keep its value when the visitor goes to another page and back.

    Streamlit forgets the state of a widget that a run does not draw, so the value is copied aside on every
    run and handed back on the return. Call it just before drawing the widget, and give the widget no
    default of its own (``default`` here is the first value).
    """
    copy = f"remembered_{key}"
    if key in st.session_state:
        st.session_state[copy] = st.session_state[key]
    else:
        st.session_state[key] = st.session_state.get(copy, default)


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


def shown_size(width: int, height: int) -> tuple[int, int]:
    """The size a picture is shown at: its own, shrunk to at most SHOWN_WIDTH wide and SHOWN_HEIGHT high."""
    shown_width = min(width, SHOWN_WIDTH, max(1, round(SHOWN_HEIGHT * width / height)))
    return shown_width, max(1, round(height * shown_width / width))


# Reports the width of the container it is placed in, in CSS pixels, and again whenever that width changes by
# a step of 20 pixels (a rotated phone, a resized window, the sidebar opened or closed); never in between,
# so that a window being dragged wider does not rerun the page at every pixel.
_ROOM_JS = """
export default function(component) {
  const { parentElement, setStateValue } = component;
  let last = null;
  const report = () => {
    const width = Math.floor(parentElement.getBoundingClientRect().width / 20) * 20;
    if (width > 0 && width !== last) { last = width; setStateValue("width", width); }
  };
  const observer = new ResizeObserver(report);
  observer.observe(parentElement);
  report();
  return () => observer.disconnect();
}
"""
_room_probe = st.components.v2.component("room_width", js=_ROOM_JS, isolate_styles=False)


def room_width_ui(key: str, fallback: int) -> int:
    """The width in pixels of the container this is called in, measured in the browser, so that a fixed-size
    widget such as the drawing canvas can be made to fit it. ``fallback`` until the browser has said (the
    first run of a session, and AppTest, which has no browser)."""
    width = _room_probe(key=key, default={"width": None}, on_width_change=lambda: None).width
    return int(width) if width else fallback


NOT_A_DIGIT_RGB = (127, 140, 154)  # the grey of the other bars: ink that was read and is no digit


def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def a_digit(digit: int, bold: bool = False) -> str:
    """7 -> "a 7", 8 -> "an 8"; in bold, "an **8**"."""
    shown = f"**{digit}**" if bold else str(digit)
    return f"an {shown}" if digit == 8 else f"a {shown}"


def digits_read_ui(image: np.ndarray | Picture, reading, caption: str | None = None, drawing: bool = False) -> None:
    """Several digits read from ``image`` (a photo as an array, or a picture decoded smaller than its file;
    or a ``drawing``): which are uncertain, the image with each digit's box and value (and a grey box around
    ink that is no digit), and the 28x28 inputs the model saw."""
    # "the 2nd digit, read as 7 (62%)": a digit is named by its place in reading order, never by a bare
    # number, which would read as the digit itself ("digit 1").
    uncertain = [f"the {ordinal(number)} digit, read as {digit.digit} ({digit.confidence:.0%})"
                 for number, digit in enumerate(reading.digits, start=1) if digit.uncertain]
    if uncertain:
        which = ", ".join(uncertain[:-1]) + (" and " if len(uncertain) > 1 else "") + uncertain[-1]
        st.warning(f"Not sure about {which}: below {UNCERTAIN_BELOW:.0%} confidence.", icon=":material/help:")
    if reading.not_digits:
        count = len(reading.not_digits)
        st.info(f"{count} mark{'s' if count > 1 else ''} in grey {'do' if count > 1 else 'does'} not look like a digit and "
                f"{'are' if count > 1 else 'is'} left out.", icon=":material/block:")
    marks = list(reading.digits) + list(reading.not_digits)
    picture_ui(annotate(image, [d.box for d in marks], [str(d.digit) for d in reading.digits] + ["?"] * len(reading.not_digits),
                        [ACCENT_RGB] * len(reading.digits) + [NOT_A_DIGIT_RGB] * len(reading.not_digits)), caption=caption,
               drawing=drawing)
    st.caption("What the model saw, digit by digit")
    image_grid_ui([digit.model_input for digit in reading.digits], [f"{digit.digit} · {digit.confidence:.0%}" for digit in reading.digits])


def probabilities_figure(probabilities: np.ndarray, height: int = 260, highlight: bool = True) -> go.Figure:
    """A bar per digit, the most likely one in the accent colour (unless ``highlight`` is off: no digit)."""
    best = int(np.argmax(probabilities)) if highlight else -1
    figure = go.Figure(
        go.Bar(
            x=[str(digit) for digit in range(10)],
            y=list(map(float, probabilities)),
            marker_color=[ACCENT if digit == best else "#7F8C9A" for digit in range(10)],
            text=[f"{p:.0%}" if p >= 0.01 else "" for p in probabilities],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(range=[0, 1.15], tickformat=".0%", title=None),
        xaxis=dict(title=None, type="category"), showlegend=False,
    )
    return figure


def mnist_split_ui(split: str) -> tuple[np.ndarray, np.ndarray]:
    """``mnist_split``, or a clear message and the end of the page when MNIST cannot be loaded."""
    try:
        return mnist_split(split)
    except Exception as error:  # noqa: BLE001  (a missing file, a failed download: the user must be told)
        st.error(f"MNIST could not be loaded: {error}. Set MNIST_PATH to a local mnist.npz (see the README).",
                 icon=":material/database_off:")
        st.stop()


@st.cache_data(show_spinner=False)
def average_digits(split: str) -> np.ndarray:
    """The mean image of each digit of MNIST's "train" or "test" set, computed once."""
    return mean_images(*mnist_split(split))


@st.cache_data(show_spinner=False)
def digit_counts(split: str) -> np.ndarray:
    """How many images of each digit MNIST's "train" or "test" set holds, counted once."""
    return class_counts(mnist_split(split)[1])
