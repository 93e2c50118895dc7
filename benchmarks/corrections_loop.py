"""The corrections loop on a way of writing a digit that the shipped model does not know: users correct it,
an operator accepts the corrections, the retrain button's default retrain learns from them.

    python benchmarks/corrections_loop.py --styles-only      # how the shipped model reads each candidate style
    python benchmarks/corrections_loop.py [--style NAME] [--corrections 40] [--set correction_renders=50]

1. Candidate styles, none of them among mnist_app.handwriting.conventions.CONVENTIONS (which the shipped model learned),
   made on the trajectories of pendigits-orig.tes (writers never trained on), drawn on the canvas as users
   draw and read with ``recognize`` (the Draw page's code) by models/mnist-cnn.
2. Digits in the chosen style by the first half of the .tes writers, read by the shipped model; those it
   reads wrong are stored as corrections exactly as the page stores them (canvas, the reading's model
   input and crop, the pen strokes in canvas pixels, what it read and how surely, the model version, a
   session id), and accepted.
3. A retrain with the retrain button's settings (jobs.default_config: MNIST, pendigits-orig.tra writers
   1-24, the drawings that are no digit, and the corrections database), through jobs.Trainer as the button
   starts it, into a temporary runs folder (kept, its path printed; nothing here is committed).
4. Before and after: the style drawn by the other .tes writers (never corrected), their plain digits, the
   held-out corrections (the card's figures) and MNIST's test set.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_app.config import Paths  # noqa: E402
from mnist_app.corrections import CorrectionStore  # noqa: E402
from mnist_app.handwriting.conventions import _box, _line  # noqa: E402
from mnist_app.handwriting.pendigits import PenDigit, draw_strokes, read_pendigits  # noqa: E402
from mnist_app.reading.recognize import load_predictor, recognize_many  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pendigits"
Strokes = tuple[np.ndarray, ...]


def _bezier(start, control, end, points: int = 14) -> np.ndarray:
    steps = np.linspace(0, 1, points, dtype=np.float32)[:, np.newaxis]
    start, control, end = (np.asarray(p, np.float32) for p in (start, control, end))
    return ((1 - steps) ** 2 * start + 2 * (1 - steps) * steps * control + steps**2 * end).astype(np.float32)


def _lowest(strokes: Strokes) -> tuple[int, int]:
    """(stroke, point) of the lowest point of the digit."""
    return max(((i, int(np.argmax(s[:, 1]))) for i, s in enumerate(strokes)), key=lambda ip: strokes[ip[0]][ip[1], 1])


def seven_with_curled_foot(strokes: Strokes, rng) -> Strokes | None:
    """A 7 whose stem ends in a curl back to the left and up (a cursive habit)."""
    left, top, width, height = _box(strokes)
    index, point = _lowest(strokes)
    stroke = strokes[index][: point + 1]
    bottom = stroke[-1]
    curl = _bezier(bottom, bottom + (-0.05 * height, 0.12 * height), bottom + (-rng.uniform(0.25, 0.4) * height, -rng.uniform(0.05, 0.2) * height))
    return tuple(np.concatenate([stroke, curl[1:]]) if i == index else s for i, s in enumerate(strokes))


def seven_with_a_tick(strokes: Strokes, rng) -> Strokes | None:
    """A 7 that starts with a short stroke down at the left end of its bar (East Asian and some school hands)."""
    _, _, _, height = _box(strokes)
    first = strokes[0]
    tick = _line(first[0] + (0, rng.uniform(0.2, 0.35) * height), first[0])
    return (np.concatenate([tick, first[1:]]), *strokes[1:])


def one_as_inverted_v(strokes: Strokes, rng) -> Strokes | None:
    """A 1 whose up-stroke starts almost at the baseline, as long as the stem: an inverted V, no base."""
    _, top, _, height = _box(strokes)
    points = np.concatenate(strokes)
    peak, foot = points[np.argmin(points[:, 1])], points[np.argmax(points[:, 1])]
    start = (peak[0] - height * rng.uniform(0.4, 0.6), top + height * rng.uniform(0.75, 0.95))
    return (np.concatenate([_line(start, peak, 12), _line(peak, foot, 12)[1:]]),)


def nine_with_a_loop(strokes: Strokes, rng) -> Strokes | None:
    """A 9 whose tail ends in a closed loop to the left, like a handwritten g."""
    _, _, _, height = _box(strokes)
    index, point = _lowest(strokes)
    stroke = strokes[index][: point + 1]
    bottom = stroke[-1]
    size = rng.uniform(0.2, 0.3) * height
    loop = np.concatenate([_bezier(bottom, bottom + (0, 0.6 * size), bottom + (-size, 0.2 * size)),
                           _bezier(bottom + (-size, 0.2 * size), bottom + (-size, -0.6 * size), bottom + (0.1 * size, -0.9 * size))[1:]])
    return tuple(np.concatenate([stroke, loop[1:]]) if i == index else s for i, s in enumerate(strokes))


def four_in_one_stroke(strokes: Strokes, rng) -> Strokes | None:
    """A closed 4 in one stroke: up the stem, down the diagonal to the left, then the bar across."""
    left, top, width, height = _box(strokes)
    stem = left + width * rng.uniform(0.6, 0.75)
    bar = top + height * rng.uniform(0.55, 0.7)
    corners = [(stem, top + height), (stem, top), (left, bar), (left + width, bar)]
    return (np.concatenate([_line(a, b, 10)[(1 if k else 0):] for k, (a, b) in enumerate(zip(corners, corners[1:]))]),)


STYLES = {  # name -> (digit, how to write it)
    "seven with curled foot": (7, seven_with_curled_foot),
    "seven with a tick": (7, seven_with_a_tick),
    "one as inverted V": (1, one_as_inverted_v),
    "nine with a loop": (9, nine_with_a_loop),
    "four in one stroke": (4, four_in_one_stroke),
}


def on_canvas(strokes: Strokes, rng, size: int = 280) -> tuple[np.ndarray, list[np.ndarray]]:
    """A digit drawn as a user draws it (any size, place and pen): the (280, 280) uint8 canvas and its pen
    strokes in canvas pixels, as the page stores them."""
    pen = int(rng.integers(10, 31))
    left, top, width, height = _box(strokes)
    room = size - pen - 10
    drawn_height = min(rng.uniform(0.30, 0.85) * size, room, room * height / width)
    scale = drawn_height / height
    centre = np.array([size / 2 + rng.uniform(-1, 1) * max((room - width * scale) / 2 - 4, 0),
                       size / 2 + rng.uniform(-1, 1) * max((room - drawn_height) / 2 - 4, 0)], np.float32)
    pixels = [((s - (left + width / 2, top + height / 2)) * scale + centre).astype(np.float32) for s in strokes]
    return draw_strokes(pixels, (size, size), height=drawn_height, centre=tuple(centre), stroke_width=pen), pixels


def styled(digits: list[PenDigit], style: str, seed: int) -> list[tuple[PenDigit, np.ndarray, list[np.ndarray]]]:
    """The digits of the style's label written in it and drawn on the canvas: (digit, canvas, strokes)."""
    label, make = STYLES[style]
    out = []
    for index, digit in enumerate(d for d in digits if d.label == label):
        rng = np.random.default_rng([seed, index])
        strokes = make(digit.strokes, rng)
        if strokes is not None:
            out.append((digit, *on_canvas(strokes, rng)))
    return out


