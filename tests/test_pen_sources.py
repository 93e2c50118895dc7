"""Which pen-drawn digits a run trains on and which writers it holds out: small files of both collections
(as test_pendigits.py and test_ujipen.py write them), and the shipped split on the real ones."""

from __future__ import annotations

import dataclasses

import pytest

from mnist_app.config import UJI_TRAINING_WRITERS, TrainConfig
from mnist_app.handwriting.pen_sources import held_out_digits, training_digits

# (writer, label) in file order: not sorted by writer, so that file order and a sort tell apart.
PEN_SAMPLES = [(2, 0), (1, 1), (3, 2), (1, 3), (2, 4)]
# (split, writer, label): UJI's tst writers share numbers with the trn ones here (1) or not (7), so that
# neither a filter on the numbers nor "all writers" can let them in.
UJI_SAMPLES = [("trn", 1, 5), ("tst", 1, 6), ("trn", 2, 7), ("tst", 7, 8), ("trn", 1, 9)]


def pendigits_file(path, digits=PEN_SAMPLES):
    """A pendigits-orig.tra of ``digits``, each a short two-point stroke, as UCI writes it."""
    lines = ['.INCLUDE        dene.doc', '', '.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"', '.HIERARCHY      DIGIT', '']
    for number, (writer, label) in enumerate(digits):
        lines += [f'.SEGMENT DIGIT    {number} ? "{label}"', f".COMMENT {label} {writer}  {number}", ".PEN_DOWN",
                  f" {100 + writer}  {200 + label}", f" {150 + writer}  {300 + label}", ".PEN_UP", ""]
    path.write_text("\n".join(lines))
    return str(path)


def ujipen_file(path, digits=UJI_SAMPLES):
    """A UJI Pen Characters file of ``digits``, as test_ujipen.py's sample."""
    text = "".join(f"// ASCII char: {label}\nWORD {label} {split}_UJI_W{writer:02d}-01\n  NUMSTROKES 1\n  POINTS 2 # 10 20 30 40\n"
                   for split, writer, label in digits)
    path.write_text(text)
    return str(path)


@pytest.fixture
def both(tmp_path):
    """A config with both collections, each a small file."""
    return TrainConfig(pen_path=pendigits_file(tmp_path / "pendigits-orig.tra"), uji_path=ujipen_file(tmp_path / "ujipen.txt"))


def named(digits):
    return [(digit.source, digit.writer, digit.label) for digit in digits]


def test_training_digits_come_pendigits_first_then_uji_each_filtered_by_its_own_writers(both):
    config = dataclasses.replace(both, pen_writers=(1, 3), uji_writers=(2,))
    assert named(training_digits(config)) == [("pendigits", 1, 1), ("pendigits", 3, 2), ("pendigits", 1, 3), ("ujipen", 2, 7)]
    assert named(held_out_digits(config)) == [("pendigits", 2, 0), ("pendigits", 2, 4), ("ujipen", 1, 5), ("ujipen", 1, 9)]


def test_the_digits_are_read_with_their_strokes(both):
    first = training_digits(both)[0]
    assert [stroke.tolist() for stroke in first.strokes] == [[[102, 500 - 200], [152, 500 - 300]]]  # screen y = 500 - tablet y
    uji = training_digits(both)[-1]
    assert [stroke.tolist() for stroke in uji.strokes] == [[[10, 20], [30, 40]]]


