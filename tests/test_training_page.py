"""The Training page under AppTest: the active model's curves and card, the versions, the outcome of a run (a
worse model only after a confirmation, and only to the session that watched the run), a retrain from start to
activation."""

import datetime as dt
import json
import re
import shutil
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_app import files
from mnist_app.config import Paths, TrainConfig
from mnist_app.models import locks, store, versions
from tests.apptest import app

SHIPPED = Paths().default_model_dir  # mnist-cnn: an ensemble of 3 networks, 99.71%, 29 test errors


def fake_run(stage: str = "stopped", accuracy: float = 0.9833, errors: int = 167, run_id: str = "20261201-101500"):
    """A run in the runs folder as the worker leaves it: a saved model (the shipped dense one) whose card says it
    was stopped during its second epoch of 3 with these test figures; ``stage`` "training" or "preparing" leaves
    it running (the caller holds the training lock for it, as a worker would)."""
    paths = Paths.from_env()
    run_dir = paths.runs_dir / run_id
    run_dir.mkdir(parents=True)
    config = TrainConfig(epochs=3)
    versions.write_run_state(run_dir, "running", config=json.loads(json.dumps(config.__dict__, default=list)),
                             started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), stage=stage)
    if stage in ("training", "preparing"):
        return run_dir
    finish_run(run_dir, stage, accuracy, errors)
    return run_dir


def finish_run(run_dir, stage: str = "stopped", accuracy: float = 0.9833, errors: int = 167) -> None:
    dense = SHIPPED.parent / "mnist-dense"
    card = store.read_card(dense) | {"epochs_run": 1, "best_epoch": 1, "stopped_by_user": stage == "stopped",
                                     "stopped_in_epoch": 2 if stage == "stopped" else None,
                                     "test": {"accuracy": accuracy, "loss": 0.05, "errors": errors}}
    card["history"] = card["history"][:1]
    for name in (store.MODEL_FILE, store.EVALUATION_FILE):
        shutil.copy(dense / name, run_dir / name)
    (run_dir / store.CARD_FILE).write_text(json.dumps(card))
    versions.write_run_state(run_dir, stage, ended_at=time.time())


@pytest.fixture
def training_lock():
    lock = locks.training_lock(Paths.from_env())
    assert lock.acquire()
    yield lock
    lock.release()


def active_id() -> str:
    return versions.active_version(Paths.from_env()).version.id


def run_table(test: AppTest, run_id: str) -> dict:
    table = next(frame.value for frame in test.dataframe if "version" in frame.value.columns)
    return table[table["version"] == run_id].iloc[0].to_dict()


def test_training_page_shows_curves_card_and_versions(mnist):
    test = app("training")
    assert [m.label for m in test.main.metric][:2] == ["Test accuracy", "Test loss"]
    assert [tab.label for tab in test.tabs] == ["Member 1 (seed 1)", "Member 2 (seed 2)", "Member 3 (seed 3)"]  # the shipped ensemble
    charts = test.get("plotly_chart")
    assert len(charts) == 6 and all(json.loads(chart.proto.config)["displayModeBar"] is False for chart in charts)
    loss_axis = json.loads(charts[0].proto.spec)["layout"]["yaxis"]
    assert loss_axis["type"] == "log" and 2 <= len(loss_axis["ticktext"]) <= 6  # round values, not every minor tick
    assert test.selectbox(key="training_version").options == ["mnist-cnn", "mnist-dense"]
    assert test.button(key="training_make_active").disabled  # the active one is chosen
    card = next(m.value for m in test.markdown if m.value.startswith("- **Version:**"))
    assert "| |" not in card and "/" not in card.replace("https://", "")  # no empty table header, no file path
    assert re.search(r"\*\*Trained:\*\* \d{1,2} [A-Z][a-z]{2} 20\d\d, \d\d:\d\d, in ", card)  # not an ISO time
    assert "**Pen-drawn digits:** UCI pen-based handwritten digits (Turkey), writers 1-24" in card
    assert [t.label for t in test.toggle] == ["Augment", "Activate if better"] and all(t.help for t in test.toggle)


