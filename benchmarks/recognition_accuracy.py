"""Accuracy on real handwriting: pen-drawn digits of writers the model never saw, drawn as users would.

    python benchmarks/recognition_accuracy.py [--set tes|tra] [--limit N] [--numbers N] [--model DIR]

Figures, the single digits beside the plain-resize baseline (the canvas or photo shrunk to 28x28 as it is):
  canvas   each digit drawn on the 280x280 canvas, white on black, random size, place and pen width
  paper    each digit written in dark ink on paper and photographed (light, shadow, noise, blur, JPEG),
           read in one-digit mode, and in number mode (the Upload page's default)
  numbers  3 to 6 digits of one writer on such a photo, read in "number" mode: the share read exactly,
           spaced as the photos of training are, and written tight (touching, leaning into each other)
For the single digits also: the share of answers flagged "not sure" (or no digit), the share of the
mistakes among them, and each writer's canvas accuracy (lowest, median, highest). With --calibrate it
prints how those change with the threshold (for an ensemble, also with its members' disagreement). Use --set tra --writers 25 26 27 28 29 30 (held out of
training) for tuning; --set tes (14 writers never trained or tuned on) only to report.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from writer_sets import SETS, read_set  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.handwriting.pendigits import draw_like_a_user, write_on_paper  # noqa: E402
from mnist_app.models.model import Predictor, members_of  # noqa: E402
from mnist_app.reading.confidence import steady  # noqa: E402
from mnist_app.reading.recognize import load_predictor, recognize_many  # noqa: E402

TIGHT = (-0.05, 0.12)  # the gaps between digits of a number written tight, in digit heights (below 0: overlapping)


def plain_resize(image: np.ndarray) -> np.ndarray:
    """The baseline: the whole picture shrunk to 28x28, made bright-on-dark if it is not."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(gray, (28, 28), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    return 1 - small if np.median(small) > 0.5 else small


def single_digit_accuracy(images, labels, predictor, single: bool = True) -> tuple[np.ndarray, float, np.ndarray, float, list[str]]:
    """(right per image, baseline accuracy, (confidence, right, flagged, read as no digit, members disagree)
    per image, ms per image, the text read per image)."""
    started = time.perf_counter()
    readings = recognize_many(images, predictor, single=single)
    elapsed = (time.perf_counter() - started) * 1000 / len(images)
    correct = np.array([r.text == str(label) for r, label in zip(readings, labels)])
    confidences = np.array([r.digits[0].confidence if len(r.digits) == 1 else 0.0 for r in readings])
    flagged = np.array([len(r.digits) != 1 or r.digits[0].uncertain for r in readings])
    rejected = np.array([r.empty and bool(r.not_digits) for r in readings])
    baseline = predictor(np.stack([plain_resize(image) for image in images])).argmax(axis=1)
    scores = np.stack([confidences, correct, flagged, rejected, members_disagree(readings, predictor)])
    return correct, (baseline == labels).mean(), scores, elapsed, [r.text for r in readings]


def members_disagree(readings, predictor) -> np.ndarray:
    """Per reading of one digit, whether the members of an ensemble, each read as the app reads (its three
    views), name different digits; False for a single network and for readings of no digit or several."""
    members = members_of(predictor.model)
    single = [index for index, reading in enumerate(readings) if len(reading.digits) == 1]
    disagree = np.zeros(len(readings), bool)
    if len(members) < 2 or not single:
        return disagree
    inputs = np.stack([readings[index].digits[0].model_input for index in single])
    votes = np.stack([steady(Predictor(member), inputs, 1.0).argmax(axis=1) for member in members])
    disagree[single] = (votes != votes[0]).any(axis=0)
    return disagree


def top_mistakes(texts: list[str], labels: np.ndarray, count: int = 6) -> str:
    """The most frequent mistakes, as "1->7 12" (a 1 read as 7, 12 times); "-" is no digit, "+" several."""
    pairs: dict[str, int] = {}
    for text, label in zip(texts, labels):
        if text != str(label):
            read = "-" if not text else text if len(text) == 1 else "+"
            pairs[f"{label}->{read}"] = pairs.get(f"{label}->{read}", 0) + 1
    return ", ".join(f"{pair} {n}" for pair, n in sorted(pairs.items(), key=lambda item: -item[1])[:count])


def flags_summary(scores: np.ndarray) -> str:
    """The share of answers flagged (not sure, or no digit), and the share of the mistakes among them."""
    _, correct, flagged, rejected, _ = scores.astype(float)
    wrong = correct == 0
    caught = f"{(flagged[wrong] == 1).mean():.0%} of the {int(wrong.sum())} mistakes" if wrong.any() else "no mistake to catch"
    return f"flagged {flagged.mean():.1%} of answers, {caught} ({rejected.mean():.1%} read as no digit)"


