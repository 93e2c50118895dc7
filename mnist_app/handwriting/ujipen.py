"""Real pen-drawn digits of writers in Spain: the UJI Pen Characters v2 data set (digits only).

Sixty writers (16 at Universitat Jaume I, 44 at Universidad Politécnica de Valencia) wrote each digit
twice on a tablet. They write as much of the world does and pendigits' writers mostly do not: ones with
a long up-stroke flag, sevens with a bar, zeros with a slash. The data set splits its writers into 40
for training (ids ``trn_...``) and 20 others for testing (``tst_...``); this project never trains on the
test writers (TrainConfig reads only ``trn`` writers), so they are a second set of people it has never
seen, beside pendigits-orig.tes.

The format is the data set's own (UCI's ``ujipenchars2.txt``, which also holds letters and symbols;
only the digits are read)::

    // ASCII char: 7                comments
    WORD 7 trn_UJI_W01-01           the character, then the writer's id and the session
      NUMSTROKES 2
      POINTS 36 # x y x y ...       one line per stroke: its point count, then the x y pairs
      POINTS 13 # 530 754 ...

Coordinates are tablet units with y growing downwards, as on a screen; the two sites' tablets differ in
resolution (100 and 152 units per millimetre), which does not matter here because every digit is drawn
at the size a user would draw it (pendigits.draw_like_a_user scales it).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from mnist_app.handwriting.pendigits import PenDigit

SOURCE = "ujipen"  # PenDigit.source of these digits
SPLITS = ("trn", "tst")  # the data set's own split of its writers: training and test
_WRITER_ID = re.compile(r"^(trn|tst)_(UJI|UPV)_W(\d+)-(\d+)$")  # e.g. trn_UJI_W01-01: split, site, writer, session


class UjiPenError(ValueError):
    """The file is not in the UJI Pen Characters format; the message names the file, the line and the fault."""


def read_ujipen(path: str | Path, split: str | None = None) -> list[PenDigit]:
    """The digits of a UJI Pen Characters file (the digits-only copy or UCI's full ``ujipenchars2.txt``).

    ``split`` "trn" or "tst" keeps only the writers of that part of the data set's split; None keeps
    both. Each digit's ``writer`` is the writer's number (W01 -> 1), unique across both sites. Letters and
    symbols of the full file are skipped. Windows and Unix line endings are both read. A malformed sample
    raises UjiPenError naming the line.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)} or None, got {split!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise UjiPenError(f"{path}: not a UJI Pen Characters text file (it is not UTF-8 text)") from None
    digits: list[PenDigit] = []
    number = 0
    while number < len(lines):
        line = lines[number].strip()
        number += 1
        if not line.startswith("WORD"):
            if line and not line.startswith("//"):
                raise UjiPenError(f"{path}, line {number}: expected WORD, NUMSTROKES or POINTS, got {line[:40]!r}")
            continue
        label, writer, sample_split, strokes, number = _sample(path, lines, number)
        if label is not None and (split is None or sample_split == split):
            digits.append(PenDigit(label, writer, strokes, SOURCE))
    if not digits:
        raise UjiPenError(f"{path}: no digits found (expected WORD lines such as 'WORD 7 trn_UJI_W01-01')")
    return digits


def _sample(path: Path, lines: list[str], number: int) -> tuple[int | None, int, str, tuple[np.ndarray, ...], int]:
    """The sample whose WORD line is ``lines[number - 1]``: (label or None for a non-digit, writer, split,
    strokes, the number of the line after it)."""
    word = lines[number - 1].split()
    if len(word) != 3:
        raise UjiPenError(f"{path}, line {number}: a WORD line holds the character and the writer's id, got {lines[number - 1].strip()!r}")
    match = _WRITER_ID.match(word[2])
    if match is None:
        raise UjiPenError(f"{path}, line {number}: {word[2]!r} is not a writer id like trn_UJI_W01-01")
    header = lines[number].split() if number < len(lines) else []
    if len(header) != 2 or header[0] != "NUMSTROKES" or not header[1].isdigit() or int(header[1]) < 1:
        raise UjiPenError(f"{path}, line {number + 1}: expected 'NUMSTROKES n' after the WORD line")
    count = int(header[1])
    strokes = []
    for offset in range(count):
        line_number = number + 2 + offset
        strokes.append(_stroke(path, lines[line_number - 1] if line_number <= len(lines) else "", line_number, count))
    label = int(word[1]) if len(word[1]) == 1 and word[1] in "0123456789" else None
    return label, int(match.group(3)), match.group(1), tuple(strokes), number + 1 + count


def _stroke(path: Path, line: str, number: int, count: int) -> np.ndarray:
    """One POINTS line -> (K, 2) float32 points (x, y)."""
    head, _, body = line.partition("#")
    head = head.split()
    if len(head) != 2 or head[0] != "POINTS" or not head[1].isdigit():
        raise UjiPenError(f"{path}, line {number}: expected {count} POINTS lines for the NUMSTROKES above, got {line.strip()[:40]!r}")
    try:
        values = [int(value) for value in body.split()]
    except ValueError:
        raise UjiPenError(f"{path}, line {number}: coordinates must be whole numbers") from None
    if len(values) != 2 * int(head[1]) or not values:
        raise UjiPenError(f"{path}, line {number}: POINTS says {head[1]} points but the line holds {len(values) / 2:g}")
    return np.array(values, dtype=np.float32).reshape(-1, 2)
