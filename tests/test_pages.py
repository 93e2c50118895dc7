"""Every page under Streamlit's AppTest: it runs without exception and shows its key elements."""

import io
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_app.pendigits import draw_like_a_user, write_on_paper

PROJECT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def app(page: str | None = None) -> AppTest:
    test = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT).run()
    if page is not None:
        test.switch_page(f"app_pages/{page}.py").run()
    assert not test.exception, [e.message for e in test.exception]
    return test


class FakeCanvas:
    """What st_canvas returns, with a drawing the test chooses.

    AppTest cannot draw on a custom component, and the real one registers its front end only inside a
    running server; the browser tests (tests/e2e) drive the real canvas.
    """

    drawing: np.ndarray | None = None
    calls: list[dict] = []  # the arguments of every st_canvas call, latest last

    def __init__(self, *args, **kwargs):
        FakeCanvas.calls.append(kwargs)
        self.image_data = FakeCanvas.drawing
        strokes = FakeCanvas.drawing is not None and FakeCanvas.drawing[..., :3].any()
        self.json_data = {"objects": [{"type": "path"}] if strokes else []}


@pytest.fixture(autouse=True)
def canvas(monkeypatch):
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", types.SimpleNamespace(st_canvas=FakeCanvas))
    FakeCanvas.drawing = None
    FakeCanvas.calls = []
    return FakeCanvas


@pytest.fixture(scope="module")
def pen_digits(training_writers):
    return training_writers


def test_sidebar_shows_the_active_model(mnist):
    test = app()
    assert test.sidebar.metric[0].label == "MNIST test accuracy"
    assert test.sidebar.metric[0].value.endswith("%")


def test_draw_page_invites_to_draw_when_empty(canvas, mnist):
    test = app()
    assert "Draw a digit" in test.info[0].value
    assert len(test.main.metric) == 0


def canvas_image(digit=None) -> np.ndarray:
    """(280, 280, 4) RGBA as the canvas sends it: ``digit`` drawn like a user draws, white on opaque black."""
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255
    if digit is not None:
        rgba[..., :3] = draw_like_a_user(digit, np.random.default_rng(0))[..., np.newaxis]
    return rgba


def test_draw_page_reads_a_drawing(canvas, mnist, pen_digits):
    canvas.drawing = canvas_image(next(d for d in pen_digits if d.label == 7))
    test = app()
    prediction = test.main.metric[0]
    assert prediction.label == "Prediction" and prediction.value == "7"
    assert len(test.get("plotly_chart")) == 1 and len(test.get("image")) == 1


def test_draw_page_says_plainly_when_it_is_no_digit(canvas, mnist):
    import cv2

    rgba = canvas_image()
    cv2.line(rgba, (50, 140), (230, 150), (255, 255, 255, 255), 20, cv2.LINE_AA)  # a dash
    canvas.drawing = rgba
    test = app()
    assert test.main.metric[0].value == "?" and "does not look like a digit" in test.warning[0].value
    assert len(test.get("plotly_chart")) == 1  # the probabilities still show, all of them low


def test_draw_page_says_when_one_digit_mode_sees_a_number(canvas, mnist, pen_digits):
    from mnist_app.pendigits import PenDigit

    four, two = next(d for d in pen_digits if d.label == 4), next(d for d in pen_digits if d.label == 2)
    strokes = (*four.strokes, *(stroke + np.float32([400, 0]) for stroke in two.strokes))
    canvas.drawing = canvas_image(PenDigit(-1, 0, strokes))
    test = app()
    assert "This looks like a number, **42**" in test.info[0].value


def test_clear_empties_the_same_canvas_and_shows_no_stale_prediction(canvas, mnist, pen_digits):
    drawn = canvas_image(next(d for d in pen_digits if d.label == 7))
    canvas.drawing = drawn
    test = app()
    assert test.main.metric[0].value == "7"
    before = canvas.calls[-1]
    test.button(key="draw_clear").click().run()
    # The component still holds the 7 until it has reloaded its new, empty initial drawing and said so.
    after = canvas.calls[-1]
    assert after["key"] == before["key"] and after["initial_drawing"] != before["initial_drawing"]
    assert len(test.main.metric) == 0 and "Draw a digit" in test.info[0].value
    canvas.drawing = canvas_image()  # the canvas reports its reset: black, no strokes
    test.run()
    assert len(test.main.metric) == 0
    canvas.drawing = drawn  # the next drawing is read again
    test.run()
    assert test.main.metric[0].value == "7"


def test_draw_page_number_mode(canvas, mnist, pen_digits):
    photo, _ = write_on_paper(pen_digits[100:103], np.random.default_rng(3))
    canvas.drawing = 255 - photo  # light ink on dark, as on the canvas
    test = app()
    test.segmented_control(key="draw_mode").set_value("A number").run()
    assert test.main.metric[0].value == "".join(str(d.label) for d in pen_digits[100:103])


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_page_reads_a_photo_of_a_number(mnist, pen_digits):
    digits = pen_digits[200:204]
    photo, _ = write_on_paper(digits, np.random.default_rng(8))
    test = app("upload")
    assert "Upload a PNG" in test.info[0].value
    test.get("file_uploader")[0].upload("number.png", png(photo), "image/png")
    test.run()
    assert not test.exception
    assert test.main.metric[0].label == "Read" and test.main.metric[0].value == "".join(str(d.label) for d in digits)


def test_upload_page_says_when_there_is_no_digit(mnist):
    test = app("upload")
    test.get("file_uploader")[0].upload("blank.png", png(np.full((100, 100), 255, np.uint8)), "image/png")
    test.run()
    assert "No digit found" in test.warning[0].value