def read_right(predictor, images: list[np.ndarray], labels: list[int]) -> float:
    readings = recognize_many(images, predictor, single=True)
    return float(np.mean([bool(r.digits) and r.digits[0].digit == label for r, label in zip(readings, labels)]))


def plain(digits: list[PenDigit], seed: int) -> tuple[list[np.ndarray], list[int]]:
    from mnist_app.handwriting.pendigits import draw_like_a_user

    return [draw_like_a_user(d, np.random.default_rng([seed, i])) for i, d in enumerate(digits)], [d.label for d in digits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles-only", action="store_true", help="only measure the candidate styles on the shipped model")
    parser.add_argument("--style", choices=list(STYLES), default="seven with curled foot")
    parser.add_argument("--corrections", type=int, default=40, help="how many wrong readings users correct")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="change a TrainConfig field")
    args = parser.parse_args()
    shipped_dir = Paths().default_model_dir
    shipped = load_predictor(shipped_dir)
    tes = read_pendigits(DATA / "pendigits-orig.tes")
    if args.styles_only:
        for style in STYLES:
            drawn = styled(tes, style, seed=0)
            right = read_right(shipped, [c for _, c, _ in drawn], [d.label for d, _, _ in drawn])
            print(f"{style:24s} {len(drawn):4d} digits of .tes, canvas: shipped model reads {right:.1%}")
        return

    writers = sorted({d.writer for d in tes})
    corrected_writers = set(writers[: len(writers) // 2])  # these users send corrections; the others are new users
    corrected_digits = [d for d in tes if d.writer in corrected_writers]
    new_digits = [d for d in tes if d.writer not in corrected_writers]
    runs = Path(tempfile.mkdtemp(prefix="corrections-loop-"))
    os.environ["RUNS_DIR"] = str(runs)
    for cached in (Paths().runs_dir / ".cache").glob("*.npz"):  # drawings already made elsewhere, keyed by content
        (runs / ".cache").mkdir(exist_ok=True)
        shutil.copy(cached, runs / ".cache" / cached.name)
    paths = dataclasses.replace(Paths.from_env(), runs_dir=runs, corrections_path=runs / "corrections.sqlite",
                                pen_path=DATA / "pendigits-orig.tra")
    os.environ["CORRECTIONS_PATH"] = str(paths.corrections_file)
    os.environ["PENDIGITS_PATH"] = str(paths.pen_path)

    # 2. The users of the first half of the writers draw the style; what the model reads wrong they correct.
    store = CorrectionStore(paths.corrections_file)
    drawn = styled(corrected_digits, args.style, seed=1)
    readings = recognize_many([canvas for _, canvas, _ in drawn], shipped, single=True)
    wrong = 0
    for (digit, canvas, strokes), reading in zip(drawn, readings):
        read = (reading.digits or reading.not_digits)[0]
        if read.digit == digit.label and reading.digits:
            continue
        wrong += 1
        if wrong <= args.corrections:
            store.add(session=f"writer-{digit.writer}", label=digit.label, predicted=-1 if read.not_a_digit else read.digit,
                      confidence=read.confidence, model_version=Paths().shipped_model, source="canvas",
                      model_input=read.model_input, crop=read.crop, strokes=strokes)
    stored = store.list()
    store.accept([c.id for c in stored])
    held = sum(c.held_out for c in stored)
    print(f"style: {args.style}; writers {sorted(corrected_writers)} drew {len(drawn)}, the shipped model read {wrong} wrong; "
          f"{len(stored)} corrections stored and accepted ({len(stored) - held} to train on, {held} held out)", flush=True)

    # 3. The retrain button's default retrain, through the job code the button uses.
    from mnist_app.jobs.trainer import Trainer, default_config

    changes = {key: ast.literal_eval(value) for key, value in (item.split("=", 1) for item in args.set)}
    config = default_config(paths, **changes)
    print(f"config: {config}", flush=True)
    started = time.perf_counter()
    trainer = Trainer(paths)
    trainer.start(config, command="benchmarks/corrections_loop.py")
    status = trainer.wait()
    if status.card is None:
        sys.exit(f"run {status.run_id} {status.stage}: {status.error}")
    print(f"run {status.run_id}: {time.perf_counter() - started:.0f} s from start to saved version ({status.card['train_seconds']:.0f} s of training), in {runs}")

    # 4. Before and after.
    new = load_predictor(runs / status.run_id)
    fresh = styled(new_digits, args.style, seed=2)
    images, labels = [c for _, c, _ in fresh], [d.label for d, _, _ in fresh]
    plain_images, plain_labels = plain(new_digits, seed=3)
    figures = status.card["corrections"]
    before, after = store_card_test(shipped_dir), status.card["test"]
    print(f"\n{'':52s} {'before (mnist-cnn)':>20s} {'after':>10s}")
    print(f"{args.style + ', new writers (' + str(len(labels)) + ' digits)':52s} {read_right(shipped, images, labels):20.1%} {read_right(new, images, labels):10.1%}")
    plain_row = f"all their plain digits ({len(plain_labels)})"
    print(f"{plain_row:52s} {read_right(shipped, plain_images, plain_labels):20.1%} {read_right(new, plain_images, plain_labels):10.1%}")
    right_before, right_after = f"{figures['active_right']} / {figures['held_out']}", f"{figures['new_right']} / {figures['held_out']}"
    print(f"{'held-out corrections read right':52s} {right_before:>20s} {right_after:>10s}")
    print(f"{'MNIST test accuracy (errors)':52s} {before['accuracy']:14.2%} ({before['errors']}) {after['accuracy']:.2%} ({after['errors']})")
    print(f"card['corrections']: {figures}")


def store_card_test(model_dir: Path) -> dict:
    from mnist_app.models.store import read_card

    return read_card(model_dir)["test"]


if __name__ == "__main__":
    main()
