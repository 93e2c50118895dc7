import io
import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from at_once import AtOnce, run_in_threads
from PIL import Image

from mnist_app import threads
from mnist_app.handwriting import nondigits
from mnist_app.handwriting.conventions import CONVENTIONS, apply_convention
from mnist_app.handwriting.pendigits import PenDigit, draw_like_a_user, write_on_paper
from mnist_app.reading import preprocess
from mnist_app.reading.confidence import steady
from mnist_app.reading.images import read_image, read_picture
from mnist_app.reading.preprocess import model_input
from mnist_app.reading.recognize import (
    NO_DIGIT_WIDTH,
    UNCERTAIN_BELOW,
    candidate_scores,
    load_predictor,
    recognize,
    recognize_many,
)
from mnist_app.reading.segment import Candidate, Line, Segment, best_grouping


@pytest.fixture(scope="module")
def predictor(shipped_model_dir):
    return load_predictor(shipped_model_dir)


HELD_OUT_WRITERS = range(25, 31)  # writers of pendigits-orig.tra the shipped model did not train on


@pytest.fixture(scope="module")
def held_out(training_writers):
    return [digit for digit in training_writers if digit.writer in HELD_OUT_WRITERS]


@pytest.fixture(scope="module")
def pen_digits(training_writers):
    return [training_writers[i] for i in np.random.default_rng(5).choice(len(training_writers), 300, replace=False)]


def test_empty_canvas_reads_no_digit(predictor):
    reading = recognize(np.zeros((280, 280, 4), np.uint8), predictor)
    assert reading.empty and reading.text == "" and reading.digits == ()


def test_a_reading_carries_what_the_pages_show(predictor, pen_digits):
    canvas = draw_like_a_user(pen_digits[0], np.random.default_rng(0))
    reading = recognize(canvas, predictor)
    (digit,) = reading.digits
    assert digit.probabilities.shape == (10,) and digit.probabilities.sum() == pytest.approx(1, abs=1e-4)
    assert digit.confidence == pytest.approx(digit.probabilities.max())
    assert digit.model_input.shape == (28, 28) and reading.ink.shape == (280, 280)
    x, y, width, height = digit.box
    assert digit.crop.shape == (height, width)
    assert digit.uncertain == (digit.confidence < UNCERTAIN_BELOW)
    assert digit.as_dict() == {"digit": digit.digit, "confidence": round(digit.confidence, 4), "uncertain": digit.uncertain,
                               "box": [x, y, width, height], "line": 0}


def test_canvas_drawings_of_training_writers_are_read(predictor, pen_digits):
    rng = np.random.default_rng(1)
    readings = recognize_many([draw_like_a_user(d, rng) for d in pen_digits], predictor)
    accuracy = np.mean([r.text == str(d.label) for r, d in zip(readings, pen_digits)])
    assert accuracy > 0.95


def test_rgba_canvas_with_ink_only_in_alpha_reads_the_same(predictor, pen_digits):
    canvas = draw_like_a_user(pen_digits[1], np.random.default_rng(2))
    rgba = np.zeros((*canvas.shape, 4), np.uint8)
    rgba[..., 3] = canvas  # white ink whose coverage is only in alpha, over a transparent background
    rgba[..., :3] = 255
    expected = recognize(canvas, predictor).digits[0]
    got = recognize(rgba, predictor).digits[0]
    assert got.digit == expected.digit
    np.testing.assert_allclose(got.model_input, expected.model_input, atol=0.02)


def test_number_mode_reads_a_photo_of_a_number(predictor, pen_digits):
    rng = np.random.default_rng(4)
    photo, boxes = write_on_paper(pen_digits[10:14], rng)
    reading = recognize(photo, predictor, single=False)
    assert len(reading.digits) == 4
    assert [d.box[0] for d in reading.digits] == sorted(d.box[0] for d in reading.digits)


def test_an_mnist_image_is_read_as_it_is(predictor, mnist):
    image = mnist.x_test[0]
    np.testing.assert_allclose(model_input(image), image / 255, atol=1 / 255)
    np.testing.assert_allclose(model_input(255 - image), image / 255, atol=1 / 255)  # dark on light too
    reading = recognize(image, predictor)
    assert reading.text == "7" and reading.digits[0].box[3] == 20  # the ink of the 7, 20 pixels high as MNIST fits it


@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_each_writing_convention_is_read(name, predictor, held_out):
    """A regression test of each convention of mnist_app.handwriting.conventions, on writers held out of training."""
    label = CONVENTIONS[name][0]
    rng = np.random.default_rng(8)
    written = [apply_convention(name, digit.strokes, rng) for digit in held_out if digit.label == label]
    drawings = [draw_like_a_user(PenDigit(label, 0, strokes), rng) for strokes in written if strokes is not None][:60]
    readings = recognize_many(drawings, predictor)
    assert len(drawings) >= 30
    assert np.mean([reading.text == str(label) for reading in readings]) >= 0.85  # the model before them: 48% on slashed zeros


