"""A model directory on disk: the weights, a JSON card that explains them, and the test evaluation.

    models/<name>/model.keras        the Keras model
    models/<name>/card.json          config, per-epoch history, timings, command, test metrics
    models/<name>/evaluation.json    confusion matrix, per-class report, every misclassified test image

A directory is assembled under a temporary name beside its destination and renamed into place, so a
crash never leaves a half-written model where a reader would look for one. The other files of a
training run's directory (run.json, progress.json, worker.log...) go with it, hard-linked, so the record
of the run survives the swap and a log still being written keeps growing in the new directory.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Keras is imported only by the functions that need it: reading a card must stay quick.
    import keras

MODEL_FILE = "model.keras"
CARD_FILE = "card.json"
EVALUATION_FILE = "evaluation.json"
MODEL_FILES = (MODEL_FILE, CARD_FILE, EVALUATION_FILE)


def write_model_dir(out_dir: str | Path, model: keras.Model, card: dict[str, Any], evaluation: dict[str, Any]) -> Path:
    """Write the three files into ``out_dir``, replacing any model that was there."""
    from mnist_app.models.model import save_model

    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.partial-"))
    try:
        save_model(model, staging / MODEL_FILE)
        (staging / EVALUATION_FILE).write_text(json.dumps(evaluation, indent=1) + "\n")
        (staging / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")
        for path in (staging, *staging.iterdir()):  # mkdtemp and mkstemp make them private; models are not
            path.chmod(0o755 if path.is_dir() else 0o644)
        _swap_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename ``staging`` to ``out_dir``; an existing ``out_dir`` is moved aside first and then deleted,
    its files other than the model's carried over first (a training run's record)."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    for path in out_dir.iterdir():
        if path.is_file() and path.name not in MODEL_FILES:
            try:
                os.link(path, staging / path.name)  # the same file: whoever still writes it keeps writing here
            except OSError:
                shutil.copy2(path, staging / path.name)  # a file system without hard links
    retired = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.retired-"))
    os.replace(out_dir, retired / out_dir.name)
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def read_card(model_dir: str | Path) -> dict[str, Any]:
    """The card of a model directory, as written by ``write_model_dir``."""
    return _read_json(Path(model_dir) / CARD_FILE)


def temperature_of(card: dict[str, Any]) -> float:
    """The calibration temperature a model's card records (see calibrate.py); 1.0 for a model without one."""
    return float((card.get("calibration") or {}).get("temperature", 1.0))


def read_evaluation(model_dir: str | Path) -> dict[str, Any]:
    """The saved test evaluation of a model directory (see ``evaluate.evaluate``)."""
    return _read_json(Path(model_dir) / EVALUATION_FILE)


def load_model_dir(model_dir: str | Path) -> keras.Model:
    """The Keras model stored in a model directory."""
    from mnist_app.models.model import load_model

    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise FileNotFoundError(f"{model_dir}: no such model directory")
    return load_model(model_dir / MODEL_FILE)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error
