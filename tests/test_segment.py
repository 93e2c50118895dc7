import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_app.reading.ink import Ink, find_ink, to_gray
from mnist_app.reading.segment import Candidate, Line, Segment, _valleys, best_grouping, propose, whole_image


def lines_of(image):
    return propose(find_ink(to_gray(image)))


def draw(lines, size=(200, 400), thickness=9):
    canvas = np.zeros(size, np.uint8)
    for start, end in lines:
        cv2.line(canvas, start, end, 255, thickness, cv2.LINE_AA)
    return canvas


def spans(line):
    return {(candidate.first, candidate.last) for candidate in line.candidates}


def test_a_five_whose_bar_does_not_touch_can_be_read_whole():
    five = [((60, 60), (110, 60)),  # the bar, apart from the rest
            ((60, 75), (58, 110)), ((58, 110), (100, 110)), ((100, 110), (110, 140)), ((110, 140), (60, 160))]
    (line,) = lines_of(draw(five))
    assert line.pieces == 2 and spans(line) == {(0, 1), (1, 2), (0, 2)}
    whole = next(c for c in line.candidates if (c.first, c.last) == (0, 2)).segment
    x, y, width, height = whole.box
    assert x <= 56 and y <= 57 and x + width >= 113 and y + height >= 162
    assert whole.mask.shape == (height, width) and whole.mask.any()


def test_pieces_far_apart_are_never_one_candidate():
    four = [((60, 50), (40, 120)), ((40, 120), (100, 120)), ((85, 70), (85, 170))]
    seven = [((200, 50), (260, 50)), ((258, 62), (240, 100)), ((236, 112), (220, 170))]  # broken twice
    (line,) = lines_of(draw(four + seven))
    assert line.pieces == 4  # the 4, and the three pieces of the 7
    assert (1, 4) in spans(line)  # the 7 whole
    assert not any(c.first == 0 and c.last > 1 for c in line.candidates)  # nothing joins the 4 to the 7


def test_touching_digits_are_offered_cut_apart_and_whole(mnist):
    zero, one = mnist.x_test[3], mnist.x_test[2]  # a 0 and a 1
    canvas = np.zeros((200, 400), np.uint8)
    canvas[30:170, 80:220] = cv2.resize(zero, (140, 140))
    canvas[30:170, 165:305] = np.maximum(canvas[30:170, 165:305], cv2.resize(one, (140, 140)))  # touching ink
    (line,) = lines_of(canvas)
    assert line.pieces >= 2 and (0, line.pieces) in spans(line)
    lefts = [c.segment.box[0] for c in line.candidates if c.last == c.first + 1]
    assert lefts == sorted(lefts)


def test_lines_are_found_top_to_bottom_and_read_left_to_right():
    canvas = np.zeros((400, 400), np.uint8)
    for x, y in [(300, 50), (50, 60), (180, 40), (60, 250), (250, 260)]:
        cv2.line(canvas, (x, y), (x + 10, y + 100), 255, 8)
    lines = lines_of(canvas)
    assert [line.pieces for line in lines] == [3, 2]
    firsts = [[c.segment.box[0] for c in line.candidates if c.last == c.first + 1] for line in lines]
    assert firsts == [[46, 176, 296], [56, 246]]
    assert {c.segment.line for c in lines[1].candidates} == {1}


def test_whole_image_is_one_segment_and_blank_is_none():
    canvas = draw([((50, 50), (60, 150)), ((200, 50), (210, 150))])
    assert len(whole_image(find_ink(to_gray(canvas)))) == 1
    assert whole_image(find_ink(to_gray(np.zeros((50, 50))))) == []
    assert propose(find_ink(to_gray(np.zeros((50, 50))))) == []


def test_the_grouping_with_the_best_total_wins():
    segment = Segment((0, 0, 1, 1), np.ones((1, 1), bool))
    line = Line(3, tuple(Candidate(first, last, segment) for first, last in [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3)]), 1)
    log = np.log

    def spans_of(chosen):
        return [(line.candidates[i].first, line.candidates[i].last) for i in chosen]

    # Pieces 0 and 1 read together far better than apart; piece 2 alone is a sure digit.
    scores = [log(0.5), log(0.5), log(0.99), log(0.98), log(0.1)]
    assert spans_of(best_grouping(line, scores)) == [(0, 2), (2, 3)]
    # Three sure pieces stay apart when reading two of them together is less sure than reading them apart.
    scores = [log(0.99), log(0.99), log(0.99), log(0.9), log(0.9)]
    assert spans_of(best_grouping(line, scores)) == [(0, 1), (1, 2), (2, 3)]
    scores = [log(0.99), log(0.6), log(0.6), log(0.9), log(0.9)]
    assert spans_of(best_grouping(line, scores)) == [(0, 1), (1, 3)]


