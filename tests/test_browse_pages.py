"""The Dataset and Evaluation pages under AppTest."""

import json

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from tests.apptest import app
from ui.wording import percent

PAGE_SIZE = 44  # mistakes to a page (pages/evaluation.py): full rows of four and of eleven


def grid_captions(test: AppTest) -> list[str]:
    return [caption for image in test.get("image") for caption in image.captions]


def sample_captions(test: AppTest) -> list[str]:
    """The captions of the sample grid ("7 · #1242"), without the mean images' ("7")."""
    return [caption for caption in grid_captions(test) if "#" in caption]


def chart_spec(test: AppTest, number: int = 0) -> dict:
    return json.loads(test.get("plotly_chart")[number].proto.spec)


def test_dataset_page_filters_and_shuffles(mnist):
    test = app("dataset")
    test.selectbox(key="dataset_digit").set_value(3).run()
    shown = sample_captions(test)
    assert len(shown) == 44 and all(c.startswith("3 · #") for c in shown)
    # Short enough for one line under an 84-pixel image: "3 · #9999" is the longest a test image gets.
    assert max(map(len, shown)) <= len("3 · #9999")
    threes = int(np.sum(mnist.y_test == 3))
    assert test.caption[0].value == f"{threes:,} threes of 10,000 test images; showing 44 at random, each with its label and index."
    test.button(key="dataset_shuffle").click().run()
    reshuffled = sample_captions(test)
    assert not test.exception and reshuffled != shown and all(c.startswith("3 · #") for c in reshuffled)


def test_dataset_page_says_how_many_of_a_digit_the_split_holds(mnist):
    test = app("dataset")
    assert test.caption[0].value.startswith("10,000 test images; showing 44")
    test.segmented_control(key="dataset_split").set_value("train")
    test.selectbox(key="dataset_digit").set_value(7).run()
    sevens = int(np.sum(mnist.y_train == 7))
    assert test.caption[0].value.startswith(f"{sevens:,} sevens of 60,000 train images; showing 44 at random")
    assert all(c.startswith("7 · #") for c in sample_captions(test))


def test_dataset_page_labels_every_digit_and_shows_the_means_in_one_grid(mnist):
    test = app("dataset")
    assert len(test.get("plotly_chart")) == 1  # the class distribution
    counts = chart_spec(test)
    assert counts["layout"]["xaxis"]["type"] == "category"  # a numeric axis labels only every other digit
    assert [bar["x"] for bar in counts["data"]] == [[str(d) for d in range(10)]] * 2
    # Each grid is one st.image of many pictures, which the browser wraps into rows (not columns, which stack).
    assert [image.captions for image in test.get("image")][-1] == [str(d) for d in range(10)]
    assert len(test.get("image")) == 2


def click_cell(test: AppTest, true: int, predicted: int) -> AppTest:
    """What the browser sends when a cell of the confusion matrix is clicked: the chart's new selection."""
    chart = test.get("plotly_chart")[0].proto
    states = test._tree.get_widget_states()
    point = {"x": predicted, "y": true, "curve_number": 0, "point_number": 10 * true + predicted,
             "point_index": 10 * true + predicted}
    selection = {"points": [point], "point_indices": [point["point_index"]], "box": [], "lasso": []}
    states.widgets.append(WidgetState(id=chart.id, string_value=json.dumps({"selection": selection})))
    return test._run(states)


def outlined_cells(test: AppTest) -> list[tuple[int, int]]:
    """The (true, predicted) cells drawn with a thick outline."""
    trace = chart_spec(test)["data"][0]
    return [(y, x) for x, y, width in zip(trace["x"], trace["y"], trace["marker"]["line"]["width"]) if width > 1]


@pytest.fixture
def evaluation(shipped_model_dir):
    from mnist_app.models.store import read_evaluation

    return read_evaluation(shipped_model_dir)



