"""The Dataset and Evaluation pages under AppTest."""

from streamlit.testing.v1 import AppTest

from tests.apptest import app


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