def numbers_accuracy(digits, predictor, count: int, rng, spacing=(0.15, 0.5)) -> tuple[float, float, float, str]:
    """(share of numbers read exactly, share with the right digit count, baseline share, how the misread ones
    went wrong and how long a photo took) over ``count`` photos, the digits ``spacing`` digit heights apart."""
    by_writer: dict[int, list] = {}
    for digit in digits:
        by_writer.setdefault(digit.writer, []).append(digit)
    writers = sorted(by_writer)
    photos, truths = [], []
    for _ in range(count):
        mine = by_writer[writers[int(rng.integers(len(writers)))]]
        picked = [mine[i] for i in rng.choice(len(mine), int(rng.integers(3, 7)), replace=False)]
        photo, _ = write_on_paper(picked, rng, spacing=spacing)
        photos.append(photo)
        truths.append("".join(str(d.label) for d in picked))
    started = time.perf_counter()
    readings = recognize_many(photos, predictor, single=False)
    elapsed = (time.perf_counter() - started) * 1000 / len(photos)
    texts = [reading.text for reading in readings]
    exact = np.mean([text == truth for text, truth in zip(texts, truths)])
    right_length = np.mean([len(text) == len(truth) for text, truth in zip(texts, truths)])
    short = [r for r, truth in zip(readings, truths) if len(r.text) < len(truth)]
    long = sum(len(text) > len(truth) for text, truth in zip(texts, truths))
    misread = sum(text != truth for text, truth in zip(texts, truths))
    wrongs = (f"of the {misread} misread: {len(short) / misread:.0%} too short ({sum(bool(r.not_digits) for r in short)} of them with "
              f"a mark read as no digit), {long / misread:.0%} too long" if misread else "none misread") + f"; {elapsed:.0f} ms per photo"
    # Baseline: cut the photo into equal slices, one per digit, and shrink each (it is even told how many).
    baseline = []
    for photo, truth in zip(photos, truths):
        slices = np.array_split(photo, len(truth), axis=1)
        guesses = predictor(np.stack([plain_resize(s) for s in slices])).argmax(axis=1)
        baseline.append("".join(map(str, guesses)) == truth)
    return exact, right_length, float(np.mean(baseline)), wrongs


def print_calibration(scores: np.ndarray) -> None:
    """How the flags change with the threshold; for an ensemble, also when disagreeing members flag too."""
    confidences, correct, disagree = scores[0], scores[1].astype(bool), scores[4].astype(bool)
    print(f"\n{'threshold':>9} {'flagged':>8} {'acc. of the rest':>17} {'errors caught':>14}")
    errors = int((~correct).sum())
    rules = [(f"{threshold:.2f}", confidences < threshold) for threshold in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)]
    if disagree.any():
        rules += [(f"{threshold:.2f}|vote", (confidences < threshold) | disagree) for threshold in (0.7, 0.75, 0.8)]
    for name, flagged in rules:
        rest = correct[~flagged]
        caught = int((flagged & ~correct).sum())
        print(f"{name:>9} {flagged.mean():>8.1%} {rest.mean() if len(rest) else float('nan'):>17.2%} {f'{caught / errors:.0%}' if errors else '-':>14}")
    if disagree.any():
        print("(|vote: also flagged where the ensemble's members, each read alone, name different digits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=SETS, default="tes", help="tes, uji-tst: unseen writers (report); tra, uji-trn: for tuning (writer_sets.py)")
    parser.add_argument("--limit", type=int, default=None, help="use only N digits, at random")
    parser.add_argument("--numbers", type=int, default=500, help="photos of numbers to read (default: %(default)s)")
    parser.add_argument("--model", type=Path, default=Paths().default_model_dir)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--writers", type=int, nargs="+", default=None, help="only these writers of the set (for held-out tuning)")
    parser.add_argument("--calibrate", action="store_true", help="print the uncertainty-threshold table")
    args = parser.parse_args()

    digits = read_set(args.set, args.writers)
    rng = np.random.default_rng(args.seed)
    if args.limit:
        digits = [digits[i] for i in rng.choice(len(digits), args.limit, replace=False)]
    labels = np.array([digit.label for digit in digits])
    predictor = load_predictor(args.model)
    print(f"model {args.model.name}; {len(digits)} digits by {len({d.writer for d in digits})} writers of {args.set}")

    canvases = [draw_like_a_user(digit, rng) for digit in digits]
    right, baseline, canvas_scores, ms, texts = single_digit_accuracy(canvases, labels, predictor)
    print(f"canvas  (280x280, white on black): {right.mean():.2%}   plain resize {baseline:.2%}   ({ms:.1f} ms per image)"
          f"   {flags_summary(canvas_scores)}")
    writers = np.array([digit.writer for digit in digits])
    by_writer = sorted(right[writers == writer].mean() for writer in np.unique(writers))
    print(f"        by writer: lowest {by_writer[0]:.1%}, median {np.median(by_writer):.1%}, highest {by_writer[-1]:.1%}")
    print(f"        most frequent mistakes: {top_mistakes(texts, labels)}")

    photos = [write_on_paper([digit], rng)[0] for digit in digits]
    right, baseline, paper_scores, ms, _ = single_digit_accuracy(photos, labels, predictor)
    print(f"paper   (photo, one digit):        {right.mean():.2%}   plain resize {baseline:.2%}   ({ms:.1f} ms per image)"
          f"   {flags_summary(paper_scores)}")
    right, _, number_scores, ms, texts = single_digit_accuracy(photos, labels, predictor, single=False)
    print(f"paper   (the same, number mode):   {right.mean():.2%}   ({ms:.1f} ms per image)   {flags_summary(number_scores)}")
    print(f"        most frequent mistakes: {top_mistakes(texts, labels)}")
    if args.calibrate:
        print("\ncanvas and paper (one-digit mode) together:")
        print_calibration(np.concatenate([canvas_scores, paper_scores], axis=1))

    if args.numbers:
        exact, right_length, baseline, wrongs = numbers_accuracy(digits, predictor, args.numbers, rng)
        print(f"numbers ({args.numbers} photos of 3-6 digits): {exact:.2%} read exactly ({right_length:.2%} with the right digit count)"
              f"   plain resize of equal slices {baseline:.2%}\n        {wrongs}")
        exact, right_length, _, wrongs = numbers_accuracy(digits, predictor, args.numbers, rng, spacing=TIGHT)
        print(f"numbers written tight (gaps {TIGHT[0]:g} to {TIGHT[1]:g} digit heights, touching and leaning into each other): "
              f"{exact:.2%} read exactly ({right_length:.2%} with the right digit count)\n        {wrongs}")


if __name__ == "__main__":
    main()
