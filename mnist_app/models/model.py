"""Model definitions, saving and loading, and the fast predictor.

Every model takes float32 images of shape (N, 28, 28) with values in [0, 1] (see
``data.to_unit_range``) and returns (N, 10) class probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from mnist_app.files import replaced_atomically

# Batch normalisation's running statistics follow the last ~10 batches rather than Keras's ~100, so that
# even a short run on a small slice ends with statistics that fit its weights.
BN_MOMENTUM = 0.9


def make_cnn(dropout_rate: float = 0.25) -> keras.Model:
    """Two blocks of two 3x3 convolutions, then a dense head: about 0.2M parameters.

    The first convolution of each block uses 'valid' padding, which shrinks the maps early and
    halves the work compared with 'same' padding, at no cost in accuracy on 28x28 digits.
    """
    inputs = keras.Input(shape=(28, 28), name="image")
    x = layers.Reshape((28, 28, 1))(inputs)  # (28, 28) -> (28, 28, 1) for the convolutions
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, padding="valid", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(filters, 3, padding="valid", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Dropout(dropout_rate)(x)
    # (4, 4, 64) -> 1024 features
    x = layers.Flatten()(x)
    x = layers.Dense(128, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(2 * dropout_rate)(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn")


def make_dense() -> keras.Model:
    """The seed notebooks' baseline: Flatten, Dense 128 ReLU, Dense 10 softmax."""
    inputs = keras.Input(shape=(28, 28), name="image")
    x = layers.Flatten()(inputs)
    x = layers.Dense(128, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="dense")


ARCHITECTURES: dict[str, Callable[[], keras.Model]] = {"cnn": make_cnn, "dense": make_dense}


def make_model(name: str) -> keras.Model:
    """A new, untrained model of the named architecture."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name]()


def save_model(model: keras.Model, path: str | Path) -> None:
    """Write ``model`` to a .keras file atomically: a crash leaves the old file or the new one, never half.

    Only the architecture and weights are kept, not the optimizer's state, which would triple the file.
    """
    # A new functional model over the same layers is uncompiled, so Keras stores no optimizer with it.
    inference_copy = keras.Model(model.inputs, model.outputs, name=model.name)
    with replaced_atomically(path, suffix=".keras") as temporary:
        inference_copy.save(temporary)


def load_model(path: str | Path) -> keras.Model:
    """Load a .keras file in Keras's safe mode (no arbitrary code from the file is run)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    return keras.models.load_model(path, compile=False, safe_mode=True)


class Predictor:
    """Probabilities for a batch of images, without ``model.predict``'s per-call set-up.

    ``model.predict`` builds a tf.data pipeline on every call, which costs tens of milliseconds for one
    image. Here the model runs inside one traced ``tf.function`` with a variable batch size, which
    TensorFlow allows to be called from several threads at once. ``temperature`` is the model's
    calibration (see calibrate.py), which the recognizer applies to what the model returns.
    """

    def __init__(self, model: keras.Model, temperature: float = 1.0):
        self.model = model
        self.temperature = temperature
        self._forward = tf.function(
            lambda images: model(images, training=False),
            input_signature=[tf.TensorSpec(shape=(None, 28, 28), dtype=tf.float32)],
        )

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (28, 28) floats in [0, 1] -> (N, 10) float32 probabilities."""
        images = np.asarray(images, dtype=np.float32)
        if images.shape == (28, 28):
            images = images[np.newaxis]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"expected images of shape (N, 28, 28), got {images.shape}")
        if len(images) == 0:
            return np.zeros((0, 10), dtype=np.float32)
        return self._forward(tf.constant(images)).numpy()


def keep_keras_state_between_script_runs() -> None:
    """Make ``keras.backend.clear_session`` do nothing for callers outside Keras.

    A Streamlit server calls it after every script run, for apps that build a model in the script. Here
    the model is built once and cached, and training runs in a background thread, so the call only does
    harm: it empties TensorFlow's kernel cache (the next prediction re-creates its kernels: 3 ms become
    50-70 ms), runs a full garbage collection (about 230 ms with TensorFlow loaded, on 2 cores), and
    replaces Keras's global state under a running training job. Keras's own code calls the function
    from its home module, which stays as it is.
    """
    keras.backend.clear_session = _keep_session


def _keep_session(free_memory: bool = True) -> None:
    """Stands in for keras.backend.clear_session in the app's server (see above)."""


def describe_layers(model: keras.Model) -> list[dict[str, object]]:
    """One row per layer, for showing the architecture: name, kind, output shape, parameter count."""
    rows = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        rows.append({
            "layer": layer.name,
            "kind": type(layer).__name__,
            "output shape": str(tuple(shape.shape[1:])) if shape is not None else "",
            "parameters": int(layer.count_params()),
        })
    return rows
