"""Honest confidence: a model's temperature, fitted on pen-drawn digits of writers it never learned from.

A network trained to near-zero loss is over-confident on hands unlike its training writers: it says
99% and is wrong. Temperature scaling (Guo, Pleiss, Sun and Weinberger, ICML 2017) divides the
model's log-probabilities by one number T before the softmax; T is chosen to minimise the negative
log-likelihood on held-out data. The answer (argmax) never changes, only how sure it claims to be.

The held-out data are the writers of the pen-drawn digits file that the model did not train on (for the
shipped model, writers 25-30 of pendigits-orig.tra), drawn on the canvas and photographed on paper
as users do. The temperature is stored in the model's card; ``recognize`` applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mnist_app.handwriting.pendigits import PenDigit, draw_like_a_user, write_on_paper
from mnist_app.reading.confidence import calibrated
from mnist_app.reading.preprocess import model_input

TEMPERATURES = np.exp(np.linspace(np.log(0.5), np.log(6.0), 80))  # the grid searched, log-spaced


def held_out_inputs(digits: list[PenDigit], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each digit drawn once on the canvas and once on a paper photo: (N, 28, 28) model inputs and labels."""
    def both(index: int) -> list[tuple[np.ndarray | None, int]]:
        rng = np.random.default_rng([seed, index])
        digit = digits[index]
        canvas, photo = draw_like_a_user(digit, rng), write_on_paper([digit], rng)[0]
        return [(model_input(canvas), digit.label), (model_input(photo), digit.label)]

    with ThreadPoolExecutor() as pool:  # OpenCV lets go of the GIL
        pairs = [pair for both_pairs in pool.map(both, range(len(digits))) for pair in both_pairs if pair[0] is not None]
    if not pairs:
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64)
    return np.stack([image for image, _ in pairs]), np.array([label for _, label in pairs])


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    """(temperature, NLL before, NLL after): the T of the grid with the lowest mean negative log-likelihood."""
    def nll(temperature: float) -> float:
        p = calibrated(probabilities, temperature)[np.arange(len(labels)), labels]
        return float(-np.log(np.clip(p, 1e-12, 1)).mean())

    losses = [nll(t) for t in TEMPERATURES]
    best = int(np.argmin(losses))
    return float(TEMPERATURES[best]), nll(1.0), losses[best]


def calibration(predict: Callable[[np.ndarray], np.ndarray], digits: list[PenDigit]) -> dict | None:
    """The card's "calibration" entry for a model (``predict``: inputs -> probabilities), fitted on the
    pen-drawn ``digits`` of writers it did not learn from (pen_sources.held_out_digits); None when there are
    none (training on MNIST alone, or on every writer)."""
    if not digits:
        return None
    inputs, labels = held_out_inputs(digits)
    probabilities = predict(inputs)
    temperature, before, after = fit_temperature(probabilities, labels)
    return {
        "temperature": round(temperature, 4),
        "writers": sorted({digit.writer for digit in digits if digit.source == "pendigits"}),
        "uji_writers": sorted({digit.writer for digit in digits if digit.source == "ujipen"}),
        "inputs": int(len(labels)),
        "nll_before": round(before, 4),
        "nll_after": round(after, 4),
        "accuracy": round(float((probabilities.argmax(axis=1) == labels).mean()), 4),
    }
