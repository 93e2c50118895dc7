"""The safe defaults: Streamlit's own protections switched on, retraining behind a switch and a password,
models and caches loaded without running code from the file. (How the switch and the password are read:
test_config.py; ids only: test_versions.py; MNIST's allow_pickle: test_data.py; hostile uploads:
test_hostile_uploads.py; the server's XSRF check: tests/e2e.)"""

import time
import tomllib
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers
from streamlit.testing.v1 import AppTest

from mnist_app.config import Paths
from mnist_app.models import store, versions
from ui.navigation import page_file

PROJECT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
# The controls that change the server: start, stop, make the new run active, make a listed version active,
# confirm making a worse one active.
CONTROLS = {"training_start", "training_stop", "training_activate_new", "training_make_active", "training_confirm_activate"}


def test_streamlit_config_keeps_xsrf_protection_and_an_upload_limit():
    server = tomllib.loads((PROJECT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["enableXsrfProtection"] is True
    assert 1 <= server["maxUploadSize"] <= 50  # megabytes; images.py refuses files over 50 MiB anyway


# --- Retraining: the switch and the password on the Training page (how they are read: test_config.py) ---


def training_page(secrets: dict | None = None) -> AppTest:
    """A new browser session on the Training page."""
    test = AppTest.from_file(str(PROJECT / "tests" / "app_entry.py"), default_timeout=60)
    test.secrets.update(secrets or {})
    test.switch_page(page_file("training")).run()
    assert not test.exception, [e.message for e in test.exception]
    return test


def controls(test: AppTest) -> set[str]:
    return {widget.key for widget in (*test.button, *test.selectbox)} & {*CONTROLS, "training_version"}


ACTIVE_CHARTS = 6  # the active (shipped) model's curves: loss and accuracy of each of its three networks


def test_without_settings_every_visitor_may_retrain(mnist):
    test = training_page()
    assert controls(test) == {"training_start", "training_make_active", "training_version"}
    assert not test.error and not test.info  # and no secrets file: nothing about secrets on the page


def test_switched_off_the_page_only_shows(mnist, monkeypatch, runs_dir):
    monkeypatch.setenv("RETRAINING", "off")
    test = training_page()
    assert [info.value for info in test.info] == ["Retraining is switched off on this server."]
    assert controls(test) == set() and not test.text_input
    assert len(test.get("plotly_chart")) == ACTIVE_CHARTS and test.main.metric[0].label == "Test accuracy"  # curves and card
    assert len(test.dataframe) == 2  # the versions list (and the layer table)
    assert not any(runs_dir.iterdir())


def unlock(test: AppTest, attempt: str) -> AppTest:
    test.text_input(key="training_password").set_value(attempt)
    test.button(key="training_unlock").click().run()
    assert not test.exception
    return test


def test_an_empty_password_is_asked_for_not_called_wrong(mnist, monkeypatch, runs_dir):
    monkeypatch.setenv("RETRAIN_PASSWORD", PASSWORD)
    test = unlock(training_page(), "")
    assert test.warning[0].value == "Enter the password first." and not test.error
    assert controls(test) == set()


def test_a_wrong_password_is_refused_and_the_right_one_unlocks_this_session(mnist, monkeypatch, runs_dir):
    monkeypatch.setenv("RETRAIN_PASSWORD", PASSWORD)
    test = training_page()
    assert controls(test) == set() and "needs the operator's password" in test.markdown[0].value
    unlock(test, "correct horse")
    assert test.error[0].value == "Wrong password: this stays locked."
    assert controls(test) == set() and not any(runs_dir.iterdir())  # nothing started
    unlock(test, PASSWORD)
    assert not test.error and not test.text_input  # the form is gone
    assert controls(test) == {"training_start", "training_make_active", "training_version"}
    test.run()
    assert "training_start" in controls(test)  # unlocked for the rest of this session...
    assert controls(training_page()) == set()  # ...and only this one


def test_the_password_may_come_from_streamlit_secrets(mnist, monkeypatch):
    monkeypatch.delenv("RETRAIN_PASSWORD", raising=False)
    test = training_page(secrets={"retrain_password": PASSWORD})
    assert controls(test) == set() and test.text_input(key="training_password")
    assert "training_start" in controls(unlock(test, PASSWORD))


def test_an_unreadable_secrets_file_keeps_retraining_closed(mnist, monkeypatch, tmp_path):
    from streamlit import config

    broken = tmp_path / "secrets.toml"
    broken.write_text('retrain_password = "unterminated\n')
    get_option = config.get_option
    monkeypatch.setattr(config, "get_option", lambda key: [str(broken)] if key == "secrets.files" else get_option(key))
    test = training_page()
    assert test.error[0].value.startswith("Retraining is switched off: the secrets file could not be read (Error parsing secrets file")
    assert controls(test) == set() and not test.text_input


def test_a_misspelt_switch_keeps_retraining_closed(mnist, monkeypatch):
    monkeypatch.setenv("RETRAINING", "of")
    test = training_page()
    assert test.error[0].value == "Retraining is switched off: RETRAINING must be on or off, got 'of'."
    assert controls(test) == set()


def _until(test: AppTest, done, what: str, timeout: float = 120) -> AppTest:
    deadline = time.monotonic() + timeout
    while not done(test):
        assert time.monotonic() < deadline, f"{what} did not happen in time"
        time.sleep(0.3)
        test.run()
    return test


@pytest.mark.slow  # the page starts a real training worker, which trains on real MNIST
def test_stop_and_make_active_need_the_password_too(mnist, small_mnist, monkeypatch, tmp_path):
    small = tmp_path / "small.npz"  # as in test_pages.py: a slice of MNIST, so that the job is quick
    np.savez(small, x_train=small_mnist.x_train, y_train=small_mnist.y_train, x_test=small_mnist.x_test, y_test=small_mnist.y_test)
    monkeypatch.setenv("MNIST_PATH", str(small))
    monkeypatch.setenv("RETRAIN_PASSWORD", PASSWORD)
    operator = unlock(training_page(), PASSWORD)
    operator.segmented_control(key="training_architecture").set_value("dense")
    operator.number_input(key="training_epochs").set_value(60)
    operator.button(key="training_start").click().run()

    # A visitor without the password watches the run, read-only, until the first epoch's curves show.
    visitor = _until(training_page(), lambda test: len(test.get("plotly_chart")) == 2 + ACTIVE_CHARTS, "the first epoch")
    assert any(text.value.startswith("**Training run ") for text in visitor.markdown) and visitor.get("progress")
    assert controls(visitor) == set()
    unlock(visitor, PASSWORD)  # the same visitor, with the password, may stop it
    visitor.button(key="training_stop").click().run()

    operator = _until(operator, lambda test: test.info, "the end of the run")
    assert " was stopped after " in operator.info[0].value
    assert controls(operator) == {"training_start", "training_activate_new", "training_make_active", "training_version"}
    run_id = operator.info[0].value.split()[2]
    locked = training_page()
    assert not locked.info and not locked.success  # the outcome is the run's, in the list of versions...
    assert run_id in set(next(frame.value for frame in locked.dataframe if "version" in frame.value.columns)["version"])
    assert controls(locked) == set()  # ...without a way to switch
    locked.session_state["training_pending_activation"] = run_id  # even a confirmation asked for by hand
    locked.run()
    assert controls(locked) == set() and versions.active_version(Paths.from_env()).version.id == "mnist-cnn"


# --- Models: loaded in Keras's safe mode, so a file cannot run code ---


@pytest.fixture
def hostile_model(tmp_path):
    """A model with a Lambda layer whose code writes a file when it runs, and that file's path."""
    marker = tmp_path / "code-from-the-model-file-ran"
    code = eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).write_text('ran'), x)[1]")  # noqa: S307
    inputs = keras.Input(shape=(28, 28), name="image")
    x = layers.Flatten()(layers.Lambda(code)(inputs))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x), name="dense"), marker


