import numpy as np
import pytest

from mnist_app.handwriting.conventions import CONVENTIONS, apply_convention, conventions_for, writer_style


def box(strokes):
    points = np.concatenate(strokes)
    return points.min(axis=0), points.max(axis=0)


ZERO = (np.array([[50 + 40 * np.cos(t), 100 + 80 * np.sin(t)] for t in np.linspace(0, 2 * np.pi, 40)], np.float32),)
SEVEN = (np.array([[0, 0], [80, 0], [30, 160]], np.float32),)
ONE = (np.array([[40, 0], [40, 160]], np.float32),)
FIVE = (np.array([[10, 10], [8, 70], [60, 80], [70, 120], [10, 150]], np.float32), np.array([[12, 5], [70, 12]], np.float32))
FOUR = (np.array([[50, 0], [10, 100], [90, 100]], np.float32), np.array([[70, 30], [70, 160]], np.float32))
NINE = (np.array([[80, 40], [40, 0], [0, 40], [40, 80], [80, 40], [80, 100], [78, 160]], np.float32),)


def test_every_convention_is_named_for_one_digit():
    assert sorted({digit for digit, _ in CONVENTIONS.values()}) == [0, 1, 4, 5, 7, 9]
    assert conventions_for(0) == ["slashed zero", "barred zero"] and conventions_for(3) == []
    with pytest.raises(ValueError, match="unknown convention 'dotted eight'"):
        apply_convention("dotted eight", ZERO, np.random.default_rng(0))


def test_a_slashed_zero_has_a_stroke_from_lower_left_to_upper_right_across_the_oval():
    strokes = apply_convention("slashed zero", ZERO, np.random.default_rng(0))
    slash = strokes[-1]
    assert len(strokes) == 2
    assert slash[0, 0] < slash[-1, 0] and slash[0, 1] > slash[-1, 1]  # left to right, going up
    assert slash[0, 1] >= 170 and slash[-1, 1] <= 30  # from near the bottom of the oval to near its top


def test_a_barred_zero_and_a_crossed_seven_have_a_bar_across_the_middle():
    bar = apply_convention("barred zero", ZERO, np.random.default_rng(1))[-1]
    assert abs(bar[0, 1] - 100) < 20 and bar[0, 0] < 20 and bar[-1, 0] > 80
    seven = apply_convention("crossed seven", SEVEN, np.random.default_rng(2))
    cross = seven[-1]
    stem_x = np.interp(cross[:, 1].mean(), [0, 160], [80, 30])
    assert 60 < cross[:, 1].mean() < 105 and cross[0, 0] < stem_x < cross[-1, 0]


def test_ones_get_a_flag_from_the_lower_left_or_a_base():
    flag = apply_convention("flagged one", ONE, np.random.default_rng(3))[0]
    assert flag[-1].tolist() == [40, 0] and flag[0, 0] < 40 and flag[0, 1] > 30  # ends at the top of the 1
    base = apply_convention("one with base", ONE, np.random.default_rng(3))[-1]
    assert np.all(base[:, 1] == 160) and base[0, 0] < 40 < base[-1, 0]


def test_a_five_gets_a_flat_bar_lifted_off_its_body_and_a_one_stroke_five_is_left_alone():
    five = apply_convention("detached five bar", FIVE, np.random.default_rng(4))
    bar, body = five[-1], five[0]
    assert np.ptp(bar[:, 1]) == 0 and bar[0, 1] < body[:, 1].min()
    assert apply_convention("detached five bar", FIVE[:1], np.random.default_rng(4)) is None


def test_an_open_four_goes_straight_down_to_its_bar():
    four = apply_convention("open four", FOUR, np.random.default_rng(5))
    left = four[0]
    down = left[left[:, 1] < 100]
    assert np.ptp(down[:, 0]) < 15  # nearly vertical, where the original ran diagonally from x=50 to x=10
    assert left[-1].tolist() == [90, 100]


def test_nines_get_a_straight_or_a_hooked_tail():
    straight = apply_convention("straight nine", NINE, np.random.default_rng(6))[0]
    assert np.ptp(straight[-8:, 0]) < 20  # the tail: a straight line of 8 points down from the loop
    hooked = apply_convention("curved nine", NINE, np.random.default_rng(6))[0]
    assert hooked[-1, 0] < 78 - 20  # the tail ends well to the left of where it went down


def test_writer_style_keeps_the_strokes_and_the_height():
    rng = np.random.default_rng(7)
    for strokes in (ZERO, FIVE, FOUR):
        styled = writer_style(strokes, rng)
        low, high = box(styled)
        assert len(styled) == len(strokes) and np.isfinite(np.concatenate(styled)).all()
        original_low, original_high = box(strokes)
        assert abs((high - low)[1] - (original_high - original_low)[1]) < 0.15 * (original_high - original_low)[1]
