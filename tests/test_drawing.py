"""The Draw page's drawing history and the fitting of a drawing to a smaller canvas (ui/drawing.py)."""

import pytest

from ui.drawing import HISTORY_STEPS, DrawingHistory, _box, fit_strokes


def stroke(left: float, top: float, width: float, height: float, pen: float = 18) -> dict:
    """A Fabric path as the canvas reports it: left/top name its centre; width/height leave out the pen."""
    return {"type": "path", "originX": "center", "originY": "center", "left": left, "top": top,
            "width": width, "height": height, "strokeWidth": pen, "scaleX": 1, "scaleY": 1}


def test_a_drawing_that_fits_is_left_alone():
    strokes = [stroke(140, 140, 60, 200)]
    assert fit_strokes(strokes, 280, 280) is strokes


def test_a_number_from_the_wide_canvas_is_scaled_into_the_square_one():
    number = [stroke(100 + 150 * index, 140, 60, 200) for index in range(5)]  # five digits across 840 pixels
    fitted = fit_strokes(number, 280, 280)
    boxes = [_box(s) for s in fitted]
    assert min(b[0] for b in boxes) >= 0 and max(b[2] for b in boxes) <= 280
    assert min(b[1] for b in boxes) >= 0 and max(b[3] for b in boxes) <= 280
    # The same shape, smaller: the gaps between the digits shrink with them.
    centres = [s["left"] for s in fitted]
    gaps = {round(b - a, 6) for a, b in zip(centres, centres[1:])}
    assert len(gaps) == 1 and fitted[0]["scaleX"] == fitted[0]["scaleY"] < 1


def test_a_drawing_past_an_edge_is_moved_in_without_scaling_when_it_is_small_enough():
    fitted = fit_strokes([stroke(270, 140, 40, 100)], 280, 280)  # hangs over the right edge
    left, top, right, bottom = _box(fitted[0])
    assert left >= 0 and right <= 280 and fitted[0]["scaleX"] == 1


def test_undo_redo_and_clear():
    history = DrawingHistory()
    one, two = [stroke(100, 100, 10, 100)], [stroke(100, 100, 10, 100), stroke(200, 100, 10, 100)]
    assert history.seen(one) and history.seen(two)
    history.undo()
    assert history.loaded == one and history.future == [two]
    assert not history.seen(two)  # the canvas still shows the last stroke until it has loaded
    assert history.seen(one) and history.strokes == one
    history.clear()
    assert history.strokes == [] and history.past[-1] == one and not history.future
    history.undo()
    assert history.strokes == one


def test_the_history_is_bounded():
    history = DrawingHistory()
    for count in range(1, HISTORY_STEPS + 20):
        history.seen([stroke(10, 10, 5, 5)] * count)
    assert len(history.past) == HISTORY_STEPS


@pytest.mark.parametrize("origin, expected_left", [("left", 100), ("center", 100 - 39), ("right", 100 - 78)])
def test_the_box_follows_the_origin(origin, expected_left):
    path = {**stroke(100, 100, 60, 60), "originX": origin}
    assert _box(path)[0] == pytest.approx(expected_left)