def test_a_worse_run_is_offered_only_after_a_confirmation_to_the_session_that_watched_it(mnist, training_lock):
    run_dir = fake_run(stage="training")
    watcher = app("training")
    assert watcher.markdown[0].value.startswith("**Training run 20261201-101500**")
    finish_run(run_dir)
    training_lock.release()
    watcher.run()
    assert re.fullmatch(r"Training run 20261201-101500 was stopped after \d+ s, during epoch 2 of 3; "
                        r"it keeps epoch 1, the only finished one\.", watcher.info[0].value)
    button = watcher.button(key="training_activate_new")
    assert button.label == "Make 20261201-101500 active…" and button.proto.type == "secondary"
    button.click().run()
    assert active_id() == "mnist-cnn" and not watcher.exception  # the click only asks
    question = " ".join(m.value for m in watcher.markdown)
    assert "98.33% of the 10,000 test digits right, 1.38 points less than the active mnist-cnn (99.71%): 167 test errors against 29" in question
    assert "Every visitor of this app, on every server, gets **20261201-101500**" in question
    assert watcher.button(key="training_keep_active").proto.type == "primary"  # keeping the active model is the obvious choice
    watcher.button(key="training_keep_active").click().run()
    assert active_id() == "mnist-cnn" and not [b for b in watcher.button if b.key == "training_confirm_activate"]
    watcher.button(key="training_activate_new").click().run()
    watcher.button(key="training_confirm_activate").click().run()
    assert active_id() == "20261201-101500"
    assert [t.value for t in watcher.toast] == ["20261201-101500 is now the active model for every visitor."]
    watcher.run()
    assert watcher.info[-1].value == "The new model is active."


def test_a_fresh_session_finds_the_outcome_in_the_versions_list_not_in_a_banner(mnist):
    fake_run()
    fresh = app("training")
    assert not fresh.success and not fresh.info and not fresh.warning
    assert not [b for b in fresh.button if b.key == "training_activate_new"]
    row = run_table(fresh, "20261201-101500")
    assert (row["state"], row["test accuracy"], row["vs active"], row["test errors"], row["epochs"]) == \
        ("stopped early", "98.33%", "-1.38", "167", "1, kept 1")
    fresh.selectbox(key="training_version").set_value("20261201-101500").run()
    assert fresh.button(key="training_make_active").label == "Make active…"
    assert any("1.38 points less than the active mnist-cnn" in c.value for c in fresh.caption)
    fresh.button(key="training_make_active").click().run()
    assert active_id() == "mnist-cnn" and fresh.button(key="training_confirm_activate")


def test_a_better_run_is_a_direct_primary_action(mnist, training_lock):
    run_dir = fake_run(stage="training")
    watcher = app("training")
    finish_run(run_dir, stage="finished", accuracy=0.9990, errors=10)
    training_lock.release()
    watcher.run()
    assert watcher.success[0].value.startswith("Training run 20261201-101500 finished after ")
    button = watcher.button(key="training_activate_new")
    assert button.label == "Make 20261201-101500 active" and button.proto.type == "primary"
    button.click().run()
    assert active_id() == "20261201-101500"


def test_a_preparing_run_says_what_it_draws_and_how_far_it_is(mnist, training_lock):
    run_dir = fake_run(stage="preparing")
    files.write_json_atomically(run_dir / "preparation.json",
                                   {"step": "Drawing 12,000 training digits from pen strokes", "done": 4100, "total": 12000})
    test = app("training")
    bar = test.get("progress")[0]
    assert bar.proto.text == "Drawing 12,000 training digits from pen strokes: 4,100 of 12,000" and bar.proto.value == 34
    row = run_table(test, "20261201-101500")
    assert row["state"] == "training…" and row["test accuracy"] == "training…"
    assert "None" not in {str(value) for value in row.values()} and row["created"]
    title, stop = test.columns[0], test.columns[1]  # Stop beside the run's title, above what grows below it
    assert title.markdown[0].value.startswith("**Training run 20261201-101500**") and stop.button[0].key == "training_stop"