def test_digits_leaning_into_each_other_are_offered_cut_along_a_bending_path(mnist):
    """A 3 and a 0 written so close that the 0 starts left of the 3's end: no straight column parts them, a
    bending cut can, and each digit is then a candidate of (nearly only) its own ink. Straight cuts alone
    parted 3 of these 10 pairs."""
    threes, zeros = np.flatnonzero(mnist.y_test == 3), np.flatnonzero(mnist.y_test == 0)
    parted = 0
    for three_index, zero_index in zip(threes[:10], zeros[:10]):
        three = cv2.resize(mnist.x_test[three_index], (140, 140)) > 100
        zero = cv2.resize(mnist.x_test[zero_index], (140, 140)) > 100
        canvas_three, canvas_zero = np.zeros((200, 400), bool), np.zeros((200, 400), bool)
        right_of_three = np.flatnonzero(three.any(axis=0))[-1]
        left_of_zero = np.flatnonzero(zero.any(axis=0))[0]
        offset = 60 + right_of_three - left_of_zero - 6  # the 0 starts 6 pixels left of the 3's right end
        canvas_three[30:170, 60:200] = three
        canvas_zero[30:170, offset : offset + 140] = zero
        ink = (canvas_three | canvas_zero).astype(np.uint8) * 255
        (line,) = lines_of(ink)

        def share(candidate, digit):
            x, y, width, height = candidate.segment.box
            inside = np.zeros_like(digit)
            inside[y : y + height, x : x + width] = candidate.segment.mask
            return (inside & digit).sum() / digit.sum()

        parted += any(share(c, canvas_three) > 0.85 and share(c, canvas_zero) < 0.15 for c in line.candidates) and \
            any(share(c, canvas_zero) > 0.85 and share(c, canvas_three) < 0.15 for c in line.candidates)
    assert parted >= 6  # of 10 pairs


def valleys_as_documented(costs, column_ink, thin, margin, spacing, taken):
    """_valleys' docstring, word for word: local minima of at most ``thin`` with twice the ink on either side,
    cheapest first, kept apart from the ends, each other and ``taken``."""
    minima = [c for c in range(margin, len(costs) - margin)
              if costs[c] <= thin and costs[c] <= costs[c - 1] and costs[c] <= costs[c + 1]
              and 2 * costs[c] <= min(max(column_ink[:c]), max(column_ink[c + 1 :]))]
    chosen, near = [], list(taken)
    for column in sorted(minima, key=lambda c: costs[c]):
        if all(abs(column - other) >= spacing for other in near):
            chosen.append(column)
            near.append(column)
    return chosen


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=60), st.integers(0, 6), st.integers(1, 8),
       st.integers(1, 6), st.lists(st.integers(0, 60), max_size=3), st.booleans())
def test_valleys_are_the_documented_ones(column_ink, thin, margin, spacing, taken, bent):
    column_ink = np.array(column_ink)
    # A bending cut's cost is not the column's ink: try both.
    costs = np.maximum(column_ink - 2, 0).astype(np.float32) if bent else column_ink
    assert _valleys(costs, column_ink, thin, margin, spacing, taken) == valleys_as_documented(
        costs, column_ink, thin, margin, spacing, taken)


def test_pieces_are_the_same_wherever_the_ink_lies_on_the_canvas():
    """Blobs are labelled inside the ink's box: moving the ink moves every piece's box and nothing else."""
    mask = np.zeros((60, 90), bool)
    mask[10:40, 5:9] = mask[12:20, 20:40] = mask[30:38, 22:44] = mask[20:45, 50:54] = True  # four blobs
    placed = [propose(Ink(np.pad(mask, ((top, 5), (left, 5))).astype(np.float32), np.pad(mask, ((top, 5), (left, 5)))))
              for top, left in ((0, 0), (7, 30))]
    first, moved = ([[(c.first, c.last, c.segment.box, c.segment.mask.tobytes()) for c in line.candidates]
                     for line in lines] for lines in placed)
    shifted = [[(a, b, (x + 30, y + 7, w, h), m) for a, b, (x, y, w, h), m in line] for line in first]
    assert moved == shifted and len(first) == 1 and len(first[0]) > 3