def _write(model_dir: Path, model: keras.Model, marker: Path) -> Path:
    card = {"name": "dense", "created": "2026-11-21T10:00:00+00:00", "test": {"accuracy": 0.999, "loss": 0.01, "errors": 1}}
    store.write_model_dir(model_dir, model, card, {})
    marker.unlink(missing_ok=True)  # building the model ran the code, here in the test; loading must not
    return model_dir


def test_a_model_file_with_code_is_refused(hostile_model, tmp_path):
    model, marker = hostile_model
    model_dir = _write(tmp_path / "hostile", model, marker)
    with pytest.raises(ValueError, match="Lambda.*arbitrary code execution"):
        store.load_model_dir(model_dir)
    assert not marker.exists()


def test_an_active_version_with_code_falls_back_to_the_shipped_model(hostile_model):
    from mnist_app.reading.recognize import load_predictor

    model, marker = hostile_model
    paths = Paths.from_env()  # the real shipped model, and this test's own runs folder
    run_dir = _write(versions.new_run_dir(paths, {"epochs": 1}), model, marker)
    versions.write_run_state(run_dir, "finished")
    versions.activate(paths, run_dir.name)
    version, predictor, problem = versions.load_active(paths, load_predictor)  # as the app loads it
    assert version.id == paths.shipped_model and predictor(np.zeros((28, 28))).shape == (1, 10)
    assert problem.startswith(f"The active model {run_dir.name} could not be loaded (ValueError: Requested the deserialization of a `Lambda` layer")
    assert problem.endswith(f"the shipped model {paths.shipped_model} is serving instead.")
    assert not marker.exists()


# --- The pen-digit cache: read without pickle ---


class _RunsWhenUnpickled:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


def test_a_pen_digit_cache_with_pickled_objects_is_refused(training_writers, tmp_path):
    from mnist_app.handwriting.pendigits import cache_key, digits_digest, pen_training_set

    digits, marker = [digit for digit in training_writers if digit.writer == 3], tmp_path / "pickle-ran"
    cache = tmp_path / f"pen-{cache_key(None, digits_digest(digits), 1, 0, 0)}.npz"  # renders, seed, convention renders
    np.savez(cache, images=np.array([_RunsWhenUnpickled(marker)], dtype=object), labels=np.zeros(1, np.uint8))
    with pytest.raises(ValueError, match="Object arrays cannot be loaded when allow_pickle=False"):
        pen_training_set(digits, renders=1, seed=0, cache_dir=tmp_path)
    assert not marker.exists()
