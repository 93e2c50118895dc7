"""Training throughput on this machine: images per second for the CNN, with and without augmentation,
at several batch sizes, the cost of augmenting one batch alone, and the time to draw the pen-digit
training set. Prints one line per setting. Wall times on a shared virtual machine swing by up to half
from minute to minute; the process's CPU time per batch is the steadier figure, and it is printed too.

    python benchmarks/train_throughput.py [--steps 120] [--batch-sizes 128 256] [--pen FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mnist_app.config import PEN_TRAINING_WRITERS, TrainConfig  # noqa: E402
from mnist_app.models.model import make_model  # noqa: E402
from mnist_app.training.augment import augment_batch  # noqa: E402
from mnist_app.training.data import load_mnist, to_unit_range  # noqa: E402
from mnist_app.training.train import training_dataset  # noqa: E402


def images_per_second(config: TrainConfig, images: np.ndarray, labels: np.ndarray, steps: int) -> tuple[float, float]:
    """Images a second, and CPU milliseconds a batch."""
    model = make_model(config.model)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    dataset = training_dataset(images, labels, config).repeat()
    model.fit(dataset, steps_per_epoch=10, epochs=1, verbose=0)  # tracing and warm-up, not timed
    started, cpu = time.perf_counter(), time.process_time()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps * config.batch_size / (time.perf_counter() - started), (time.process_time() - cpu) / steps * 1000


def augmentation_cost(images: np.ndarray, batch_size: int, repeats: int = 200) -> tuple[float, float]:
    """Wall and CPU milliseconds to augment one batch, alone (traced once first)."""
    augment = tf.function(lambda batch, seed: augment_batch(batch, seed, TrainConfig()))
    batch, seed = tf.constant(images[:batch_size]), tf.constant([1, 2], tf.int64)
    augment(batch, seed)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        augment(batch, seed)
    return (time.perf_counter() - started) / repeats * 1000, (time.process_time() - cpu) / repeats * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--pen", default=None, help="a pendigits-orig.tra file: also time drawing the pen training set")
    args = parser.parse_args()

    data = load_mnist()
    images, labels = to_unit_range(data.x_train), data.y_train
    for batch_size in args.batch_sizes:
        wall, cpu = augmentation_cost(images, batch_size)
        print(f"batch {batch_size:>4}  augmenting it alone: {wall:5.1f} ms, {cpu:5.1f} ms of CPU", flush=True)
        for augment in (False, True):
            config = TrainConfig(batch_size=batch_size, augment=augment)
            rate, cpu = images_per_second(config, images, labels, args.steps)
            print(f"batch {batch_size:>4}  augment {'on ' if augment else 'off'}  {rate:8.0f} images/s  {cpu:6.1f} ms of CPU a batch  "
                  f"(one epoch of 100,000 images: {100_000 / rate:5.1f} s)", flush=True)
    if args.pen:
        from mnist_app.handwriting.pen_sources import training_digits
        from mnist_app.handwriting.pendigits import pen_training_set

        config = dataclasses.replace(TrainConfig(), pen_path=args.pen, pen_writers=PEN_TRAINING_WRITERS)
        started = time.perf_counter()
        pen_images, _ = pen_training_set(training_digits(config), config.pen_renders, config.seed)
        print(f"pen training set: {len(pen_images)} images drawn in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
