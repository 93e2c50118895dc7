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

from mnist_app.models.model import make_cnn  # noqa: E402


def variant(batch_norm: bool, dropout: bool) -> keras.Model:
    """make_cnn as shipped, or without its dropout (rate 0) or its batch normalisation (each layer an identity,
    a Lambda because the layers are called again with the normalisation's arguments)."""
    model = make_cnn(dropout_rate=0.25 if dropout else 0.0)
    if batch_norm:
        return model
    return keras.models.clone_model(model, clone_function=lambda layer: layers.Lambda(lambda x: x) if isinstance(layer, layers.BatchNormalization)
                                    else layer.__class__.from_config(layer.get_config()))


def convolutions(model: keras.Model) -> dict[str, tuple[int, int, int]]:
    """Each convolution's (input side, input channels, filters), named by its shape."""
    shapes = {}
    for number, layer in enumerate((layer for layer in model.layers if isinstance(layer, layers.Conv2D)), start=1):
        _, side, _, channels = layer.input.shape
        shapes[f"conv {number} ({channels} -> {layer.filters} maps, {side}x{side})"] = (side, channels, layer.filters)
    return shapes


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
        "the CNN as shipped (batch norm and dropout)": model_step(variant(True, True), args.batch_size),
        "without dropout": model_step(variant(True, False), args.batch_size),
        "without batch norm": model_step(variant(False, True), args.batch_size),
        "without either": model_step(variant(False, False), args.batch_size),
        **{name: convolution_step(*shape, args.batch_size) for name, shape in convolutions(make_cnn()).items()},
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
