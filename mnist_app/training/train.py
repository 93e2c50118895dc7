"""Training: one function used by the CLI and by the app, with progress reports and a stop switch.

``train`` fits a model on MNIST (augmented, with a validation split, a warm-up plus cosine learning-rate
schedule and early stopping), evaluates it on the test set and writes a model directory (see store.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from mnist_app.config import Paths, TrainConfig
from mnist_app.handwriting.nondigits import non_digit_training_set
from mnist_app.handwriting.pen_sources import held_out_digits, training_digits
from mnist_app.handwriting.pendigits import pen_training_set
from mnist_app.models import store
from mnist_app.models.model import Predictor, make_model
from mnist_app.training.augment import augment_batch
from mnist_app.training.calibrate import calibration
from mnist_app.training.data import Mnist, load_mnist, to_unit_range
from mnist_app.training.evaluate import evaluate, figures_and_versions
from mnist_app.training.from_corrections import correction_images, held_out_figures, read_corrections
from mnist_app.training.progress import Preparation, Progress, TrainingHooks, TrainingStopped  # there: the worker has no TensorFlow

NOT_A_DIGIT = 10  # the training label of a drawing that is no digit (the model still has ten outputs)


@dataclass
class TrainResult:
    model: keras.Model
    model_dir: Path
    card: dict[str, Any]
    evaluation: dict[str, Any] = field(repr=False)


def train(config: TrainConfig, out_dir: str | Path, *, data: Mnist | None = None, hooks: TrainingHooks | None = None,
          command: str | None = None, active: tuple[str, Path] | None = None) -> TrainResult:
    """Train a model as ``config`` says on ``data`` (None: MNIST, loaded), evaluate it on the test set and
    write it to ``out_dir``.

    The weights kept are those of the finished epoch with the lowest validation loss (the card's
    best_epoch, a row of its history). ``hooks`` (see TrainingHooks) hear the progress after every batch
    and epoch, each stage as it begins ("preparing", "training", "evaluating", "saving") and what the
    preparation is doing. Setting ``hooks.stop`` ends training after the current batch; that epoch, cut
    short, is neither counted nor kept: the best finished epoch is saved, and the card records that the
    run was stopped and in which epoch. ``command`` is recorded in the card. ``active`` (version id,
    directory): the model active when the run started, whose reading of the held-out corrections the card
    records beside the new model's.
    """
    hooks = hooks or TrainingHooks()
    stage, prepare = hooks.stage, hooks.preparation
    stage("preparing")
    prepare(Preparation("Reading the MNIST digits"))
    data = data if data is not None else load_mnist()
    keras.utils.set_random_seed(config.seed)
    taught, held_out = read_corrections(config.corrections_path) if config.corrections_path else ([], [])
    (x_train, y_train), (x_val, y_val) = split_validation(*training_images(data, config, prepare, taught), config)
    prepare(Preparation("Building the model"))
    steps_per_epoch = int(np.ceil(len(x_train) / config.batch_size))

    strategy = distribution_strategy()
    with strategy.scope():
        model = make_model(config.model)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate_schedule(config, steps_per_epoch)),
            loss=DigitOrNotLoss(config.non_digit_weight),
            metrics=[DigitAccuracy(name="accuracy")],
        )
    reporter = _Reporter(config, steps_per_epoch, hooks.progress, hooks.stop)
    # While the learning rate is high the validation loss wanders; early stopping watches from a third of
    # the run on, when the cosine decay has begun to settle it.
    # The reporter keeps the best epoch's weights and puts them back; early stopping only ends the run.
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, start_from_epoch=config.epochs // 3)
    stage("training")
    started = time.perf_counter()
    model.fit(
        training_dataset(x_train, y_train, config),
        validation_data=(x_val, y_val),
        epochs=config.epochs,
        shuffle=False,  # the dataset shuffles itself, seeded
        callbacks=[reporter, early_stopping],
        verbose=0,
    )
    train_seconds = time.perf_counter() - started
    if not reporter.history:
        raise TrainingStopped("training was stopped before the first epoch finished; nothing was saved")
    # The reporter has put back the weights of the finished epoch with the lowest validation loss, also after a stop.

    stage("evaluating")
    predictor = Predictor(model)
    evaluation = evaluate(predictor, data.x_test, data.y_test)
    card = _card(config, model, reporter, train_seconds, evaluation, command, len(x_train), len(x_val))
    # How sure the model may claim to be, fitted on the pen-drawn writers it did not learn from.
    card["calibration"] = calibration(predictor, held_out_digits(config))
    if config.corrections_path:
        card["corrections"] = held_out_figures(held_out, len(taught), predictor, active)
    stage("saving")
    model_dir = store.write_model_dir(out_dir, model, card, evaluation)
    return TrainResult(model=model, model_dir=model_dir, card=card, evaluation=evaluation)


def training_images(data: Mnist, config: TrainConfig, prepare: Callable[[Preparation], None] | None = None,
                    corrections: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training images (the first ``train_limit``), plus the pen-drawn ones, the drawings of things
    that are not digits (labelled NOT_A_DIGIT) and the ``corrections`` to train on (None: those of
    config.corrections_path) when configured. ``prepare`` hears how the drawing goes."""
    prepare = prepare or (lambda step: None)
    images, labels = data.x_train, data.y_train
    if config.train_limit is not None:
        images, labels = images[: config.train_limit], labels[: config.train_limit]
    writers = set(config.pen_writers) if config.pen_writers is not None else None
    cache_dir = Paths.from_env().runs_dir / ".cache"  # drawn once per file, settings and code version
    if config.pen_path is not None or config.uji_path is not None:
        prepare(Preparation("Reading the pen-drawn digits"))
        pen_images, pen_labels = pen_training_set(
            training_digits(config), config.pen_renders, config.seed, cache_dir, config.convention_renders,
            report=lambda done, total: prepare(Preparation(f"Drawing {total:,} training digits from pen strokes", done, total)))
        images, labels = np.concatenate([images, pen_images]), np.concatenate([labels, pen_labels])
    if config.non_digits:
        # In proportion to a short run on a slice, so that a quick test stays quick.
        count = min(config.non_digits, max(10, len(images) // 6))
        prepare(Preparation("Reading the drawings that are no digit"))
        others = non_digit_training_set(
            count, config.seed, config.pen_path, writers, cache_dir,
            report=lambda done, total: prepare(Preparation(f"Drawing {total:,} things that are no digit (taps, scribbles, letters)", done, total)))
        images = np.concatenate([images, others])
        labels = np.concatenate([labels, np.full(len(others), NOT_A_DIGIT, np.uint8)])
    if config.corrections_path:
        corrections = read_corrections(config.corrections_path)[0] if corrections is None else corrections
        taught = correction_images(corrections, config.correction_renders, config.seed, prepare)
        images, labels = np.concatenate([images, taught[0]]), np.concatenate([labels, taught[1]])
    return images, labels


class DigitOrNotLoss(keras.losses.Loss):
    """Cross-entropy on digits; on NOT_A_DIGIT drawings, ``weight`` times the cross-entropy with the even
    spread over the ten digits (outlier exposure), so that the model is unsure of what is no digit."""

    def __init__(self, weight: float = 0.5, name: str = "digit_or_not"):
        super().__init__(name=name)
        self.weight = weight

    def call(self, labels, probabilities):
        labels = keras.ops.cast(keras.ops.reshape(labels, (-1,)), "int32")
        log_p = keras.ops.log(keras.ops.clip(probabilities, 1e-7, 1.0))  # (B, 10)
        is_digit = labels < NOT_A_DIGIT
        digit_loss = -keras.ops.sum(log_p * keras.ops.one_hot(keras.ops.minimum(labels, 9), 10), axis=1)
        spread_loss = -keras.ops.mean(log_p, axis=1)
        return keras.ops.where(is_digit, digit_loss, self.weight * spread_loss)


class DigitAccuracy(keras.metrics.Metric):
    """Accuracy over the digits of a batch only (a NOT_A_DIGIT drawing has no right answer to count)."""

    def __init__(self, name: str = "accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.right = self.add_variable(shape=(), initializer="zeros", name="right")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

    def update_state(self, labels, probabilities, sample_weight=None):
        labels = keras.ops.cast(keras.ops.reshape(labels, (-1,)), "int32")
        is_digit = keras.ops.cast(labels < NOT_A_DIGIT, "float32")
        right = keras.ops.cast(keras.ops.argmax(probabilities, axis=1) == labels, "float32") * is_digit
        self.right.assign_add(keras.ops.sum(right))
        self.seen.assign_add(keras.ops.sum(is_digit))

    def result(self):
        return self.right / keras.ops.maximum(self.seen, 1.0)

    def reset_state(self):
        self.right.assign(0.0)
        self.seen.assign(0.0)


def split_validation(images: np.ndarray, labels: np.ndarray, config: TrainConfig) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A seeded random split of uint8 training images into (train, validation), scaled to [0, 1]."""
    order = np.random.default_rng(config.seed).permutation(len(images))
    held_out = max(1, round(len(images) * config.validation_split))
    val, fit = order[:held_out], order[held_out:]
    return (to_unit_range(images[fit]), labels[fit]), (to_unit_range(images[val]), labels[val])


def training_dataset(images: np.ndarray, labels: np.ndarray, config: TrainConfig) -> tf.data.Dataset:
    """Shuffled batches, each augmented with its own seed when ``config.augment`` is on."""
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=config.seed, reshuffle_each_iteration=True).batch(config.batch_size)
    if config.augment:
        seeds = tf.data.Dataset.random(seed=config.seed).batch(2)  # an endless stream of (2,) int64 seeds
        dataset = tf.data.Dataset.zip((dataset, seeds)).map(
            lambda batch, seed: (augment_batch(batch[0], seed, config), batch[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def learning_rate_schedule(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up to ``config.learning_rate``, then a cosine decay to 1% of it by the last epoch."""
    warmup_steps = int(config.warmup_epochs * steps_per_epoch)
    total_steps = config.epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate / 100,
        decay_steps=max(1, total_steps - warmup_steps),
        alpha=0.01,
        warmup_target=config.learning_rate,
        warmup_steps=warmup_steps,
    )


def distribution_strategy() -> tf.distribute.Strategy:
    """MirroredStrategy over all GPUs when there are several; otherwise TensorFlow's default (one device)."""
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


class _Reporter(keras.callbacks.Callback):
    """Sends ``Progress`` reports, records the per-epoch history, honours the stop switch and keeps the
    weights of the best finished epoch (lowest validation loss), which it puts back when training ends."""

    def __init__(self, config: TrainConfig, steps_per_epoch: int, progress: Callable[[Progress], None], stop: threading.Event | None):
        super().__init__()
        self.config, self.steps_per_epoch = config, steps_per_epoch
        self.progress, self.stop = progress, stop
        self.history: list[dict[str, float]] = []
        self.stopped = False
        self.started = self.epoch_started = time.perf_counter()
        self.epoch = 0
        self.best_loss, self.best_weights, self.kept_epoch = float("inf"), None, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.epoch_started = epoch + 1, time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.stop is not None and self.stop.is_set():
            self.stopped = self.model.stop_training = True
        self._send(batch + 1, logs, epoch_done=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped:
            return  # an epoch cut short by the stop switch is not a finished epoch: not counted, not kept
        row = {"epoch": epoch + 1, **{key: float(value) for key, value in (logs or {}).items()}}
        row["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        row["seconds"] = time.perf_counter() - self.epoch_started
        self.history.append(row)
        if row.get("val_loss", float("nan")) < self.best_loss:  # a NaN loss is never the best
            self.best_loss, self.best_weights, self.kept_epoch = row["val_loss"], self.model.get_weights(), epoch + 1
        self._send(self.steps_per_epoch, logs, epoch_done=True)

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    @property
    def best_epoch(self) -> int:
        """The epoch whose weights were kept: the best finished one (the last, if none had a validation loss)."""
        return self.kept_epoch or len(self.history)

    def _send(self, batch: int, logs, epoch_done: bool) -> None:
        self.progress(
            Progress(
                epoch=self.epoch,
                epochs=self.config.epochs,
                batch=batch,
                batches=self.steps_per_epoch,
                elapsed_s=time.perf_counter() - self.started,
                logs={key: float(value) for key, value in (logs or {}).items()},
                epoch_done=epoch_done,
                history=tuple(self.history),
            )
        )


def _card(config, model, reporter: _Reporter, train_seconds, evaluation, command, train_count, val_count) -> dict[str, Any]:
    return {
        "name": config.model,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command or f"mnist_app.training.train.train({config!r})",
        "config": asdict(config),
        "parameters": int(model.count_params()),
        "train_images": train_count,
        "validation_images": val_count,
        "epochs_run": len(reporter.history),  # finished epochs, one row of history each
        "best_epoch": reporter.best_epoch,  # the finished epoch whose weights were kept (lowest validation loss)
        "stopped_by_user": reporter.stopped,
        "stopped_in_epoch": reporter.epoch if reporter.stopped else None,  # the epoch cut short, neither counted nor kept
        "train_seconds": round(train_seconds, 1),
        "history": reporter.history,
        **figures_and_versions(evaluation),
    }
