"""The Inside page under AppTest: a drawing carried over from Draw, a photo from Upload, an MNIST index, and a
mistake opened from Evaluation (the browser test: tests/e2e/test_inside.py)."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_app.handwriting.pendigits import write_on_paper
from tests.apptest import app
from tests.test_pages import canvas, canvas_image, drawn, photo_read  # noqa: F401  (canvas: the fake canvas fixture)
from tests.test_training_page import ensemble_version  # noqa: F401  (a fixture)
from ui.navigation import page_file

FEATURE_MAPS = ["Block 1, convolution 1", "Block 1, convolution 2", "Block 2, convolution 1", "Block 2, convolution 2"]


@pytest.fixture(scope="module")
def pen_digits(training_writers):
    return training_writers


def captions(test: AppTest) -> list[str]:
    return [caption for image in test.get("image") for caption in image.captions]


def layer_captions(test: AppTest) -> list[str]:
    """The captions under the feature maps' grids."""
    return [caption.value for caption in test.caption if caption.value.startswith("Block")]


def verdict(test: AppTest) -> str:
    return next(m.value for m in test.markdown if m.value.startswith("Read as"))


def inside(apptest: AppTest, **query: str) -> AppTest:
    """Follow a link to the Inside page with ``query``, as a click on one does."""
    apptest.query_params.update(query)
    return apptest.switch_page(page_file("inside")).run()


def test_a_drawing_is_carried_over_and_explained(canvas, mnist, pen_digits):  # noqa: F811
    test = drawn(app(), canvas_image(next(d for d in pen_digits if d.label == 7)))
    assert test.main.metric[0].value == "7"
    [link] = test.main.get("page_link")
    assert link.proto.page == "inside" and link.proto.query_string == "from=drawing"
    test = inside(test, **{"from": "drawing"})
    assert not test.exception and test.segmented_control(key="inside_source").value == "Your drawing"
    assert verdict(test).startswith("Read as **7**")
    shown = captions(test)
    assert shown[:2] == ["your drawing", "towards 7"] and shown[3].startswith("7 rather than")
    assert [c.split(":")[0] for c in layer_captions(test)] == FEATURE_MAPS
    assert "Block 1, convolution 1: 32 maps of 26x26, strongest first" in layer_captions(test)
    assert any("first convolution's filters" in m.value for m in test.markdown)
    every_model = json.loads(test.get("plotly_chart")[0].proto.spec)["data"][0]
    assert every_model["y"][:2] == ["mnist-cnn (active) → 7 ", "mnist-dense → 7 "] or every_model["y"][0] == "mnist-cnn (active) → 7 "


def test_each_digit_of_a_number_can_be_looked_at(canvas, mnist, pen_digits):  # noqa: F811
    photo, _ = write_on_paper(pen_digits[100:103], np.random.default_rng(3))
    test = app()
    test.segmented_control(key="draw_mode").set_value("A number").run()
    drawn(test, 255 - photo)
    read = test.main.metric[0].value
    test = inside(test, **{"from": "drawing"})
    which = test.selectbox(key="inside_which_Your drawing")
    assert which.options == [
        f"the {n} digit, read as {d}" for n, d in zip(["1st", "2nd", "3rd"], read)]
    which.set_value(2).run()
    assert verdict(test).startswith(f"Read as **{read[2]}**")


def test_the_map_against_any_other_digit(mnist):
    test = app("inside")
    [against] = [group for group in test.get("button_group") if group.proto.label == "Against"]
    runner_up = int(verdict(test).split("then ")[1][0])
    assert against.value == runner_up and captions(test)[2] == f"towards {runner_up}"
    other = next(digit for digit in (1, 3) if digit != runner_up)  # test image #0 is a 7
    against.set_value(other).run()
    assert captions(test)[2:4] == [f"towards {other}", f"7 rather than {other}"]
    assert f"rather than a {other}" in test.caption[0].value


def test_a_photo_is_carried_over(mnist, pen_digits):
    test = photo_read(pen_digits[200:203])
    assert test.main.get("page_link")[0].proto.query_string == "from=photo"
    read = test.main.metric[0].value
    test = inside(test, **{"from": "photo"})
    assert test.segmented_control(key="inside_source").value == "Your photo"
    assert verdict(test).startswith(f"Read as **{read[0]}**")  # the first digit, until another is chosen


