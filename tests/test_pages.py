"""The Draw and Upload pages and the sidebar under Streamlit's AppTest (the Training page: test_training_page.py;
Dataset and Evaluation: test_browse_pages.py)."""

import io
import re
import sys
import types

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_app.handwriting.pendigits import draw_like_a_user, write_on_paper
from tests.apptest import app
from ui.navigation import PAGES, page_file


class FakeCanvas:
    """st_canvas as the browser runs it, with strokes the test draws: ``FakeCanvas.draw(image)`` adds a
    stroke whose ink is ``image`` ((H, W, 4) RGBA, white on opaque black), reported at the next run.

    Like the real one it reports nothing on the run that first draws it, and it loads a new initial drawing
    one run late (the browser loads it after the run that sent it). AppTest cannot draw on a custom
    component, and the real one registers its front end only inside a running server; the browser tests
    (tests/e2e) drive the real canvas.
    """

    inks: dict[int, np.ndarray] = {}  # each stroke's ink, by its id
    unsent: list[int] = []  # the strokes drawn since the last run
    shown: dict[str, tuple[int, list]] = {}  # per canvas: the initial drawing it loaded last, and its strokes
    loading: dict[str, tuple[int, list]] = {}  # per canvas: an initial drawing it loads at the next run
    calls: list[dict] = []  # the arguments of every st_canvas call, latest last

    @classmethod
    def draw(cls, ink: np.ndarray) -> None:
        cls.inks[len(cls.inks)] = ink
        cls.unsent.append(len(cls.inks) - 1)

    def __init__(self, **kwargs):
        import streamlit as st

        FakeCanvas.calls.append(kwargs)
        key, initial = kwargs["key"], kwargs["initial_drawing"]
        fresh = key not in FakeCanvas.shown
        if key in FakeCanvas.loading:
            FakeCanvas.shown[key] = FakeCanvas.loading.pop(key)
        loads, objects = FakeCanvas.shown.get(key, (initial["loads"], list(initial["objects"])))
        if loads != initial["loads"]:
            FakeCanvas.loading[key] = (initial["loads"], list(initial["objects"]))
        objects = objects + [FakeCanvas.path(stroke) for stroke in FakeCanvas.unsent]
        FakeCanvas.unsent = []
        FakeCanvas.shown[key] = (loads, objects)
        st.session_state[key] = {"drawing": objects}  # as the component's state is, once it has been drawn
        self.json_data = {"objects": objects}
        self.image_data = None if fresh else self.picture(objects, kwargs["width"], kwargs["height"])

    @staticmethod
    def path(stroke: int) -> dict:
        """A Fabric path as the canvas reports one: its points in canvas pixels (here the diagonal of the
        stroke's ink), left/top its centre."""
        rows, columns = np.nonzero(FakeCanvas.inks[stroke][..., 0] > 127)
        (x0, y0), (x1, y1) = (columns.min(), rows.min()), (columns.max(), rows.max())
        return {"type": "path", "stroke": stroke, "originX": "center", "originY": "center", "left": (x0 + x1) / 2,
                "top": (y0 + y1) / 2, "width": x1 - x0, "height": y1 - y0, "strokeWidth": 18,
                "path": [["M", float(x0), float(y0)], ["L", float(x1), float(y1)]]}

    @staticmethod
    def picture(objects, width: int, height: int) -> np.ndarray:
        inks = [FakeCanvas.inks[stroke["stroke"]] for stroke in objects]
        if not inks:
            blank = np.zeros((height, width, 4), np.uint8)
            blank[..., 3] = 255
            return blank
        return np.maximum.reduce(inks)


@pytest.fixture(autouse=True)
def canvas(monkeypatch):
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", types.SimpleNamespace(st_canvas=FakeCanvas))
    # ui.canvas holds the st_canvas it imported; an earlier AppTest (any page runs Draw first) may have
    # imported it with the real one, so it is imported afresh, with the fake, and put back afterwards.
    monkeypatch.delitem(sys.modules, "ui.canvas", raising=False)
    FakeCanvas.inks, FakeCanvas.unsent, FakeCanvas.shown, FakeCanvas.loading, FakeCanvas.calls = {}, [], {}, {}, []
    return FakeCanvas


