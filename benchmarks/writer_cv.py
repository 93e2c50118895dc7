"""Cross-validation by writer: does the training recipe generalise to people it never saw?

    python benchmarks/writer_cv.py [--folds 5] [--epochs 3] [--mnist 20000] [--numbers 100]

The training writers of both collections, pendigits-orig.tra's 30 (Turkey) and UJI Pen Characters' 40
(Spain), interleaved into 5 groups of 14 that each hold writers of both. For each group, a model is
trained with the project's own training code on MNIST (the first --mnist images) and the pen digits of
the writers of three other groups; the group after it (in a circle) is held out to fit the temperature,
and the group itself, never seen in training or calibration, is measured per collection: canvas, paper
photo, and photos of numbers read exactly, plus the flags. This is the recipe at the retrain button's
scale (3 epochs), on fewer training writers than the shipped model's, so its figures are below the
shipped model's; what matters is how much they vary from one group of writers to the next.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from writer_sets import DATA, read_set  # noqa: E402

from mnist_app.config import TrainConfig  # noqa: E402
from mnist_app.handwriting.pen_sources import held_out_digits  # noqa: E402
from mnist_app.handwriting.pendigits import draw_like_a_user, write_on_paper  # noqa: E402
from mnist_app.models.model import Predictor  # noqa: E402
from mnist_app.reading.recognize import recognize_many  # noqa: E402
from mnist_app.training.calibrate import calibration  # noqa: E402
from mnist_app.training.data import load_mnist  # noqa: E402
from mnist_app.training.train import train  # noqa: E402


def measure(predictor, digits, numbers: int, rng) -> dict[str, float]:
    labels = [str(digit.label) for digit in digits]
    result = {}
    for name, images in (("canvas", [draw_like_a_user(d, rng) for d in digits]),
                         ("paper", [write_on_paper([d], rng)[0] for d in digits])):
        readings = recognize_many(images, predictor)
        right = np.array([r.text == label for r, label in zip(readings, labels)])
        flagged = np.array([r.empty or r.digits[0].uncertain for r in readings])
        result[name] = right.mean()
        result[f"{name} flagged"] = flagged.mean()
        result[f"{name} caught"] = flagged[~right].mean() if (~right).any() else float("nan")
    by_writer: dict[int, list] = {}
    for digit in digits:
        by_writer.setdefault(digit.writer, []).append(digit)
    photos, truths = [], []
    for _ in range(numbers):
        mine = by_writer[list(by_writer)[int(rng.integers(len(by_writer)))]]
        picked = [mine[i] for i in rng.choice(len(mine), int(rng.integers(3, 7)), replace=False)]
        photos.append(write_on_paper(picked, rng)[0])
        truths.append("".join(str(d.label) for d in picked))
    result["numbers"] = np.mean([r.text == t for r, t in zip(recognize_many(photos, predictor, single=False), truths)])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--mnist", type=int, default=20000, help="MNIST training images per fold (default: %(default)s)")
    parser.add_argument("--numbers", type=int, default=100, help="photos of numbers per fold and source (default: %(default)s)")
    args = parser.parse_args()

    data = load_mnist()
    everyone = read_set("tra") + read_set("uji-trn")
    # Writers of both collections, interleaved so that every group holds some of each: (source, number).
    pen = sorted({("pendigits", d.writer) for d in everyone if d.source == "pendigits"})
    uji = sorted({("ujipen", d.writer) for d in everyone if d.source == "ujipen"})
    writers = [w for pair in zip(pen, uji) for w in pair] + pen[len(uji):] + uji[len(pen):]
    groups = [writers[i :: args.folds] for i in range(args.folds)]
    rows = []
    for index, group in enumerate(groups):
        calibration_group = groups[(index + 1) % args.folds]
        trained = [w for w in writers if w not in group and w not in calibration_group]
        config = TrainConfig(epochs=args.epochs, batch_size=64, learning_rate=5e-3, warmup_epochs=0.3,
                             pen_path=str(DATA / "pendigits" / "pendigits-orig.tra"), pen_writers=_numbers(trained, "pendigits"),
                             uji_path=str(DATA / "ujipen" / "ujipen-digits.txt"), uji_writers=_numbers(trained, "ujipen"),
                             train_limit=args.mnist, seed=index + 1)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            os.environ["RUNS_DIR"] = folder  # the fold's pen drawings are cached with it, then dropped
            result = train(config, Path(folder) / "model", data=data)
        # The temperature from the calibration group only: the measured group stays unseen.
        kept = [w for w in writers if w not in calibration_group]
        fitted = calibration(Predictor(result.model), held_out_digits(
            dataclasses.replace(config, pen_writers=_numbers(kept, "pendigits"), uji_writers=_numbers(kept, "ujipen"))))
        predictor = Predictor(result.model, temperature=fitted["temperature"])
        for source in ("pendigits", "ujipen"):
            measured = [d for d in everyone if (d.source, d.writer) in group and d.source == source]
            row = measure(predictor, measured, args.numbers, np.random.default_rng(index))
            row.update(fold=index + 1, source=source, writers=len({d.writer for d in measured}),
                       mnist=result.card["test"]["accuracy"], seconds=time.perf_counter() - started)
            rows.append(row)
            print(f"fold {index + 1} {source:>9} ({row['writers']} writers): canvas {row['canvas']:.1%} (flagged {row['canvas flagged']:.1%}, "
                  f"{row['canvas caught']:.0%} of mistakes)  paper {row['paper']:.1%}  numbers {row['numbers']:.0%}  "
                  f"MNIST {row['mnist']:.2%}  ({row['seconds']:.0f} s)", flush=True)
    for source in ("pendigits", "ujipen"):
        for key in ("canvas", "paper", "numbers", "canvas flagged", "canvas caught"):
            values = np.array([row[key] for row in rows if row["source"] == source])
            print(f"{source:>9} {key:>15}: mean {np.nanmean(values):.1%}, lowest {np.nanmin(values):.1%}, highest {np.nanmax(values):.1%}")


def _numbers(writers: list[tuple[str, int]], source: str) -> tuple[int, ...]:
    return tuple(number for name, number in writers if name == source)


if __name__ == "__main__":
    main()
