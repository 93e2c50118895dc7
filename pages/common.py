"""What the pages share: the model and MNIST, loaded once per server process, and small UI helpers.

Helpers that draw end in ``_ui``. Nothing here computes on arrays beyond resizing a picture for show.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from mnist_app import store
from mnist_app.config import Paths
from mnist_app.data import class_counts, load_mnist, mean_images
from mnist_app.images import annotate
from mnist_app.model import Predictor
from mnist_app.recognize import UNCERTAIN_BELOW, load_predictor

ACCENT = "#FF4B4B"


def active_model_dir():
    """The directory of the model every page uses."""
    return Paths().default_model_dir


@st.cache_resource(show_spinner="Loading the model...")
def active_predictor() -> Predictor:
    """The predictor of the active model, shared by every session of this server process."""
    return load_predictor(active_model_dir())


@st.cache_data(show_spinner=False)
def active_card() -> dict:
    return store.read_card(active_model_dir())


@st.cache_data(show_spinner=False)
def active_evaluation() -> dict:
    return store.read_evaluation(active_model_dir())


@st.cache_data(show_spinner="Loading MNIST...")
def mnist_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's "train" or "test" images and labels, read once (MNIST_PATH, or Keras's download).

    Cached per split: a page that shows test images does not copy the 47 MB of training images.
    """
    data = load_mnist()
    return (data.x_train, data.y_train) if split == "train" else (data.x_test, data.y_test)


def sidebar_ui() -> None:
    """The active model's name, test accuracy and date, on every page."""
    card = active_card()
    with st.sidebar:
        st.caption("Active model")
        st.markdown(f"**{active_model_dir().name}** · {card['name'].upper()}")
        st.metric("MNIST test accuracy", f"{card['test']['accuracy']:.2%}")
        st.caption(f"Trained {card['created'][:10]} · {card['parameters']:,} parameters")


def pixels_ui(image: np.ndarray, size: int = 168, caption: str | None = None) -> None:
    """A small image (28x28 floats in [0, 1] or uint8) shown large with sharp pixels."""
    values = np.asarray(image)
    if values.dtype != np.uint8:
        values = (np.clip(values, 0, 1) * 255).astype(np.uint8)
    st.image(Image.fromarray(values).resize((size, size), Image.NEAREST), caption=caption)


def digits_read_ui(image: np.ndarray, reading, caption: str | None = None, min_columns: int = 8) -> None:
    """Several digits read from ``image``: which are uncertain, the image with each digit's box and
    value, and the 28x28 inputs the model saw with their predictions."""
    uncertain = [str(number) for number, digit in enumerate(reading.digits, start=1) if digit.uncertain]
    if uncertain:
        st.warning(f"Not sure about digit {', '.join(uncertain)} (below {UNCERTAIN_BELOW:.0%} confidence).", icon=":material/help:")
    st.image(annotate(image, [d.box for d in reading.digits], [str(d.digit) for d in reading.digits]), caption=caption)
    st.caption("What the model saw, digit by digit")
    for column, digit in zip(st.columns(max(len(reading.digits), min_columns)), reading.digits):
        with column:
            pixels_ui(digit.model_input, size=84, caption=f"{digit.digit} · {digit.confidence:.0%}")


def probabilities_figure(probabilities: np.ndarray, height: int = 260) -> go.Figure:
    """A bar per digit, the most likely one in the accent colour."""
    best = int(np.argmax(probabilities))
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
