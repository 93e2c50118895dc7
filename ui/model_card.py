"""A model's card in words: when it was trained (in the visitor's time), on what, how (pages/training.py)."""

from __future__ import annotations

import shlex

import streamlit as st

from mnist_app.models.versions import Version
from ui.wording import local_time


def model_card_ui(version: Version) -> None:
    """The card's facts as a list of labelled lines (no table with an empty header, no file system paths)."""
    card = version.card
    config = card["config"]
    lines = {
        "Version": f"{version.id} ({'shipped with the app' if version.shipped else 'trained here'})",
        "Architecture": f"{card['name'].upper()}, {card['parameters']:,} parameters",
        "Trained": f"{local_time(card['created'])}, in {card['train_seconds'] / 60:.1f} min: {epochs_in_words(card)}",
        "Data": f"{card['train_images']:,} training and {card['validation_images']:,} validation images",
        "Augmentation": "on (rotation, scale, shear, stroke weight)" if config["augment"] else "off",
        "Pen-drawn digits": pen_source(config),
        "Command": f"`{readable_command(card['command'])}`",
        "Libraries": f"TensorFlow {card['versions']['tensorflow']}, Keras {card['versions']['keras']}",
    }
    st.markdown("\n".join(f"- **{label}:** {value}" for label, value in lines.items()))


def epochs_in_words(card: dict) -> str:
    """"24 epochs, keeping epoch 16, the best on validation"; for an ensemble, each member's."""
    members = card.get("members")
    if not members:
        return f"{card['epochs_run']} epochs, keeping epoch {card.get('best_epoch', card['epochs_run'])}, the best on validation"
    each = "; ".join(f"seed {member['seed']}: {member['epochs_run']} epochs, keeping {member.get('best_epoch', member['epochs_run'])}"
                     for member in members)
    return f"an ensemble of {len(members)} networks trained alike, answering the mean of their probabilities ({each})"


def epochs_kept(card: dict) -> tuple[str, str]:
    """("24", "16"): epochs trained and the one kept; for an ensemble each member's, ("24 + 22", "16, 14")."""
    members = card.get("members") or [card]
    return (" + ".join(str(member["epochs_run"]) for member in members),
            ", ".join(str(member.get("best_epoch", member["epochs_run"])) for member in members))


def pen_source(config: dict) -> str:
    """Where a model's pen-drawn digits came from, in words: never the path of the file on this server."""
    sources = []
    if config.get("pen_path"):
        writers = config.get("pen_writers")
        sources.append(f"UCI pen-based handwritten digits (Turkey), {f'writers {number_ranges(writers)}' if writers else 'all writers'}")
    if config.get("uji_path"):
        writers = config.get("uji_writers")
        sources.append(f"UJI Pen Characters (Spain), {f'writers {number_ranges(writers)}' if writers else 'all 40 training writers'}")
    if not sources:
        return "none (MNIST alone)"
    return f"{' and '.join(sources)}, each digit drawn {config.get('pen_renders', 1)} times as users draw"


def number_ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5, 7, 8] -> "1-3, 5, 7-8"."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(f"{first}-{last}" if last > first else f"{first}" for first, last in runs)


def readable_command(command: str) -> str:
    """The command that made a model, with each file named by its name alone (the full one is in the JSON card)."""
    if not command.startswith("python "):
        return command  # the app's Training page, or a call from Python: no file names in it to shorten
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    return " ".join(word.rsplit("/", 1)[-1] if "/" in word and not word.startswith("-") else word for word in words)