@pytest.mark.parametrize(
    "pen_writers, uji_writers, trained, held_out",
    [
        (None, None, [("pendigits", w, lbl) for w, lbl in PEN_SAMPLES] + [("ujipen", 1, 5), ("ujipen", 2, 7), ("ujipen", 1, 9)], []),
        (None, (1,), [("pendigits", w, lbl) for w, lbl in PEN_SAMPLES] + [("ujipen", 1, 5), ("ujipen", 1, 9)], [("ujipen", 2, 7)]),
        ((2,), None, [("pendigits", 2, 0), ("pendigits", 2, 4), ("ujipen", 1, 5), ("ujipen", 2, 7), ("ujipen", 1, 9)],
         [("pendigits", 1, 1), ("pendigits", 3, 2), ("pendigits", 1, 3)]),
        ((), (), [], [("pendigits", w, lbl) for w, lbl in PEN_SAMPLES] + [("ujipen", 1, 5), ("ujipen", 2, 7), ("ujipen", 1, 9)]),
        ((9,), (7, 8), [], [("pendigits", w, lbl) for w, lbl in PEN_SAMPLES] + [("ujipen", 1, 5), ("ujipen", 2, 7), ("ujipen", 1, 9)]),
    ],
    ids=["all-of-both", "all-pendigits", "all-uji", "none-of-either", "writers-not-in-the-files"],
)
def test_each_writer_list_splits_its_own_collection_and_none_takes_all(both, pen_writers, uji_writers, trained, held_out):
    config = dataclasses.replace(both, pen_writers=pen_writers, uji_writers=uji_writers)
    assert named(training_digits(config)) == trained
    assert named(held_out_digits(config)) == held_out


@pytest.mark.parametrize(
    "without, trained, held_out",
    [
        ("pen_path", [("ujipen", 1, 5), ("ujipen", 1, 9)], [("ujipen", 2, 7)]),
        ("uji_path", [("pendigits", 1, 1), ("pendigits", 1, 3)], [("pendigits", 2, 0), ("pendigits", 3, 2), ("pendigits", 2, 4)]),
        ("both", [], []),
    ],
)
def test_a_collection_not_configured_contributes_nothing(both, without, trained, held_out):
    # Writer lists without their files: nothing to filter, so nothing trained or held out from them.
    config = dataclasses.replace(both, pen_writers=(1,), uji_writers=(1,))
    config = dataclasses.replace(config, **{name: None for name in (("pen_path", "uji_path") if without == "both" else (without,))})
    assert named(training_digits(config)) == trained
    assert named(held_out_digits(config)) == held_out


@pytest.mark.parametrize("uji_writers", [None, (1,), (1, 7), (2,), (7,)])
def test_uji_test_writers_are_never_returned(both, uji_writers):
    config = dataclasses.replace(both, pen_path=None, uji_writers=uji_writers)
    returned = training_digits(config) + held_out_digits(config)
    assert sorted(digit.label for digit in returned) == [5, 7, 9]  # the trn samples, each once; never the tst 6 or 8


def test_a_uji_file_of_test_writers_only_is_refused(tmp_path):
    from mnist_app.handwriting.ujipen import UjiPenError

    config = TrainConfig(uji_path=ujipen_file(tmp_path / "tst-only.txt", [("tst", 1, 6), ("tst", 7, 8)]))
    with pytest.raises(UjiPenError, match="no digits found"):
        training_digits(config)
    with pytest.raises(UjiPenError, match="no digits found"):
        held_out_digits(config)


def test_a_missing_file_is_named(tmp_path):
    config = TrainConfig(pen_path=str(tmp_path / "nothing.tra"))
    with pytest.raises(FileNotFoundError, match="nothing.tra: no such file"):
        training_digits(config)


def test_held_out_writers_are_the_ones_not_trained_on_in_both_collections(training_writers, uji_writers):
    from tests.conftest import PENDIGITS, UJIPEN

    config = TrainConfig(pen_path=str(PENDIGITS / "pendigits-orig.tra"), pen_writers=tuple(range(1, 29)),
                         uji_path=str(UJIPEN), uji_writers=UJI_TRAINING_WRITERS)
    held_out = held_out_digits(config)
    assert {digit.writer for digit in held_out if digit.source == "pendigits"} == {29, 30}
    assert {digit.writer for digit in held_out if digit.source == "ujipen"} == {10, 11, 55, 56, 58, 59}
    trained = training_digits(config)
    assert {(d.source, d.writer) for d in trained}.isdisjoint({(d.source, d.writer) for d in held_out})
    assert {d.writer for d in trained if d.source == "ujipen"} == set(UJI_TRAINING_WRITERS)
    assert len(trained) + len(held_out) == 7494 + 40 * 20  # every training writer of both files, one side or the other
    assert held_out_digits(dataclasses.replace(config, pen_writers=None, uji_writers=None)) == []  # all taken