def grid_captions(test: AppTest) -> list[str]:
    return [caption for image in test.get("image") for caption in image.captions]


def test_dataset_page_filters_and_shuffles(mnist):
    test = app("dataset")
    test.selectbox(key="dataset_digit").set_value(3).run()
    shown = [c for c in grid_captions(test) if c.startswith("#")]
    assert len(shown) == 48 and all(c.endswith("· 3") for c in shown)
    test.button(key="dataset_shuffle").click().run()
    reshuffled = [c for c in grid_captions(test) if c.startswith("#")]
    assert not test.exception and reshuffled != shown and all(c.endswith("· 3") for c in reshuffled)
    assert len(test.get("plotly_chart")) == 1  # the class distribution


def test_training_page_shows_curves_card_and_versions(mnist):
    test = app("training")
    assert [m.label for m in test.main.metric][:2] == ["Test accuracy", "Test loss"]
    assert len(test.get("plotly_chart")) == 2
    assert test.selectbox(key="training_version").options == ["mnist-cnn", "mnist-dense"]
    assert test.button(key="training_make_active").disabled  # the active one is chosen


def _wait_for_job_end(test: AppTest, timeout: float = 180) -> AppTest:
    deadline = time.monotonic() + timeout
    while not test.success and not test.error and not test.warning:
        assert time.monotonic() < deadline, "the training job did not end in time"
        time.sleep(0.5)
        test.run()
    return test


def test_training_page_retrains_shows_progress_and_activates(mnist, small_mnist, monkeypatch, tmp_path):
    small = tmp_path / "small.npz"
    np.savez(small, x_train=small_mnist.x_train, y_train=small_mnist.y_train, x_test=small_mnist.x_test, y_test=small_mnist.y_test)
    monkeypatch.setenv("MNIST_PATH", str(small))
    first = app("training")
    first.segmented_control(key="training_architecture").set_value("dense")
    first.number_input(key="training_epochs").set_value(60)
    first.selectbox(key="training_batch_size").set_value(32)
    first.button(key="training_start").click().run()
    assert not first.exception
    assert first.markdown[0].value.startswith("**Training run ") and "DENSE, up to 60 epochs, batch 32" in first.markdown[0].value

    # A second visitor sees the same job, with no way to start another, and stops it.
    second = app("training")
    assert second.markdown[0].value == first.markdown[0].value
    assert not [b for b in second.button if b.key == "training_start"]
    deadline = time.monotonic() + 60
    while any(c.value.startswith("The loss and accuracy curves appear") for c in second.caption):
        assert time.monotonic() < deadline, "no epoch finished in time"
        time.sleep(0.3)
        second.run()
    second.button(key="training_stop").click().run()

    _wait_for_job_end(first)
    assert not first.error and not first.warning, [e.value for e in (*first.error, *first.warning)]
    assert "stopped early" in first.success[0].value
    run_id = first.success[0].value.split()[2]
    assert first.metric[0].label == f"New: {run_id}" and first.metric[1].label == "Active: mnist-cnn"
    assert run_id in first.selectbox(key="training_version").options
    first.button(key="training_activate_new").click().run()
    assert not first.exception
    first.run()  # AppTest shows the run that called st.rerun(), not the rerun itself
    assert first.info[0].value == "The new model is active." and first.metric[1].label == f"Active: {run_id}"
    fresh = app()  # every session switches at its next run
    assert fresh.sidebar.markdown[0].value.startswith(f"**{run_id}** · DENSE")
    assert fresh.sidebar.metric[0].value == first.metric[0].value  # the new model's test accuracy


def test_a_corrupted_active_model_falls_back_with_a_message(mnist, runs_dir):
    from mnist_app import versions
    from mnist_app.config import Paths

    (runs_dir / versions.ACTIVE_FILE).write_text('{"id": "20200101-000000"}')
    test = app()
    assert "The active model could not be used" in test.warning[0].value and "mnist-cnn is serving instead" in test.warning[0].value
    assert test.sidebar.markdown[0].value.startswith("**mnist-cnn**")
    assert versions.active_version(Paths.from_env()).problem


def test_evaluation_page_filters_mistakes(mnist, shipped_model_dir):
    from mnist_app.store import read_evaluation

    evaluation = read_evaluation(shipped_model_dir)
    test = app("evaluation")
    assert test.main.metric[0].value == f"{evaluation['accuracy']:.2%}"
    first = evaluation["misclassified"][0]
    test.selectbox(key="evaluation_true").set_value(first["true"])
    test.selectbox(key="evaluation_predicted").set_value(first["predicted"]).run()
    assert not test.exception
    expected = [m for m in evaluation["misclassified"] if m["true"] == first["true"] and m["predicted"] == first["predicted"]]
    assert test.selectbox(key="evaluation_example").options[0].startswith(f"#{expected[0]['index']}:")
    assert len(test.selectbox(key="evaluation_example").options) == min(len(expected), 24)


def test_dataset_page_explains_when_mnist_cannot_be_loaded(monkeypatch, tmp_path):
    import streamlit as st

    st.cache_data.clear()  # MNIST may already be cached by an earlier test
    monkeypatch.setenv("MNIST_PATH", str(tmp_path / "missing.npz"))
    test = app("dataset")
    assert "MNIST could not be loaded" in test.error[0].value and "missing.npz: no such file" in test.error[0].value
    st.cache_data.clear()  # the later tests must not see the failure
