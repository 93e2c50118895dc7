"""Ensembles: trained model directories combined into one model that answers the mean of their probabilities.

Members are trained one by one with ``train`` (same recipe, different ``--seed``), possibly on different
machines or days, and combined here: the ensemble is evaluated on the MNIST test set, calibrated on the
writers that none of its members learned from, and written as an ordinary model directory whose card lists
its members (their commands, seeds, training histories and test accuracies alone).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from mnist_app.config import TrainConfig
from mnist_app.handwriting.pen_sources import held_out_digits
from mnist_app.models import store
from mnist_app.models.model import Predictor, make_ensemble, members_of
from mnist_app.training.calibrate import calibration
from mnist_app.training.data import Mnist, load_mnist
from mnist_app.training.evaluate import evaluate, figures_and_versions
from mnist_app.training.train import TrainResult

# Settings that decide which writers a model learned from: the members must agree on them, or a writer that
# one member learned from would calibrate the ensemble as if it were unseen.
WRITER_SETTINGS = ("pen_path", "pen_writers", "uji_path", "uji_writers", "corrections_path")


def combine(member_dirs: list[str | Path], out_dir: str | Path, *, data: Mnist | None = None,
            command: str | None = None) -> TrainResult:
    """Combine the models in ``member_dirs`` (an ensemble among them counts with its members) into an
    ensemble, evaluate and calibrate it, and write it to ``out_dir``."""
    if len(member_dirs) < 2:
        raise ValueError(f"an ensemble needs at least two model directories, got {len(member_dirs)}")
    cards = [store.read_card(directory) for directory in member_dirs]
    _check_same_writers(member_dirs, cards)
    members = [member for directory in member_dirs for member in members_of(store.load_model_dir(directory))]
    member_cards = [member for card in cards for member in card.get("members", [_member_entry(card)])]
    model = make_ensemble(members)
    data = data if data is not None else load_mnist()
    predictor = Predictor(model)
    evaluation = evaluate(predictor, data.x_test, data.y_test)
    config = cards[0]["config"]
    card = {
        "name": f"{member_cards[0]['name']} ensemble",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command or f"mnist_app.training.ensemble.combine({[str(directory) for directory in member_dirs]!r})",
        "config": config,  # the first member's: the members share their data (checked above), not their seeds
        "members": member_cards,
        "parameters": int(model.count_params()),
        "train_images": cards[0]["train_images"],
        "validation_images": cards[0]["validation_images"],
        "epochs_run": sum(member["epochs_run"] for member in member_cards),  # all members' epochs together; each its own
        "train_seconds": round(sum(member["train_seconds"] for member in member_cards), 1),
        **figures_and_versions(evaluation),
    }
    card["calibration"] = calibration(predictor, held_out_digits(TrainConfig.from_record(config)))
    model_dir = store.write_model_dir(out_dir, model, card, evaluation)
    return TrainResult(model=model, model_dir=model_dir, card=card, evaluation=evaluation)


def _member_entry(card: dict[str, Any]) -> dict[str, Any]:
    """What an ensemble's card keeps of a member's card: how it was made and how it did alone."""
    keys = ("name", "created", "command", "parameters", "epochs_run", "best_epoch", "train_seconds", "history", "test", "calibration")
    return {"seed": card["config"]["seed"], **{key: card[key] for key in keys if key in card}}


def _check_same_writers(member_dirs: list[str | Path], cards: list[dict[str, Any]]) -> None:
    first = cards[0]["config"]
    for directory, card in zip(member_dirs[1:], cards[1:], strict=True):
        differing = [name for name in WRITER_SETTINGS if _setting(card["config"], name) != _setting(first, name)]
        if differing:
            raise ValueError(f"{directory} learned from other writers than {member_dirs[0]} ({', '.join(differing)} differ): "
                             "an ensemble's members must share their training writers")


def _setting(config: dict[str, Any], name: str) -> Any:
    """A writer setting as compared between members: a file by its name alone (the same file may be reached
    by other paths on the machines that trained them)."""
    value = config.get(name)
    return Path(value).name if name.endswith("_path") and value else value
