"""Test-set metrics of a model: loss, accuracy, confusion matrix, per-class report, the mistakes; and the test
figures and library versions that end every model card."""

from __future__ import annotations

import math
import platform
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from mnist_app.models.model import Predictor
from mnist_app.training.data import to_unit_range

BATCH_SIZE = 1000  # images per forward pass: large batches are fastest on a CPU


def predict_in_batches(predictor: Predictor, images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> (N, 10) probabilities, a thousand images at a time to bound memory."""
    parts = [predictor(to_unit_range(images[start : start + BATCH_SIZE])) for start in range(0, len(images), BATCH_SIZE)]
    return np.concatenate(parts) if parts else np.zeros((0, 10), dtype=np.float32)


def evaluate(predictor: Predictor, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Everything the app shows about a model's test performance, as plain JSON-ready values.

    ``misclassified`` lists every wrong answer, the most confident mistakes first, with the index of the
    image in the test set so that the app can show it without running the model again.
    """
    labels = np.asarray(labels, dtype=np.int64)
    probabilities = predict_in_batches(predictor, images)
    return report(probabilities, labels)


def report(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """The evaluation of given (N, 10) ``probabilities`` against (N,) ``labels``."""
    predicted = probabilities.argmax(axis=1)
    picked = probabilities[np.arange(len(labels)), labels]
    loss = float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))  # Keras's clipping for cross-entropy
    confusion = np.bincount(10 * labels + predicted, minlength=100).reshape(10, 10)  # rows: true, columns: predicted
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")]
    return {
        "count": int(len(labels)),
        "accuracy": float(np.mean(predicted == labels)),
        "loss": loss,
        "confusion_matrix": confusion.tolist(),
        "per_class": _per_class(confusion),
        "misclassified": [
            {
                "index": int(index),
                "true": int(labels[index]),
                "predicted": int(predicted[index]),
                "confidence": round(float(probabilities[index, predicted[index]]), 6),
                "probabilities": [round(float(p), 6) for p in probabilities[index]],
            }
            for index in wrong
        ],
    }


def _per_class(confusion: np.ndarray) -> list[dict[str, float]]:
    """Precision, recall, F1 and support of each digit, from a confusion matrix (rows true, columns predicted)."""
    rows = []
    for digit in range(10):
        hits = confusion[digit, digit]
        predicted, actual = confusion[:, digit].sum(), confusion[digit, :].sum()
        precision = hits / predicted if predicted else 0.0
        recall = hits / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"digit": digit, "precision": float(precision), "recall": float(recall), "f1": float(f1), "support": int(actual)})
    return rows


def mistakes(evaluation: dict[str, Any], true: int | None = None, predicted: int | None = None) -> list[dict[str, Any]]:
    """The misclassified examples of a saved evaluation, most confident first, filtered by labels (None: any)."""
    return [
        mistake
        for mistake in evaluation["misclassified"]
        if (true is None or mistake["true"] == true) and (predicted is None or mistake["predicted"] == predicted)
    ]


SCORES = ("precision", "recall", "f1")


def per_class_percentages(evaluation: dict[str, Any]) -> list[dict[str, float]]:
    """The per-digit rows of a saved evaluation with precision, recall and F1 in percent (99.73, not 0.9973)."""
    return [row | {name: 100 * row[name] for name in SCORES} for row in evaluation["per_class"]]


def bars_floor(rows: list[dict[str, float]]) -> int:
    """Where bars of these percentages should start: the whole percent at or below the lowest score, so that
    scores between 99.2% and 99.9% fill a tenth to nine tenths of their bar instead of all looking full."""
    lowest = min((row[name] for row in rows for name in SCORES), default=0.0)
    return max(0, min(99, math.floor(lowest)))


def figures_and_versions(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The last entries of every model card (a trained network's or an ensemble's): its test figures, and the
    libraries it was made with."""
    return {
        "test": {"accuracy": evaluation["accuracy"], "loss": evaluation["loss"], "errors": len(evaluation["misclassified"])},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "python": platform.python_version()},
    }
