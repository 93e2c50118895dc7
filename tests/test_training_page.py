"""The Training page under AppTest: the active model's curves and card, the versions, a retrain from start to
activation."""

import time

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.apptest import app


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
