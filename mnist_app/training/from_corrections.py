"""What a retrain learns from the corrections users sent, and what it measures on the ones it kept out.

The accepted corrections (mnist_app.corrections) split by id: 80% are trained on, 20% are held out
(``Correction.held_out``) and only read after training, by the new model and by the model that was
active when the run started, so a run's card says whether learning from the others helped.

A correction is one sample against some 99,000 training images of a default retrain, so each is made
into ``TrainConfig.correction_renders`` images, each one different, rather than given a large sample
weight, which would only make one drawing, at one size and pen, count more. The first
image is the stored 28x28 input itself, exactly what the model read wrong. A drawing's pen strokes are
then drawn again as users draw (any size, place and pen; in other hands, every third on a paper photo;
mnist_app.handwriting.pendigits) through the app's own preprocessing; a photo, or a drawing without strokes, is
distorted from its pixels (mnist_app.training.augment), as training distorts every image again in each epoch.

How many: 50 images of each. 40 accepted corrections (32 trained on, 8 held out) then make 1,600 of the
98,877 images of a default retrain (1.6%). Measured once with benchmarks/corrections_loop.py, the retrain
button's defaults, on a 7 with a curled foot (a style the shipped model reads 33.5% right on new writers):
after the retrain, 94.0% of 182 such 7s by other writers (never corrected), the held-out corrections 8 of 8
(the shipped model 1 of 8), the same writers' plain digits 97.7% (97.4% before), and MNIST's test set
99.35% (65 errors), the same as this schedule without corrections (docs/figures.md), so no harm to MNIST showed.
Other counts were not measured. (A loss weight would also need a per-image weight carried through
train.py's data pipeline.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mnist_app import database
from mnist_app.corrections import Correction, CorrectionStore
from mnist_app.handwriting.conventions import writer_style
from mnist_app.handwriting.pendigits import PenDigit, draw_like_a_user, write_on_paper
from mnist_app.reading.preprocess import model_input
from mnist_app.threads import in_threads
from mnist_app.training.progress import Preparation


def read_corrections(path: str | Path) -> tuple[list[Correction], list[Correction]]:
    """The accepted corrections in the database at ``path``, oldest first: (to train on, held out)."""
    accepted = list(reversed(CorrectionStore(path).list(state="accepted")))
    return [c for c in accepted if not c.held_out], [c for c in accepted if c.held_out]


def has_accepted(location: str | Path) -> bool:
    """Whether a corrections database exists at ``location`` (a file, or a PostgreSQL URL) with at least one
    accepted correction. A database that cannot be used counts as none: the retrain button then trains without
    it (the corrections page says what is wrong with it)."""
    from mnist_app.corrections import CorrectionsError

    if not database.is_url(location) and not Path(location).is_file():
        return False  # asked on every run of the Training page: never create the file by looking
    try:
        return CorrectionStore(location).counts()["accepted"] > 0
    except CorrectionsError:
        return False


def correction_images(corrections: list[Correction], renders: int, seed: int,
                      prepare: Callable[[Preparation], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``renders`` training images of each correction, as (N, 28, 28) uint8 model inputs and (N,) labels.
    ``prepare`` hears how the drawing goes."""
    prepare = prepare or (lambda step: None)
    if not corrections:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)
    step = f"Drawing {len(corrections) * renders:,} training digits from {len(corrections):,} corrections users sent"
    jobs = [(correction, render) for correction in corrections for render in range(renders)]
    drawn = in_threads(lambda job: _redrawn(job[0], seed, job[1]), jobs,
                            report=lambda done, total: prepare(Preparation(step, done, total)))
    # What a drawing cannot give (a photo, a drawing whose strokes were not kept, one drawn to no ink)
    # comes from its pixels: distorted copies of the stored input, made all at once.
    pixels = [correction for (correction, render), image in zip(jobs, drawn) if image is None]
    distorted = _distorted([c.model_input for c in pixels], seed) if pixels else []
    images, taken = [], iter(distorted)
    for image in drawn:
        images.append(image if image is not None else next(taken))
    labels = np.array([correction.label for correction, _ in jobs], dtype=np.uint8)
    return np.stack(images).astype(np.uint8), labels


def _redrawn(correction: Correction, seed: int, render: int) -> np.ndarray | None:
    """The ``render``-th image of a correction: the stored input first, then its strokes drawn again
    (uint8 28x28); None where only its pixels can give it."""

    if render == 0:
        return np.asarray(correction.model_input, np.uint8)
    if not correction.strokes:
        return None
    rng = np.random.default_rng([seed, correction.id, render])
    strokes = tuple(np.asarray(stroke, np.float32) for stroke in correction.strokes)
    if render > 1:  # the first redrawing as the user wrote it, the others in other hands
        strokes = writer_style(strokes, rng)
    digit = PenDigit(correction.label, -1, strokes)
    image = write_on_paper([digit], rng)[0] if render % 3 == 2 else draw_like_a_user(digit, rng)
    ink = model_input(image)
    return np.round(ink * 255).astype(np.uint8) if ink is not None else None


def _distorted(inputs: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """Each (28, 28) uint8 input rotated, resized, sheared, shifted and thickened or thinned as training
    does (augment.augment_batch), with the default ranges; uint8 copies."""
    import tensorflow as tf

    from mnist_app.config import TrainConfig
    from mnist_app.training.augment import augment_batch

    batch = tf.constant(np.stack(inputs).astype(np.float32) / 255)  # (N, 28, 28) in [0, 1]
    out = augment_batch(batch, tf.constant([seed, 7919], tf.int64), TrainConfig()).numpy()
    return list(np.round(out * 255).astype(np.uint8))


def held_out_figures(held_out: list[Correction], trained_on: int, predict: Callable[[np.ndarray], np.ndarray],
                     active: tuple[str, Path] | None) -> dict:
    """The card's "corrections": how many corrections were trained on, and how many of the held-out ones
    the new model (``predict``) and the model active when the run started (``active``: its version id and
    directory; None if unknown) read right, from the 28x28 input each was stored with."""
    figures = {"trained_on": trained_on, "held_out": len(held_out), "new_right": None, "active_right": None,
               "active_version": active[0] if active else None}
    if not held_out:
        return figures
    inputs = np.stack([c.model_input for c in held_out]).astype(np.float32) / 255  # (H, 28, 28) in [0, 1]
    labels = np.array([c.label for c in held_out])
    figures["new_right"] = int((predict(inputs).argmax(axis=1) == labels).sum())
    if active is not None:
        from mnist_app.reading.recognize import load_predictor

        figures["active_right"] = int((load_predictor(active[1])(inputs).argmax(axis=1) == labels).sum())
    return figures