def drawn(test, *inks: np.ndarray):
    """Draw strokes on the canvas and run the page, as lifting the pen does."""
    for ink in inks:
        FakeCanvas.draw(ink)
    return test.run()


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
    test = drawn(app(), canvas_image(next(d for d in pen_digits if d.label == 7)))
    prediction = test.main.metric[0]
    assert prediction.label == "Prediction" and prediction.value == "7"
    assert len(test.get("plotly_chart")) == 1 and len(test.get("image")) == 1
    [model_input] = test.get("image")[0].proto.imgs
    assert model_input.url.endswith(".png"), model_input.url  # sharp pixels: not JPEG, which blurs them


def test_draw_page_says_plainly_when_it_is_no_digit(canvas, mnist):
    import cv2

    rgba = canvas_image()
    cv2.line(rgba, (50, 140), (230, 150), (255, 255, 255, 255), 20, cv2.LINE_AA)  # a dash
    test = drawn(app(), rgba)
    assert test.main.metric[0].value == "?" and "does not look like a digit" in test.warning[0].value
    assert len(test.get("plotly_chart")) == 1  # the probabilities still show, all of them low


def test_draw_page_says_when_one_digit_mode_sees_a_number(canvas, mnist, pen_digits):
    from mnist_app.handwriting.pendigits import PenDigit

    four, two = next(d for d in pen_digits if d.label == 4), next(d for d in pen_digits if d.label == 2)
    strokes = (*four.strokes, *(stroke + np.float32([400, 0]) for stroke in two.strokes))
    test = drawn(app(), canvas_image(PenDigit(-1, 0, strokes)))
    assert "This looks like a number, **42**" in test.info[0].value


def test_clear_empties_the_same_canvas_and_shows_no_stale_prediction(canvas, mnist, pen_digits):
    test = drawn(app(), canvas_image(next(d for d in pen_digits if d.label == 7)))
    assert test.main.metric[0].value == "7"
    before = canvas.calls[-1]
    test.button(key="draw_clear").click().run()
    # The component still holds the 7 until it has loaded its new, empty initial drawing and said so.
    after = canvas.calls[-1]
    assert after["key"] == before["key"] and after["initial_drawing"] != before["initial_drawing"]
    assert len(test.main.metric) == 0 and "Draw a digit" in test.info[0].value
    test.run()  # the canvas reports its reset: black, no strokes
    assert len(test.main.metric) == 0 and test.button(key="draw_clear").disabled
    drawn(test, canvas_image(next(d for d in pen_digits if d.label == 3)))  # the next drawing is read again
    assert test.main.metric[0].value == "3"


def test_undo_and_redo_step_through_the_strokes_and_clear_can_be_undone(canvas, mnist, pen_digits):
    seven, three = (canvas_image(next(d for d in pen_digits if d.label == label)) for label in (7, 3))
    test = drawn(app())
    assert test.button(key="draw_undo").disabled and test.button(key="draw_redo").disabled
    drawn(test, seven)
    drawn(test, three)  # a 3 drawn over the 7: two strokes
    both = test.main.metric[0].value
    assert both != "7" and not test.button(key="draw_undo").disabled

    test.button(key="draw_undo").click().run()
    test.run()  # the canvas loads the drawing before the last stroke
    assert test.main.metric[0].value == "7" and not test.button(key="draw_redo").disabled
    test.button(key="draw_redo").click().run()
    test.run()
    assert test.main.metric[0].value == both and test.button(key="draw_redo").disabled

    test.button(key="draw_clear").click().run()
    test.run()
    assert len(test.main.metric) == 0
    test.button(key="draw_undo").click().run()
    test.run()
    assert test.main.metric[0].value == both  # Clear by mistake loses nothing
    drawn(test, seven)  # a new stroke ends what Redo could bring back
    assert test.button(key="draw_redo").disabled