def _wait_for_job_end(test: AppTest, timeout: float = 180) -> AppTest:
    deadline = time.monotonic() + timeout
    while not test.success and not test.error and not test.warning and not test.info:
        assert time.monotonic() < deadline, "the training job did not end in time"
        time.sleep(0.5)
        test.run()
    return test


@pytest.mark.slow  # the page starts a real training worker, which trains on real MNIST
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
    assert " was stopped after " in first.info[0].value and "of 60; it keeps epoch " in first.info[0].value
    run_id = first.info[0].value.split()[2]
    assert first.metric[0].label == f"New: {run_id}" and first.metric[1].label == "Active: mnist-cnn"
    assert run_id in first.selectbox(key="training_version").options
    first.button(key="training_activate_new").click().run()  # a dense model on 1,200 images is worse: it asks
    first.button(key="training_confirm_activate").click().run()
    assert not first.exception
    first.run()  # AppTest shows the run that called st.rerun(), not the rerun itself
    assert first.info[-1].value == "The new model is active." and first.metric[1].label == f"Active: {run_id}"
    fresh = app()  # every session switches at its next run
    assert fresh.sidebar.markdown[0].value.startswith(f"**{run_id}** · DENSE")
    assert fresh.sidebar.metric[0].value == first.metric[0].value  # the new model's test accuracy


def test_the_retrain_says_it_learns_from_accepted_corrections(mnist):
    from mnist_app.config import Paths
    from mnist_app.corrections import CorrectionStore

    caption = lambda test: next(c.value for c in test.caption if c.value.startswith("Trains on MNIST"))  # noqa: E731
    assert "corrections" not in caption(app("training"))
    store = CorrectionStore(Paths.from_env().corrections_file)
    store.accept([store.add(session="s", label=7, predicted=3, confidence=0.6, model_version="mnist-cnn", source="photo",
                            model_input=np.zeros((28, 28), np.uint8))])
    assert "plus the corrections visitors sent that were accepted" in caption(app("training"))


def test_the_retrain_names_each_collection_of_pen_digits_it_learns_from(monkeypatch, tmp_path):
    caption = lambda test: next(c.value for c in test.caption if c.value.startswith("Trains on MNIST"))  # noqa: E731
    assert "only (PENDIGITS_PATH=none and no UJIPEN_PATH: no pen-drawn digits)" in caption(app("training"))
    uji = tmp_path / "uji.txt"
    uji.write_text("")  # named, not read, by the page
    monkeypatch.setenv("UJIPEN_PATH", str(uji))  # pendigits stays none (the tests' default)
    text = caption(app("training"))
    assert "UJI Pen Characters (Spain), writers 1-9, 17" in text and "UCI pen-based" not in text


@pytest.fixture
def ensemble_version(mnist, runs_dir, tmp_path) -> str:
    """An active version that is an ensemble of two dense baselines (the second's card says seed 2)."""
    from mnist_app.training.ensemble import combine

    second = shutil.copytree(SHIPPED.parent / "mnist-dense", tmp_path / "second")
    card = store.read_card(second)
    card["config"]["seed"] = 2
    (second / store.CARD_FILE).write_text(json.dumps(card))
    combine([SHIPPED.parent / "mnist-dense", second], runs_dir / "20261207-120000", data=mnist)
    versions.activate(Paths.from_env(), "20261207-120000")
    return "20261207-120000"


def test_an_ensemble_shows_each_member_s_curves_and_epochs(ensemble_version):
    test = app("training")
    assert not test.exception
    assert [tab.label for tab in test.tabs] == ["Member 1 (seed 1)", "Member 2 (seed 2)"]
    assert len(test.get("plotly_chart")) == 4
    epochs = next(m for m in test.main.metric if m.label == "Epochs")
    assert epochs.value == "46" and "kept: 15, 15" in str(epochs.proto.delta)  # both networks' epochs, the one each kept
    card = next(m.value for m in test.markdown if m.value.startswith("- **Version:**"))
    assert "an ensemble of 2 networks trained alike" in card and "seed 2: 23 epochs, keeping 15" in card
    assert run_table(test, ensemble_version)["epochs"] == "23 + 23, kept 15, 15"
