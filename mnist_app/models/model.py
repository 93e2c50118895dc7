"""Model definitions, saving and loading, and the fast predictor.

Every model takes float32 images of shape (N, 28, 28) with values in [0, 1] (see
``data.to_unit_range``) and returns (N, 10) class probabilities.
"""

from __future__ import annotations

import os
import queue
import warnings
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


def make_ensemble(members: list[keras.Model]) -> keras.Model:
    """One model that reads each image with every member and answers the mean of their probabilities.

    Networks trained alike from different seeds make different mistakes, so their mean is right more
    often than any one of them. The result is an ordinary model with the same input and output as its
    members: it saves, loads, predicts and is calibrated as a single one does. Each member is a new
    functional model over the given one's layers (named member_1, member_2...), so their weights are shared.
    """
    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least two models, got {len(members)}")
    if len({id(member) for member in members}) < len(members):
        raise ValueError("an ensemble's members must be different models: the same one twice adds nothing")
    inputs = keras.Input(shape=(28, 28), name="image")
    outputs = [keras.Model(member.inputs[0], member.outputs[0], name=f"member_{number}")(inputs)
               for number, member in enumerate(members, start=1)]
    return keras.Model(inputs, layers.Average(name="probabilities")(outputs), name="ensemble")


def members_of(model: keras.Model) -> list[keras.Model]:
    """The networks an ensemble of make_ensemble averages, in order; a single network is its own one member."""
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return nested or [model]


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
    """Probabilities for a batch of images, from TensorFlow Lite's interpreter of the model.

    The model's inference graph is converted once, in memory, to TensorFlow Lite (batch normalisation
    folded into the layers before it, dropout gone), whose XNNPACK kernels run it several times faster
    than TensorFlow does on a CPU: a digit's three views in 0.4-0.6 ms instead of 1.7 ms, 1,000 images in
    117 ms instead of 253 ms on 2 cores, with probabilities within 1e-6 of the Keras model's
    (benchmarks/predict_latency.py). ``model.predict`` would be slower still: it builds a tf.data
    pipeline on every call. An interpreter serves one call at a time, so the predictor keeps the ones
    not in use and makes another (about 1 ms) when every one is busy: as many as calls ever ran at once.

    The weights are read when the predictor is made: a model trained further needs a new predictor.
    ``temperature`` is the model's calibration (see calibrate.py), which the recognizer applies.
    """

    def __init__(self, model: keras.Model, temperature: float = 1.0):
        self.model = model
        self.temperature = temperature
        self._flatbuffer = _inference_flatbuffer(model)
        self._idle: queue.SimpleQueue = queue.SimpleQueue()  # interpreters that no call is using
        first = self._new_interpreter()
        # The same in every interpreter of this flatbuffer: read once, not on every call.
        self._input = first.get_input_details()[0]["index"]
        self._output = first.get_output_details()[0]["index"]
        self._idle.put(first)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (28, 28) floats in [0, 1] -> (N, 10) float32 probabilities."""
        images = np.asarray(images, dtype=np.float32)
        if images.shape == (28, 28):
            images = images[np.newaxis]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"expected images of shape (N, 28, 28), got {images.shape}")
        if len(images) == 0:
            return np.zeros((0, 10), dtype=np.float32)
        try:
            interpreter = self._idle.get_nowait()
        except queue.Empty:
            interpreter = self._new_interpreter()
        try:
            return np.concatenate([self._invoke(interpreter, images[start : start + INTERPRETER_BATCH])
                                   for start in range(0, len(images), INTERPRETER_BATCH)])
        finally:
            self._idle.put(interpreter)

    def _new_interpreter(self) -> tf.lite.Interpreter:
        return tf.lite.Interpreter(model_content=self._flatbuffer, num_threads=_CORES)

    def _invoke(self, interpreter: tf.lite.Interpreter, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) float32 -> (n, 10) float32, a copy (the interpreter reuses its buffers)."""
        interpreter.resize_tensor_input(self._input, images.shape, strict=True)
        interpreter.allocate_tensors()
        interpreter.set_tensor(self._input, images)
        interpreter.invoke()
        return interpreter.get_tensor(self._output)


# Images per interpreter call: as fast per image as any larger batch, and an interpreter's working memory
# (kept between calls) stays near 15 MB; 2,048 images at once were slower and took 240 MB more.
INTERPRETER_BATCH = 128
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
# TensorFlow 2.21 (requirements.txt) warns that tf.lite.Interpreter will move to the ai-edge-litert package,
# whose Interpreter has the same API; until TensorFlow drops it, it saves a 22 MB dependency.
warnings.filterwarnings("ignore", message=r"\s*Warning: tf\.lite\.Interpreter is deprecated", category=UserWarning)


def _inference_flatbuffer(model: keras.Model) -> bytes:
    """The model's forward pass with training=False as a TensorFlow Lite model, its weights as constants."""
    trainable = [np.asarray(variable) for variable in model.trainable_variables]
    non_trainable = [np.asarray(variable) for variable in model.non_trainable_variables]

    @tf.function(input_signature=[tf.TensorSpec(shape=(None, 28, 28), dtype=tf.float32)])
    def forward(images):
        # stateless_call takes the weights as arguments: given as constants, they are frozen into the graph.
        outputs, _ = model.stateless_call([tf.constant(value) for value in trainable],
                                          [tf.constant(value) for value in non_trainable], images, training=False)
        return outputs

    return tf.lite.TFLiteConverter.from_concrete_functions([forward.get_concrete_function()], forward).convert()



def keep_keras_state_between_script_runs() -> None:
    """Make ``keras.backend.clear_session`` do nothing for callers outside Keras.

    A Streamlit server calls it after every script run, for apps that build a model in the script. Here
    the model is built once and cached, and training runs in a background thread, so the call only does
    harm: it empties TensorFlow's kernel cache (the Inside page's next explanation re-creates its kernels;
    predictions took 50-70 ms instead of 3 when they still ran on TensorFlow), runs a full garbage
    collection (about 230 ms with TensorFlow loaded, on 2 cores), and replaces Keras's global state under a
    running training job. Keras's own code calls the function from its home module, which stays as it is.
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