def test_a_change_of_mode_keeps_the_drawing(canvas, mnist, pen_digits):
    test = drawn(app(), canvas_image(next(d for d in pen_digits if d.label == 7)))
    test.segmented_control(key="draw_mode").set_value("A number").run()
    test.run()  # the number canvas, new in the browser, reports the drawing it was given
    assert test.title[0].value == "Draw a number"
    assert test.main.metric[0].value == "7" and test.main.metric[0].delta == "1 digit"
    test.segmented_control(key="draw_mode").set_value("One digit").run()
    test.run()
    assert test.title[0].value == "Draw a digit" and test.main.metric[0].value == "7"


def test_draw_page_number_mode(canvas, mnist, pen_digits):
    photo, _ = write_on_paper(pen_digits[100:103], np.random.default_rng(3))
    test = app()
    test.segmented_control(key="draw_mode").set_value("A number").run()
    drawn(test, 255 - photo)  # light ink on dark, as on the canvas
    assert test.main.metric[0].value == "".join(str(d.label) for d in pen_digits[100:103])
    drawing = test.get("image")[0].proto.imgs[0]
    assert drawing.url.endswith(".png"), drawing.url  # a drawing is sent exact; a photo as JPEG (below)


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def photo_read(digits) -> AppTest:
    """The Upload page after a paper photo of ``digits`` is uploaded, as "number.png"."""
    photo, _ = write_on_paper(digits, np.random.default_rng(8))
    test = app("upload")
    test.get("file_uploader")[0].upload("number.png", png(photo), "image/png")
    return test.run()


def test_upload_page_reads_a_photo_of_a_number(mnist, pen_digits):
    digits = pen_digits[200:204]
    photo, _ = write_on_paper(digits, np.random.default_rng(8))
    test = app("upload")
    assert "Upload a PNG" in test.info[0].value
    test.get("file_uploader")[0].upload("number.png", png(photo), "image/png")
    test.run()
    assert not test.exception
    assert test.main.metric[0].label == "Read" and test.main.metric[0].value == "".join(str(d.label) for d in digits)
    photo = test.get("image")[0].proto.imgs[0]
    assert photo.url.endswith(".jpg"), photo.url


def test_upload_page_says_when_there_is_no_digit(mnist):
    test = app("upload")
    test.get("file_uploader")[0].upload("blank.png", png(np.full((100, 100), 255, np.uint8)), "image/png")
    test.run()
    assert "No digit found" in test.warning[0].value


def test_a_corrupted_active_model_falls_back_with_a_message(mnist, runs_dir):
    from mnist_app.config import Paths
    from mnist_app.models import versions

    (runs_dir / versions.ACTIVE_FILE).write_text('{"id": "20200101-000000"}')
    test = app()
    assert "The active model could not be used" in test.warning[0].value and "mnist-cnn is serving instead" in test.warning[0].value
    assert test.sidebar.markdown[0].value.startswith("**mnist-cnn**")
    assert versions.active_version(Paths.from_env()).problem


@pytest.mark.parametrize("size, shown", [((3000, 4000), (420, 560)), ((4000, 3000), (747, 560)), ((12000, 3), (1460, 1)),
                                         ((300, 200), (300, 200))])
def test_pictures_are_shown_no_taller_and_no_wider_than_the_page_allows(size, shown):
    from ui.screen import shown_size

    assert shown_size(*size) == shown  # a portrait photo no longer pushes what was read off the screen


def test_the_uploaded_photo_and_its_reading_stay_after_another_page_until_removed(mnist, pen_digits):
    test = photo_read(pen_digits[200:204])
    number = test.main.metric[0].value
    test.switch_page(page_file("dataset")).run()
    test.switch_page(page_file("upload")).run()
    assert test.main.metric[0].value == number and "number.png" in test.get("image")[0].proto.imgs[0].caption
    test.button(key="upload_remove").click().run()
    assert not test.main.metric and "Upload a PNG" in test.info[0].value


def test_draw_keeps_its_mode_and_pen_width_after_another_page(canvas, mnist):
    test = app()
    test.segmented_control(key="draw_mode").set_value("A number").run()
    test.slider(key="draw_pen").set_value(30).run()
    test.switch_page(page_file("dataset")).run()
    test.switch_page(page_file("draw")).run()
    assert test.segmented_control(key="draw_mode").value == "A number" and test.slider(key="draw_pen").value == 30
    assert test.title[0].value == "Draw a number" and canvas.calls[-1]["stroke_width"] == 30


