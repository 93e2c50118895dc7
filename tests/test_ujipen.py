"""The UJI Pen Characters reader: the real file, UCI's full-file layout, and clear errors for broken files."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_app.handwriting.pendigits import draw_like_a_user
from mnist_app.handwriting.ujipen import UjiPenError, read_ujipen
from mnist_app.reading.preprocess import model_input

SAMPLE = """// ASCII char: 7
WORD 7 trn_UJI_W01-01
  NUMSTROKES 2
  POINTS 3 # 10 20 30 40 50 60
  POINTS 1 # 5 5
"""


def test_the_shared_file_holds_sixty_writers_each_digit_twice(uji_writers):
    assert len(uji_writers) == 1200
    assert {digit.source for digit in uji_writers} == {"ujipen"}
    writers = {digit.writer for digit in uji_writers}
    assert writers == set(range(1, 61))
    for writer in writers:
        assert sorted(digit.label for digit in uji_writers if digit.writer == writer) == sorted(list(range(10)) * 2)
    for digit in uji_writers:
        assert 1 <= len(digit.strokes) <= 4 and all(s.dtype == np.float32 and s.shape[1] == 2 for s in digit.strokes)


def test_its_own_split_keeps_test_writers_apart(uji_writers):
    from tests.conftest import UJIPEN

    train, test = read_ujipen(UJIPEN, split="trn"), read_ujipen(UJIPEN, split="tst")
    assert len({d.writer for d in train}) == 40 and len({d.writer for d in test}) == 20
    assert {d.writer for d in train}.isdisjoint({d.writer for d in test})
    assert len(train) + len(test) == len(uji_writers)
    assert {12, 13, 14, 15, 16, 18, 60} <= {d.writer for d in test}


def test_a_digit_drawn_like_a_user_is_an_mnist_like_input(uji_writers):
    image = draw_like_a_user(uji_writers[0], np.random.default_rng(0))
    digit = model_input(image)
    assert digit is not None and digit.shape == (28, 28) and digit.max() > 0.9


def test_the_full_uci_file_with_windows_line_endings_and_letters_gives_its_digits(tmp_path):
    letter = "// ASCII char: a\r\nWORD a trn_UJI_W01-01\r\n  NUMSTROKES 1\r\n  POINTS 2 # 1 2 3 4\r\n"
    path = tmp_path / "ujipenchars2.txt"
    path.write_bytes(("//\r\n// UJI Pen Characters\r\n" + letter + SAMPLE.replace("\n", "\r\n")).encode())
    (digit,) = read_ujipen(path)
    assert (digit.label, digit.writer, digit.source) == (7, 1, "ujipen")
    np.testing.assert_array_equal(digit.strokes[0], [[10, 20], [30, 40], [50, 60]])
    np.testing.assert_array_equal(digit.strokes[1], [[5, 5]])
    with pytest.raises(UjiPenError, match="no digits found"):
        read_ujipen(path, split="tst")  # its only writer is a training writer


@pytest.mark.parametrize("text, message", [
    ("WORD 7 trn_UJI_W01-01\n  NUMSTROKES 2\n  POINTS 1 # 5 5\n", "line 4: expected 2 POINTS lines"),
    ("WORD 7 trn_UJI_W01-01\n  NUMSTROKES 1\n  POINTS 3 # 5 5\n", "line 3: POINTS says 3 points but the line holds 1"),
    ("WORD 7 trn_UJI_W01-01\n  NUMSTROKES 1\n  POINTS 1 # 5 x\n", "line 3: coordinates must be whole numbers"),
    ("WORD 7 trn_UJI_W01-01\n  POINTS 1 # 5 5\n", "line 2: expected 'NUMSTROKES n'"),
    ("WORD 7 someone\n  NUMSTROKES 1\n  POINTS 1 # 5 5\n", "line 1: 'someone' is not a writer id"),
    ("WORD 7\n", "line 1: a WORD line holds the character and the writer's id"),
    ("hello\n", "line 1: expected WORD"),
    ("// only comments\n", "no digits found"),
])
def test_a_broken_file_names_its_line_and_fault(tmp_path, text, message):
    path = tmp_path / "broken.txt"
    path.write_text(text)
    with pytest.raises(UjiPenError, match=message):
        read_ujipen(path)


def test_files_that_are_not_there_or_not_text_and_bad_splits_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_ujipen(tmp_path / "missing.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(UjiPenError, match="not UTF-8 text"):
        read_ujipen(tmp_path / "binary.txt")
    (tmp_path / "ok.txt").write_text(SAMPLE)
    with pytest.raises(ValueError, match="split must be one of trn, tst"):
        read_ujipen(tmp_path / "ok.txt", split="train")