def test_any_mnist_test_image_by_its_index(mnist):
    test = app("inside")
    assert not test.get("segmented_control") or "inside_source" not in [c.key for c in test.get("segmented_control")]  # nothing drawn yet: no choice of one
    test.number_input(key="inside_index").set_value(1234).run()
    label = int(mnist.y_test[1234])
    assert captions(test)[0] == f"test image #1234, labelled {label}"
    assert f"it is labelled {label}" in verdict(test)
    test.button[0].click().run()  # "Random"
    assert not test.exception and captions(test)[0].startswith("test image #")


def test_a_mistake_opens_from_the_evaluation_page_with_its_saliency(mnist, shipped_model_dir):
    from mnist_app.models.store import read_evaluation

    test = app("evaluation")
    mistake = test.selectbox(key="evaluation_example").value
    [link] = test.main.get("page_link")
    assert link.proto.query_string == f"test={mistake['index']}&model=mnist-cnn"
    test = inside(test, test=str(mistake["index"]), model="mnist-cnn")
    assert test.number_input(key="inside_index").value == mistake["index"]
    assert verdict(test).startswith(f"Read as **{mistake['predicted']}**")
    assert f"**wrong**, it is labelled {mistake['true']}" in verdict(test)
    assert captions(test)[1:3] == [f"towards {mistake['predicted']}", f"towards {verdict(test).split('then ')[1][0]}"]
    assert not test.query_params  # applied once: the visitor's own choices are not overridden at the next run
    test.number_input(key="inside_index").set_value(0).run()
    assert captions(test)[0].startswith("test image #0,")
    # A random mistake is one the chosen model makes.
    test.button[1].click().run()
    index = int(captions(test)[0].split("#")[1].split(",")[0])
    assert index in {m["index"] for m in read_evaluation(shipped_model_dir)["misclassified"]}


@pytest.mark.parametrize("index", ["10000", "-1", "seven"])
def test_a_link_to_a_test_image_that_is_not_there_says_so(mnist, index):
    test = inside(app(), test=index)
    assert not test.exception and "MNIST's test images are numbered 0 to 9999" in test.error[0].value
    assert captions(test)[0].startswith("test image #0,")  # and the page works on


def test_the_dense_baseline_shows_its_templates(mnist):
    test = inside(app(), model="mnist-dense")
    assert test.selectbox(key="inside_model").value == "mnist-dense"
    assert not layer_captions(test)
    assert captions(test)[-10:] == [str(digit) for digit in range(10)]
    assert any("no convolutions" in c.value for c in test.caption)
    test.segmented_control(key="inside_templates").set_value("For any input").run()
    assert captions(test)[-10:] == [str(digit) for digit in range(10)] and any("all the hidden units" in c.value for c in test.caption)


def test_a_link_to_a_model_that_is_not_there_falls_back_to_the_active_one(mnist):
    test = inside(app(), model="no-such-model")
    assert not test.exception and test.selectbox(key="inside_model").value == "mnist-cnn"


def test_every_version_is_compared_and_one_that_cannot_be_loaded_is_named(mnist, shipped_model_dir, runs_dir):
    import shutil

    shutil.copytree(shipped_model_dir.parent / "mnist-dense", runs_dir / "20200102-000000")  # a run of the baseline
    broken = shutil.copytree(shipped_model_dir, runs_dir / "20200101-000000")
    (broken / "model.keras").write_bytes(b"not a model")
    test = app("inside")
    figure = json.loads(test.get("plotly_chart")[0].proto.spec)["data"][0]
    assert [row.split(" ")[0] for row in figure["y"]] == ["mnist-cnn", "mnist-dense", "20200102-000000"]
    assert figure["text"][1] == figure["text"][2] and figure["y"][1].split(" ")[-2] == figure["y"][2].split(" ")[-2]  # same weights
    assert "Could not be loaded: 20200101-000000" in test.warning[0].value


def test_a_link_from_a_photo_in_a_session_without_one_shows_mnist(mnist):
    test = inside(app(), **{"from": "photo"})
    assert not test.exception and "inside_source" not in [c.key for c in test.get("segmented_control")]  # MNIST alone
    assert not test.run().exception and captions(test)[0].startswith("test image #0,")


def test_an_ensemble_is_explained_whole_and_says_whose_layers_are_shown(ensemble_version):  # noqa: F811
    test = app("inside")
    assert not test.exception and test.selectbox(key="inside_model").value == ensemble_version
    assert any("ensemble of 2 networks trained alike" in c.value and "layers of the first" in c.value for c in test.caption)
    assert captions(test)[-10:] == [str(digit) for digit in range(10)]  # its first member's templates
