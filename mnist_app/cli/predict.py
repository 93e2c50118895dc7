"""``python -m mnist_app predict``: the digits in image files, a line (or a JSON object) per file, whatever one file does."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mnist_app.cli.models import model_dir

PREDICT_CHUNK = 16  # files decoded and held in memory at once (each at most pictures.ANALYSIS_MAX_PIXELS)


def add_predict_parser(commands) -> None:
    """Register ``predict`` on the CLI's subparsers."""
    predict = commands.add_parser("predict", help="read the digits in image files (png, jpg, webp, bmp, gif)")
    predict.add_argument("paths", nargs="+", metavar="PATH", help="image files; one that cannot be read does not stop the rest")
    predict.add_argument("--single", action="store_true", help="treat all ink in an image as one digit (as the drawing page does)")
    predict.add_argument("--json", action="store_true", help="one JSON object per line and PATH: path, text, digits, and error when unreadable")
    predict.add_argument("--model", type=Path, default=None, help="model directory (default: the active model)")
    predict.set_defaults(run=run_predict)


def run_predict(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app.reading.images import ImageError, read_picture
    from mnist_app.reading.recognize import load_predictor

    predictor = load_predictor(model_dir(args))
    failed = False
    for start in range(0, len(args.paths), PREDICT_CHUNK):
        paths = args.paths[start : start + PREDICT_CHUNK]
        images, errors = {}, {}
        for path in paths:
            try:
                images[path] = read_picture(path)  # at the resolution reading needs; boxes come in the file's pixels
            except ImageError as error:
                errors[path] = str(error)
        readings = _read_each(images, predictor, args.single, errors)
        for path in paths:
            failed |= path in errors
            _print_reading(path, readings.get(path), errors.get(path), args.json)
    return 1 if failed else 0


def _read_each(images: dict, predictor, single: bool, errors: dict[str, str]) -> dict:
    """The readings of ``images`` (path -> Picture), read together. Should that fail, each is read alone, and
    one that still fails gets its error in ``errors``: every path gets its line, whatever one image does."""
    from mnist_app.reading.recognize import recognize_many

    try:
        return dict(zip(images, recognize_many(list(images.values()), predictor, single=single)))
    except Exception:  # noqa: BLE001  (one bad image must not cost the others their answers)
        readings = {}
        for path, image in images.items():
            try:
                readings[path] = recognize_many([image], predictor, single=single)[0]
            except Exception as error:  # noqa: BLE001
                errors[path] = f"could not be read ({type(error).__name__}: {error})"
        return readings


def _print_reading(path: str, reading, error: str | None, as_json: bool) -> None:
    if as_json:
        record = {"path": path, "text": "", "digits": [], "not_digits": []}
        if reading is not None:
            record.update(reading.as_dict())
        if error is not None:
            record["error"] = error
        print(json.dumps(record), flush=True)
    elif error is not None:
        print(f"{path}: error: {error}", flush=True)
    elif reading.empty:
        print(f"{path}: {'not a digit' if reading.not_digits else 'no digit found'}"
              f"{f' (it looks like the number {reading.number.text})' if reading.number else ''}", flush=True)
    else:
        details = ", ".join(f"{d.digit} {d.confidence:.0%}{' (uncertain)' if d.uncertain else ''}" for d in reading.digits)
        hint = f"  (it looks like the number {reading.number.text})" if reading.number else ""
        print(f"{path}: {' / '.join(reading.lines)}    [{details}]{hint}", flush=True)
