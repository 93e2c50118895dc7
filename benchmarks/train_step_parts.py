"""Where a training step's CPU time goes: the CNN's step with and without its batch normalisation and
dropout, and each of its four convolutions alone (forward and backward), at the retrain button's batch.
CPU milliseconds per step, the median of interleaved rounds (wall times on a shared machine swing too much).

    python benchmarks/train_step_parts.py [--batch-size 32] [--rounds 6]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from mnist_app.models.model import BN_MOMENTUM  # noqa: E402

CONVOLUTIONS = {  # (input side, input channels, filters) of make_cnn's four convolutions
    "conv 1 (1 -> 32 maps, 28x28)": (28, 1, 32),
    "conv 2 (32 -> 32, 26x26)": (26, 32, 32),
    "conv 3 (32 -> 64, 12x12)": (12, 32, 64),
    "conv 4 (64 -> 64, 10x10)": (10, 64, 64),
}


def cnn(batch_norm: bool, dropout: bool) -> keras.Model:
    """make_cnn's layers, with its batch normalisation (or biases instead) and its dropout switched."""
    inputs = keras.Input(shape=(28, 28))
    x = layers.Reshape((28, 28, 1))(inputs)
    for filters in (32, 64):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, use_bias=not batch_norm)(x)
            x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x) if batch_norm else x
            x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Dropout(0.25)(x) if dropout else x
    x = layers.Dense(128, activation="relu")(layers.Flatten()(x))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def model_step(model: keras.Model, batch_size: int):
    images = tf.constant(np.random.default_rng(0).random((batch_size, 28, 28), np.float32))
    labels = tf.constant(np.random.default_rng(1).integers(0, 10, batch_size))
    optimizer, loss = keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy()
    optimizer.build(model.trainable_variables)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            value = loss(labels, model(images, training=True))
        optimizer.apply_gradients(zip(tape.gradient(value, model.trainable_variables), model.trainable_variables))
    return step


def convolution_step(side: int, channels: int, filters: int, batch_size: int):
    conv = layers.Conv2D(filters, 3, use_bias=False)
    maps = tf.constant(np.random.default_rng(0).random((batch_size, side, side, channels), np.float32))
    conv.build(maps.shape)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(maps)
            value = tf.reduce_sum(tf.square(conv(maps)))
        return tape.gradient(value, conv.trainable_variables + ([maps] if channels > 1 else []))  # the image needs no gradient
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--steps", type=int, default=20, help="steps per round")
    args = parser.parse_args()
    steps = {
        "the CNN as shipped (batch norm and dropout)": model_step(cnn(True, True), args.batch_size),
        "without dropout": model_step(cnn(True, False), args.batch_size),
        "without batch norm (biases instead)": model_step(cnn(False, True), args.batch_size),
        "without either": model_step(cnn(False, False), args.batch_size),
        **{name: convolution_step(*shape, args.batch_size) for name, shape in CONVOLUTIONS.items()},
    }
    cpu_ms = {name: [] for name in steps}
    for step in steps.values():
        step()  # trace
    for _ in range(args.rounds):
        for name, step in steps.items():
            started = time.process_time()
            for _ in range(args.steps):
                step()
            cpu_ms[name].append((time.process_time() - started) / args.steps * 1000)
    print(f"batch of {args.batch_size}, CPU ms per step (median of {args.rounds} rounds of {args.steps}):")
    for name, values in cpu_ms.items():
        print(f"  {name:45s} {np.median(values):6.1f}")


if __name__ == "__main__":
    main()