def corrections_store():
    from mnist_app.config import Paths
    from mnist_app.corrections import CorrectionStore

    return CorrectionStore(Paths.from_env().corrections_file)


def test_a_wrong_drawing_is_corrected_with_its_strokes_and_the_correction_can_be_undone(canvas, mnist, pen_digits):
    test = drawn(app(), canvas_image(next(d for d in pen_digits if d.label == 7)))
    assert not corrections_store().list()  # nothing is kept unless the visitor presses a digit
    [pills] = [p for p in test.get("button_group") if p.proto.label == "Wrong? It is:"]
    pills.set_value(8).run()  # "it is an 8"
    [kept] = corrections_store().list()
    assert kept.label == 8 and kept.predicted == 7 and kept.source == "canvas" and kept.model_version == "mnist-cnn"
    assert kept.model_input.shape == (28, 28) and kept.crop is not None and kept.session
    [stroke] = kept.strokes  # the pen's path, in canvas pixels, to be drawn again by a retrain
    assert stroke.shape == (2, 2) and 0 <= stroke.min() and stroke.max() <= 280
    assert any("Kept as an **8**" in c.value for c in test.caption)
    [undo] = [b for b in test.button if b.key and re.fullmatch(r"draw_[0-9a-f]{8}_0_undo", b.key)]  # not the canvas's Undo
    undo.click().run()
    assert not corrections_store().list() and any(p.proto.label == "Wrong? It is:" for p in test.get("button_group"))


def test_corrections_are_refused_with_a_message_past_the_session_limit(canvas, mnist, pen_digits, monkeypatch):
    from mnist_app import corrections

    monkeypatch.setattr(corrections.store, "SESSION_LIMIT", 0)
    test = drawn(app(), canvas_image(next(d for d in pen_digits if d.label == 7)))
    [p for p in test.get("button_group") if p.proto.label == "Wrong? It is:"][0].set_value(1).run()
    assert "Not kept: this browser session has sent 0 corrections" in test.warning[0].value
    assert not corrections_store().list()


def test_corrections_are_refused_with_a_message_when_the_database_is_full(canvas, mnist, pen_digits, monkeypatch):
    from mnist_app import corrections

    monkeypatch.setattr(corrections.store, "TOTAL_CAP", 0)
    test = drawn(app(), canvas_image(next(d for d in pen_digits if d.label == 7)))
    [p for p in test.get("button_group") if p.proto.label == "Wrong? It is:"][0].set_value(1).run()
    assert "Not kept: the corrections database is full" in test.warning[0].value and not corrections_store().list()


def test_an_unreadable_corrections_database_is_one_line_and_the_page_works_on(canvas, mnist, pen_digits, runs_dir):
    from mnist_app.config import Paths

    Paths.from_env().corrections_file.write_bytes(b"this is not a database" * 100)
    test = drawn(app(), canvas_image(next(d for d in pen_digits if d.label == 7)))
    [p for p in test.get("button_group") if p.proto.label == "Wrong? It is:"][0].set_value(1).run()
    assert not test.exception and test.main.metric[0].value == "7"
    assert "Corrections cannot be kept right now" in test.error[0].value and "corrections.sqlite" in test.error[0].value


def test_a_photo_digit_is_corrected_without_strokes(mnist, pen_digits):
    test = photo_read(pen_digits[200:203])
    [first] = [p for p in test.get("button_group") if p.proto.label.startswith("The 1st digit")]
    first.set_value(4).run()
    [kept] = corrections_store().list()
    assert kept.source == "photo" and kept.label == 4 and kept.strokes is None and kept.crop.ndim == 2



def test_the_sidebar_links_the_seven_pages_by_their_titles(mnist):
    test = app()
    links = test.sidebar.get("page_link")
    assert [link.proto.label for link in links] == [title for _, title, _ in PAGES]
    assert [link.proto.page for link in links] == ["", "upload", "dataset", "training", "evaluation", "inside", "corrections"]
