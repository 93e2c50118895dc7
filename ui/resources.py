"""What the pages load once per server process and share: the active model, its evaluation, MNIST, the trainer.

Each is cached by Streamlit (st.cache_resource for objects, st.cache_data for arrays); never change what they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from mnist_app.config import Paths
from mnist_app.jobs.trainer import Trainer
from mnist_app.models import store, versions
from mnist_app.models.model import Predictor, keep_keras_state_between_script_runs
from mnist_app.reading.recognize import load_predictor
from mnist_app.training.data import class_counts, load_mnist, mean_images

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


def mnist_split_ui(split: str) -> tuple[np.ndarray, np.ndarray]:
    """``mnist_split``, or a clear message and the end of the page when MNIST cannot be loaded."""
    try:
        return mnist_split(split)
    except Exception as error:  # noqa: BLE001  (a missing file, a failed download: the user must be told)
        st.error(f"MNIST could not be loaded: {error}. Set MNIST_PATH to a local mnist.npz (see the README).",
                 icon=":material/database_off:")
        st.stop()


def evaluated_test_images_ui(evaluation: dict) -> np.ndarray | None:
    """MNIST's test images, which the mistakes of a model's evaluation index; None, with a note, when the test set
    here is not the one the model was measured on (MNIST_PATH names another file: a slice, another copy)."""
    images, _ = mnist_split_ui("test")
    if len(images) == evaluation["count"]:
        return images
    st.info(f"The model was measured on {evaluation['count']:,} test images, and the MNIST here (MNIST_PATH) has {len(images):,}: "
            "its mistakes cannot be shown from another test set.", icon=":material/info:")
    return None


@st.cache_data(show_spinner=False)
def average_digits(split: str) -> np.ndarray:
    """The mean image of each digit of MNIST's "train" or "test" set, computed once."""
    return mean_images(*mnist_split(split))


@st.cache_data(show_spinner=False)
def digit_counts(split: str) -> np.ndarray:
    """How many images of each digit MNIST's "train" or "test" set holds, counted once."""
    return class_counts(mnist_split(split)[1])
