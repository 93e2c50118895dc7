"""What the commands share: argument types that answer a bad value in one line, and the error that ends a command."""

from __future__ import annotations

import argparse


class CommandFailed(RuntimeError):
    """A command could not do its work (a run ended without a model, the app could not serve): the message says why."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


def writer_range(text: str) -> tuple[int, ...]:
    """Writer numbers from ranges and single numbers separated by commas: "1-24", "1-9,17-53", "3"."""
    writers: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.partition("-")
            writers.extend(range(int(first), int(last or first) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a range of writer numbers like 1-24") from None
    writers = tuple(sorted(set(writers)))
    if not writers:
        raise argparse.ArgumentTypeError(f"{text!r} names no writer")
    return writers
