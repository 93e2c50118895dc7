"""The sets of real writers the benchmarks measure on, by name (--set): each a list of PenDigit.

    tes       pendigits-orig.tes: 14 writers (Turkey) never trained or tuned on: report only
    tra       pendigits-orig.tra: 30 writers; 25-30 are held out of the shipped model's training (tuning)
    uji-tst   UJI Pen Characters' test part: 20 writers (Spain) never trained or tuned on: report only
    uji-trn   its training part: 40 writers; 10, 11, 55, 56, 58 and 59 are held out of training (tuning)
"""

from __future__ import annotations

from pathlib import Path

from mnist_app.handwriting.pendigits import PenDigit, read_pendigits
from mnist_app.handwriting.ujipen import read_ujipen

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SETS = ("tes", "tra", "uji-tst", "uji-trn")


def read_set(name: str, writers: list[int] | None = None) -> list[PenDigit]:
    """The digits of the named set (of ``writers`` only, when given)."""
    if name in ("tes", "tra"):
        digits = read_pendigits(DATA / "pendigits" / f"pendigits-orig.{name}")
    elif name in ("uji-tst", "uji-trn"):
        digits = read_ujipen(DATA / "ujipen" / "ujipen-digits.txt", split=name.removeprefix("uji-"))
    else:
        raise ValueError(f"unknown set {name!r}; choose one of {', '.join(SETS)}")
    return [digit for digit in digits if writers is None or digit.writer in writers]