@pytest.mark.parametrize("kind", nondigits.KINDS)
def test_things_that_are_no_digit_are_not_read_as_a_sure_digit(kind, predictor, held_out):
    rng = np.random.default_rng(9)
    drawings = [nondigits.make(kind, rng, held_out, fonts=nondigits.HELD_OUT_FONTS) for _ in range(60)]
    readings = recognize_many(drawings, predictor)
    caught = [reading.empty or reading.digits[0].uncertain or reading.number is not None for reading in readings]
    assert np.mean(caught) >= 0.75


def test_a_number_drawn_in_one_digit_mode_gets_the_number_reading(predictor, held_out):
    rng = np.random.default_rng(10)
    four, two = next(d for d in held_out if d.label == 4), next(d for d in held_out if d.label == 2)
    strokes = (*four.strokes, *(stroke + np.float32([400, 0]) for stroke in two.strokes))
    reading = recognize(draw_like_a_user(PenDigit(-1, 0, strokes), rng), predictor)
    assert reading.number is not None and reading.number.text == "42"
    assert reading.empty or reading.digits[0].uncertain  # never a confident single digit


def test_the_model_reads_each_distinct_input_once_and_every_candidate_gets_its_own_row(predictor, held_out):
    """Two bars a little apart, read in one-digit mode: the whole ink is also the line's widest candidate,
    one array for both. The batch holds it once, and every reading's probabilities are those of its own
    input, read alone."""
    bars = np.zeros((280, 280), np.uint8)
    for x in (115, 165):
        cv2.line(bars, (x, 60), (x, 220), 255, 14, cv2.LINE_AA)
    drawings = [bars, draw_like_a_user(held_out[0], np.random.default_rng(12)), bars[:, ::-1].copy()]
    batches = []

    class Counting:
        temperature = predictor.temperature

        def __call__(self, images):
            batches.append(images)
            return predictor(images)

    readings = recognize_many(drawings, Counting())
    plain = batches[0][: len(batches[0]) // 3]  # the inputs as they are (the turned views follow)
    assert len({image.tobytes() for image in plain}) == len(plain)  # no input read twice
    read = [d for r in readings for d in (*r.digits, *r.not_digits, *(r.number.digits if r.number else ()))]
    assert len(read) >= 5  # the bars' whole ink and their two candidates, twice, and the held-out digit
    for digit in read:
        alone = steady(predictor, digit.model_input[np.newaxis], predictor.temperature)[0]
        np.testing.assert_allclose(digit.probabilities, alone, atol=1e-5)


def test_digits_in_pieces_stay_one_digit_in_number_mode(predictor, held_out):
    """4s written in two strokes that do not touch, and 5s with a loose bar, on paper: read as one digit."""
    rng = np.random.default_rng(11)
    loose = [d for d in held_out if d.label in (4, 5) and len(d.strokes) >= 2][:60]
    for digit in loose[:30]:  # pull the strokes a little apart, so that they surely do not touch
        digit.strokes[-1][:] += np.float32([0, -12 if digit.label == 5 else 0])
    photos = [write_on_paper([digit], rng)[0] for digit in loose]
    readings = recognize_many(photos, predictor, single=False)
    assert np.mean([reading.text == str(digit.label) for reading, digit in zip(readings, loose)]) >= 0.9


def test_two_lines_of_digits_read_as_two_lines(predictor, held_out):
    rng = np.random.default_rng(12)
    top, _ = write_on_paper(held_out[:3], rng, digit_height=80)
    bottom, _ = write_on_paper(held_out[3:6], rng, digit_height=80)
    width = max(top.shape[1], bottom.shape[1])
    page = np.vstack([np.pad(part, ((0, 0), (0, width - part.shape[1]), (0, 0)), mode="edge") for part in (top, bottom)])
    reading = recognize(page, predictor, single=False)
    assert len(reading.lines) == 2 and {d.line for d in reading.digits} == {0, 1}
    assert "\n" in reading.text


def scan_of_digits(mnist, indices, size=(6000, 6000), scale=20, left=800, top=2500):
    """A white PNG of ``size`` (width, height) with MNIST test digits pasted in a row, ``scale`` times their
    size, dark on white, and each digit's box (its pixels darker than half) in the PNG's own pixels."""
    page = np.full(size[::-1], 255, np.uint8)
    boxes, x = [], left
    for index in indices:
        digit = np.kron(mnist.x_test[index], np.ones((scale, scale), np.uint8))
        page[top : top + digit.shape[0], x : x + digit.shape[1]] = 255 - digit
        rows, columns = np.nonzero(digit > 127)
        boxes.append((x + columns.min(), top + rows.min(), np.ptp(columns) + 1, np.ptp(rows) + 1))
        x += digit.shape[1] + 200
    buffer = io.BytesIO()
    Image.fromarray(page).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue(), boxes


def test_a_36_megapixel_scan_is_read_with_its_boxes_in_its_own_pixels(predictor, mnist):
    data, boxes = scan_of_digits(mnist, [1, 2, 0])  # 2, 1, 7
    picture = read_picture(data)
    assert picture.pixels.shape == (2000, 2000, 3) and picture.original_size == (6000, 6000)
    for image in (picture, read_image(data)):  # as the command line and as the Upload page read it
        reading = recognize(image, predictor, single=False)
        assert reading.text == "217" and reading.ink.shape == (2000, 2000)  # analysed at a third
        for digit, (x, y, width, height) in zip(reading.digits, boxes):
            # Within an MNIST pixel (20 of the scan's) of where the digit's ink was pasted.
            np.testing.assert_allclose(digit.box, (x, y, width, height), atol=20)


def test_an_image_within_the_budget_is_analysed_as_it_is(predictor, mnist):
    data, boxes = scan_of_digits(mnist, [0], size=(2000, 2000), scale=10, left=700, top=700)
    exact = recognize(read_picture(data), predictor)
    assert exact.ink.shape == (2000, 2000) and exact.text == "7"
    np.testing.assert_allclose(exact.digits[0].box, boxes[0], atol=10)
    data, _ = scan_of_digits(mnist, [0], size=(2001, 2000), scale=10, left=700, top=700)
    shrunk = recognize(read_picture(data), predictor)
    assert shrunk.ink.shape == (1000, 1001) and shrunk.text == "7"
    np.testing.assert_allclose(shrunk.digits[0].box, exact.digits[0].box, atol=3)


def test_at_most_so_many_large_images_are_analysed_at_once_and_small_ones_never_wait(predictor, monkeypatch):
    monkeypatch.setattr(threads, "_workers", ThreadPoolExecutor(max_workers=2))
    counted = AtOnce(preprocess.find_ink)
    monkeypatch.setattr(preprocess, "find_ink", counted)
    large = np.full((1000, 1200), 255, np.uint8)  # 1.2 megapixels: large, within the budget
    run_in_threads(recognize, (large, predictor), 6)
    assert counted.most == 2
    busy = threading.Event()
    for _ in range(2):  # every worker taken, as by two large photos
        threads._workers.submit(busy.wait, 60)
    try:
        small = threading.Thread(target=recognize, args=(np.zeros((280, 280), np.uint8), predictor))
        small.start()
        small.join(timeout=30)
        assert not small.is_alive()  # a canvas drawing is read while large photos wait
    finally:
        busy.set()


def test_turned_inputs_keep_their_ink_and_turn_back():
    from mnist_app.reading.preprocess import turned

    digit = np.zeros((1, 28, 28), np.float32)
    digit[0, 6:22, 12:16] = 1.0  # an upright bar
    assert np.allclose(turned(digit, 0.0), digit)
    there = turned(digit, 10.0)
    assert abs(there.sum() - digit.sum()) < 0.02 * digit.sum()
    assert np.abs(turned(there, -10.0) - digit).mean() < 0.05
    columns = np.nonzero(there[0] > 0.5)[1]
    rows = np.nonzero(there[0] > 0.5)[0]
    assert np.corrcoef(rows, columns)[0, 1] > 0.5  # anticlockwise: the top leans left, the bottom right (rows grow down)
    assert turned(np.zeros((0, 28, 28), np.float32), 10.0).shape == (0, 28, 28)


def _line(widths_by_span: dict[tuple[int, int], int], height: int = 100) -> Line:
    """A line whose candidates are the spans of pieces given, each as wide as given."""
    candidates = tuple(Candidate(first, last, Segment((0, 0, width, height), np.ones((1, 1), bool)))
                       for (first, last), width in widths_by_span.items())
    return Line(max(last for _, last in widths_by_span), candidates, height)


@pytest.mark.parametrize("swallowed", [0.99, 0.9])
def test_a_wide_mark_read_as_no_digit_does_not_swallow_a_digit_beside_it(swallowed):
    """A sure 8, then two touching digits cut into pieces a and b: b reads surely as a digit, a alone and a+b
    together as no digit. The mark a+b is two digits wide; scored as one mark (NO_DIGIT_WEIGHT * 0.9 = 0.45,
    more than 0.35 * 0.99 for a beside b) it would drop b."""
    line = _line({(0, 1): 60, (1, 2): 70, (2, 3): 60, (1, 3): 130})
    scores = candidate_scores(line, np.array([0.99, 0.3, swallowed, 0.1]))
    assert best_grouping(line, list(scores)) == [0, 1, 2]


@pytest.mark.parametrize("width", [40, 70, round(NO_DIGIT_WIDTH * 100)])
def test_a_mark_no_wider_than_a_digit_scores_as_before(width):
    # A letter or a scribble of a digit's width is one mark: NO_DIGIT_WEIGHT * (1 - p), as the tuning assumed.
    line = _line({(0, 1): 60, (1, 2): width})
    np.testing.assert_allclose(candidate_scores(line, np.array([0.99, 0.2]))[1], np.log(0.5 * 0.8))


def test_a_wide_mark_that_is_its_whole_line_scores_as_before():
    # A letter or a scribble alone, wide as it may be, swallows no digit: it stays one mark, not a row of 1s.
    line = _line({(0, 1): 70, (1, 2): 60, (0, 2): 130})
    np.testing.assert_allclose(candidate_scores(line, np.array([0.3, 0.99, 0.1]))[2], np.log(0.5 * 0.9))