def test_evaluation_page_filters_mistakes(mnist, evaluation):
    test = app("evaluation")
    assert test.main.metric[0].value == f"{evaluation['accuracy']:.2%}"
    first = evaluation["misclassified"][0]
    test.selectbox(key="evaluation_true").set_value(first["true"])
    test.selectbox(key="evaluation_predicted").set_value(first["predicted"]).run()
    assert not test.exception
    expected = [m for m in evaluation["misclassified"] if m["true"] == first["true"] and m["predicted"] == first["predicted"]]
    assert test.selectbox(key="evaluation_example").options[0].startswith(f"#{expected[0]['index']}:")
    assert len(test.selectbox(key="evaluation_example").options) == min(len(expected), PAGE_SIZE)
    # One grid of short captions ("4 → 9 · 97%"), in the order of the mistakes, worded as every page words them.
    assert grid_captions(test)[: len(expected)] == [f"{m['true']} → {m['predicted']} · {percent(m['confidence'])}" for m in expected[:PAGE_SIZE]]
    assert outlined_cells(test) == [(first["true"], first["predicted"])]


def test_a_clicked_cell_is_forgotten_when_the_filters_go_back_to_any(mnist, evaluation):
    test = app("evaluation")
    assert outlined_cells(test) == []
    click_cell(test, 4, 9)
    assert not test.exception
    assert (test.selectbox(key="evaluation_true").value, test.selectbox(key="evaluation_predicted").value) == (4, 9)
    assert outlined_cells(test) == [(4, 9)]
    selected_chart = test.get("plotly_chart")[0].proto.id
    test.selectbox(key="evaluation_true").set_value("any")
    test.selectbox(key="evaluation_predicted").set_value("any").run()
    assert not test.exception and outlined_cells(test) == []
    # A chart of its own, whose selection is empty: plotly no longer dims the matrix around the old cell.
    assert test.get("plotly_chart")[0].proto.id != selected_chart
    assert test.session_state["evaluation_matrix_any_any"]["selection"]["points"] == []
    # One filter outlines the cells with mistakes in its row.
    test.selectbox(key="evaluation_true").set_value(4).run()
    row = evaluation["confusion_matrix"][4]
    assert outlined_cells(test) == [(4, predicted) for predicted in range(10) if predicted != 4 and row[predicted]]


def test_evaluation_table_shows_every_score_with_two_decimals_on_bars_that_differ(mnist, evaluation):
    test = app("evaluation")
    table = test.dataframe[0]
    assert len(table.value) == 10
    assert table.value["precision"].tolist() == pytest.approx([100 * row["precision"] for row in evaluation["per_class"]])
    columns = json.loads(table.proto.columns)
    lowest = min(100 * row[name] for row in evaluation["per_class"] for name in ("precision", "recall", "f1"))
    for name in ("precision", "recall", "F1"):
        config = columns[name]["type_config"]
        assert config["format"] == "%.2f%%"
        assert int(lowest) - 1 < config["min_value"] <= lowest and config["max_value"] == 100


def test_dataset_page_explains_when_mnist_cannot_be_loaded(monkeypatch, tmp_path):
    import streamlit as st

    st.cache_data.clear()  # MNIST may already be cached by an earlier test
    monkeypatch.setenv("MNIST_PATH", str(tmp_path / "missing.npz"))
    test = app("dataset")
    assert "MNIST could not be loaded" in test.error[0].value and "missing.npz: no such file" in test.error[0].value
    st.cache_data.clear()  # the later tests must not see the failure


def test_a_test_set_other_than_the_evaluated_one_shows_no_mistakes_from_it(mnist, evaluation, tmp_path, monkeypatch):
    # MNIST_PATH names a slice (as the deploy tests' servers do): the evaluation's indices are another set's.
    from ui.resources import mnist_split

    small = tmp_path / "mnist-small.npz"
    np.savez(small, x_train=mnist.x_train[:100], y_train=mnist.y_train[:100], x_test=mnist.x_test[:500], y_test=mnist.y_test[:500])
    monkeypatch.setenv("MNIST_PATH", str(small))
    mnist_split.clear()
    try:
        test = app("evaluation")  # fails on any exception (it was an IndexError)
        assert test.main.metric[0].value == f"{evaluation['accuracy']:.2%}"
        assert any("measured on 10,000 test images, and the MNIST here (MNIST_PATH) has 500" in info.value for info in test.info)
        assert not test.get("image")
        inside = app("inside")
        assert not [button for button in inside.button if button.label == "A random mistake"]
    finally:
        mnist_split.clear()
