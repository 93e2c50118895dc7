"""What real users draw beyond the plain digits: writing conventions, and things that are not digits.

    python benchmarks/hard_cases.py [--model DIR] [--set tes|tra] [--writers N ...] [--per-kind N]

conventions   each convention of mnist_app.handwriting.conventions (slashed zero, crossed seven, flagged one...) applied to
              pen-drawn digits of writers the model never saw, drawn on the canvas and on paper: the share
              read right, and the share flagged as not sure
not digits    taps, dashes, scribbles, letters and symbols (in the two Hershey fonts held out of training),
              mirrored digits and two digits side by side (of writers the model never saw), drawn on the
              canvas and read in one-digit mode: the share answered with no digit or a flagged one
              (for two digits, a flag or the "looks like a number" hint), and the share read as no digit;
              and the same drawings read in number mode: the share in which no digit is found but flagged ones
By default the writers are those of pendigits-orig.tes (14 people never trained or tuned on).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from writer_sets import SETS, read_set  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.handwriting import nondigits  # noqa: E402
from mnist_app.handwriting.conventions import CONVENTIONS, apply_convention  # noqa: E402
from mnist_app.handwriting.pendigits import PenDigit, draw_like_a_user, write_on_paper  # noqa: E402
from mnist_app.reading.recognize import load_predictor, recognize_many  # noqa: E402


def convention_digits(digits: list[PenDigit], name: str, rng: np.random.Generator) -> list[PenDigit]:
    """Every digit of the convention's class written with it (where its strokes allow)."""
    label, _ = CONVENTIONS[name]
    written = []
    for digit in digits:
        if digit.label == label:
            strokes = apply_convention(name, digit.strokes, rng)
            if strokes is not None:
                written.append(PenDigit(label, digit.writer, strokes))
    return written


def conventions_table(digits, predictor, rng) -> None:
    print(f"{'convention':<20} {'digits':>6} {'canvas':>8} {'paper':>8} {'flagged':>8}")
    for name in CONVENTIONS:
        written = convention_digits(digits, name, rng)
        images = [draw_like_a_user(d, rng) for d in written] + [write_on_paper([d], rng)[0] for d in written]
        readings = recognize_many(images, predictor, single=True)
        right = np.array([r.text == str(CONVENTIONS[name][0]) for r in readings])
        flagged = np.array([r.empty or r.digits[0].uncertain for r in readings])
        half = len(written)
        print(f"{name:<20} {half:>6} {right[:half].mean():>8.1%} {right[half:].mean():>8.1%} {flagged.mean():>8.1%}")


def not_digits_table(digits, predictor, rng, per_kind: int) -> None:
    print(f"\n{'not a digit':<16} {'drawings':>8} {'no digit or flagged':>20} {'read as no digit':>17} {'number mode: no sure digit':>27}")
    caught_all, number_mode_all = [], []
    for kind in nondigits.KINDS:
        images = [nondigits.make(kind, rng, digits, fonts=nondigits.HELD_OUT_FONTS) for _ in range(per_kind)]
        readings = recognize_many(images, predictor, single=True)
        rejected = np.array([r.empty for r in readings])
        caught = np.array([r.empty or r.digits[0].uncertain or r.number is not None for r in readings])
        # The same drawings on the Upload page's default, number mode: every digit found in them flagged.
        # (Two digits side by side are a number there, rightly read.)
        number_mode = [all(d.uncertain for d in r.digits) for r in recognize_many(images, predictor, single=False)]
        caught_all.append(caught)
        number_mode_all.extend(number_mode if kind != "two digits" else [])
        shown = f"{np.mean(number_mode):.1%}" if kind != "two digits" else "-"
        print(f"{kind:<16} {per_kind:>8} {caught.mean():>20.1%} {rejected.mean():>17.1%} {shown:>27}")
    print(f"{'all':<16} {per_kind * len(nondigits.KINDS):>8} {np.concatenate(caught_all).mean():>20.1%} {'':>17} "
          f"{np.mean(number_mode_all):>27.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Paths().default_model_dir)
    parser.add_argument("--set", choices=SETS, default="tes", help="the writers (benchmarks/writer_sets.py)")
    parser.add_argument("--writers", type=int, nargs="+", default=None, help="only these writers of the set")
    parser.add_argument("--per-kind", type=int, default=300, help="drawings of each kind of non-digit (default: %(default)s; 0: only the conventions)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    digits = read_set(args.set, args.writers)
    predictor = load_predictor(args.model)
    rng = np.random.default_rng(args.seed)
    print(f"model {args.model.name}; {len({d.writer for d in digits})} writers of {args.set}\n")
    conventions_table(digits, predictor, rng)
    if args.per_kind > 0:
        not_digits_table(digits, predictor, rng, args.per_kind)


if __name__ == "__main__":
    main()
