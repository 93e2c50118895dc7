import cv2
import numpy as np
import pytest

from mnist_app.pendigits import write_on_paper
from mnist_app.preprocess import find_ink, to_gray
from mnist_app.segment import split_digits, whole_image



def segments_of(image):
    return split_digits(find_ink(to_gray(image)))


def draw(lines, size=(200, 400), thickness=9):
    canvas = np.zeros(size, np.uint8)
    for start, end in lines:
        cv2.line(canvas, start, end, 255, thickness, cv2.LINE_AA)
    return canvas


def test_a_five_whose_bar_does_not_touch_stays_one_digit():
    five = [((60, 60), (110, 60)),  # the bar, apart from the rest
            ((60, 75), (58, 110)), ((58, 110), (100, 110)), ((100, 110), (110, 140)), ((110, 140), (60, 160))]
    segments = segments_of(draw(five))
    assert len(segments) == 1
    x, y, width, height = segments[0].box
    assert x <= 56 and y <= 57 and x + width >= 113 and y + height >= 162


def test_a_four_in_two_strokes_and_a_broken_seven():
    four = [((60, 50), (40, 120)), ((40, 120), (100, 120)), ((85, 70), (85, 170))]  # the last stroke apart
    seven = [((200, 50), (260, 50)), ((258, 62), (240, 100)), ((236, 112), (220, 170))]  # broken twice
    segments = segments_of(draw(four + seven))
    assert len(segments) == 2


def test_touching_digits_are_cut_apart(mnist):
    zero, one = mnist.x_test[3], mnist.x_test[2]  # a 0 and a 1
    canvas = np.zeros((200, 400), np.uint8)
    big_zero, big_one = cv2.resize(zero, (140, 140)), cv2.resize(one, (140, 140))
    canvas[30:170, 80:220] = big_zero
    canvas[30:170, 165:305] = np.maximum(canvas[30:170, 165:305], big_one)  # overlapping boxes, touching ink
    segments = segments_of(canvas)
    assert len(segments) == 2
    assert segments[0].box[0] < segments[1].box[0]


def test_reading_order_is_lines_then_left_to_right():
    canvas = np.zeros((400, 400), np.uint8)
    for x, y in [(300, 50), (50, 60), (180, 40), (60, 250), (250, 260)]:
        cv2.line(canvas, (x, y), (x + 10, y + 100), 255, 8)
    boxes = [segment.box[:2] for segment in segments_of(canvas)]
    assert [x for x, _ in boxes] == [46, 176, 296, 56, 246]


def test_whole_image_is_one_segment_and_blank_is_none():
    canvas = draw([((50, 50), (60, 150)), ((200, 50), (210, 150))])
    assert len(whole_image(find_ink(to_gray(canvas)))) == 1
    assert whole_image(find_ink(to_gray(np.zeros((50, 50))))) == []
    assert split_digits(find_ink(to_gray(np.zeros((50, 50))))) == []


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    inter = max(0, min(ax + aw, bx + bw) - max(ax, bx)) * max(0, min(ay + ah, by + bh) - max(ay, by))
    return inter / (aw * ah + bw * bh - inter)


def test_photos_of_real_numbers_split_into_their_digits(training_writers):
    pen_digits = training_writers
    rng = np.random.default_rng(11)
    right = 0
    for _ in range(30):
        start = int(rng.integers(len(pen_digits) - 6))
        digits = pen_digits[start : start + int(rng.integers(3, 7))]
        photo, boxes = write_on_paper(digits, rng)
        found = [segment.box for segment in segments_of(photo)]
        right += len(found) == len(boxes) and all(iou(f, b) > 0.5 for f, b in zip(found, boxes))
    assert right >= 27
