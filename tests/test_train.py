import json
import threading

import numpy as np
import pytest

from mnist_app.config import TrainConfig
from mnist_app.models.model import Predictor
from mnist_app.models.store import CARD_FILE, EVALUATION_FILE, MODEL_FILE, load_model_dir, read_card
from mnist_app.training.progress import Preparation, TrainingHooks
from mnist_app.training.train import TrainingStopped, split_validation, train, training_images


@pytest.mark.slow  # tiny_run: a real model trained on real MNIST (25 s, once for all the tests that use it)
def test_tiny_run_beats_chance_clearly(tiny_run):
    result = tiny_run.result
    assert result.card["test"]["accuracy"] > 0.8  # chance is 0.1


@pytest.mark.slow  # tiny_run: a real model trained on real MNIST
def test_model_directory_has_everything(tiny_run):
    result = tiny_run.result
    directory = result.model_dir
    assert sorted(p.name for p in directory.iterdir()) == sorted([MODEL_FILE, CARD_FILE, EVALUATION_FILE])
    assert not list(directory.parent.glob(".*partial*"))
    card = read_card(directory)
    assert card["command"] == "pytest tiny run"
    assert card["config"]["train_limit"] == 3000 and card["config"]["seed"] == 3
    assert card["epochs_run"] == len(card["history"]) == 3
    assert set(card["history"][0]) >= {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"}
    assert card["train_images"] + card["validation_images"] == 3000 + 3000 // 6  # and drawings that are no digit
    assert card["parameters"] == result.model.count_params()
    assert card["stopped_by_user"] is False
    assert json.loads((directory / EVALUATION_FILE).read_text())["accuracy"] == card["test"]["accuracy"]


@pytest.mark.slow  # tiny_run: a real model trained on real MNIST
def test_saved_model_is_the_trained_model(tiny_run, mnist):
    result = tiny_run.result
    images = mnist.x_test[:64].astype(np.float32) / 255
    np.testing.assert_array_equal(Predictor(result.model)(images), Predictor(load_model_dir(result.model_dir))(images))


@pytest.mark.slow  # tiny_run: a real model trained on real MNIST
def test_progress_reports_every_batch_and_epoch(tiny_run):
    events = tiny_run.progress
    epoch_ends = [event for event in events if event.epoch_done]
    assert [event.epoch for event in epoch_ends] == [1, 2, 3]
    assert "val_accuracy" in epoch_ends[-1].logs and len(epoch_ends[-1].history) == 3
    batches = [event for event in events if not event.epoch_done]
    assert len(batches) == 3 * events[0].batches
    fractions = [event.fraction for event in events]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


@pytest.mark.slow  # tiny_run: a real model trained on real MNIST
def test_the_run_tells_its_stages_and_what_its_preparation_does(tiny_run):
    assert tiny_run.stages == ["preparing", "training", "evaluating", "saving"]
    steps = [step.step for step in tiny_run.preparation]
    assert steps[0] == "Reading the MNIST digits" and steps[-1] == "Building the model"
    # The drawings are counted only while drawn: another test may have drawn (and cached) the same ones first.
    assert "Reading the drawings that are no digit" in steps


@pytest.mark.slow  # tiny_run: a real model trained on real MNIST
def test_a_run_without_corrections_has_no_corrections_figures(tiny_run):
    assert tiny_run.result.card["config"]["corrections_path"] is None and "corrections" not in tiny_run.result.card


@pytest.mark.slow  # tiny_run: a real model trained on real MNIST
def test_learning_rate_warms_up_then_decays(tiny_run):
    rates = [row["learning_rate"] for row in tiny_run.result.card["history"]]
    config = TrainConfig()
    assert rates[0] == pytest.approx(config.learning_rate, rel=0.01)  # end of the one warm-up epoch
    assert rates[0] > rates[1] > rates[2]


def test_stop_before_the_first_epoch_saves_nothing(mnist, tmp_path):
    stop = threading.Event()
    stop.set()
    with pytest.raises(TrainingStopped, match="before the first epoch finished"):
        train(TrainConfig(epochs=2, train_limit=500), tmp_path / "stopped", data=mnist, hooks=TrainingHooks(stop=stop))
    assert list(tmp_path.iterdir()) == []


def _evaluate_on_validation(model_dir, data, config) -> tuple[float, float]:
    """The saved model's loss and accuracy on the run's own validation images, measured as fit measures them."""
    import keras

    from mnist_app.training.train import DigitAccuracy, DigitOrNotLoss

    model = load_model_dir(model_dir)
    model.compile(loss=DigitOrNotLoss(config.non_digit_weight), metrics=[DigitAccuracy(name="accuracy")])
    _, (x_val, y_val) = split_validation(*training_images(data, config), config)
    loss, accuracy = model.evaluate(x_val, y_val, batch_size=32, verbose=0)
    keras.backend.clear_session()
    return loss, accuracy


@pytest.mark.slow  # trains and saves a real model on real MNIST
@pytest.mark.parametrize("epochs", [3, 20])  # early stopping watches from epoch 2 of 3, from epoch 7 of 20
def test_a_stop_in_the_second_epoch_keeps_the_first_whose_figures_the_card_shows(mnist, tmp_path, epochs):
    stop = threading.Event()

    def stop_in_second_epoch(progress):
        if progress.epoch == 2 and progress.batch == 10:
            threading.Thread(target=stop.set).start()

    config = TrainConfig(model="dense", epochs=epochs, train_limit=3000, non_digits=300)
    result = train(config, tmp_path / "run", data=mnist, hooks=TrainingHooks(progress=stop_in_second_epoch, stop=stop))
    card = read_card(result.model_dir)
    assert card["stopped_by_user"] is True and card["stopped_in_epoch"] == 2
    assert card["epochs_run"] == len(card["history"]) == 1  # the second epoch was cut short and is not counted
    history = {row["epoch"]: row for row in card["history"]}
    assert card["best_epoch"] in history  # the kept epoch is one the history shows
    kept = history[card["best_epoch"]]
    loss, accuracy = _evaluate_on_validation(result.model_dir, mnist, config)
    assert accuracy == pytest.approx(kept["val_accuracy"], abs=1e-6)  # and the saved weights are that epoch's
    assert loss == pytest.approx(kept["val_loss"], rel=1e-4)


@pytest.mark.slow  # tiny_run: a real model trained on real MNIST
def test_a_finished_run_keeps_its_best_epoch(tiny_run, mnist):
    result = tiny_run.result
    card = result.card
    losses = [row["val_loss"] for row in card["history"]]
    assert card["best_epoch"] == 1 + losses.index(min(losses)) and card["stopped_in_epoch"] is None
    loss, _ = _evaluate_on_validation(result.model_dir, mnist, TrainConfig.from_record(card["config"]))
    assert loss == pytest.approx(min(losses), rel=1e-4)


def test_the_preparation_says_what_it_draws_and_how_far_it_is(mnist):
    steps = []
    training_images(mnist, TrainConfig(train_limit=1500, non_digits=250), prepare=steps.append)
    assert steps[0] == Preparation("Reading the drawings that are no digit")
    counted = steps[1:]
    assert [step.done for step in counted] == [100, 200, 250] and {step.total for step in counted} == {250}
    assert counted[0].step == "Drawing 250 things that are no digit (taps, scribbles, letters)"
    assert counted[0].fraction == pytest.approx(0.4) and counted[-1].fraction == 1.0


def test_the_pen_drawn_digits_are_counted_while_drawn_and_not_when_cached(mnist, training_writers):
    from tests.conftest import PENDIGITS

    config = TrainConfig(train_limit=600, non_digits=0, pen_path=str(PENDIGITS / "pendigits-orig.tra"), pen_writers=(3,),
                         pen_renders=1, convention_renders=0)
    writer_digits = sum(digit.writer == 3 for digit in training_writers)
    steps = []
    training_images(mnist, config, prepare=steps.append)
    assert steps[0] == Preparation("Reading the pen-drawn digits")
    assert {step.step for step in steps[1:]} == {f"Drawing {writer_digits:,} training digits from pen strokes"}
    assert steps[-1].done == steps[-1].total == writer_digits and len(steps) == 1 + -(-writer_digits // 100)
    steps.clear()
    training_images(mnist, config, prepare=steps.append)  # drawn once: the second time they come from the cache
    assert steps == [Preparation("Reading the pen-drawn digits")]


@pytest.mark.slow  # trains and saves two real models on real MNIST
def test_retraining_replaces_a_model_directory(mnist, tmp_path):
    out = tmp_path / "model"
    train(TrainConfig(model="dense", epochs=1, train_limit=300, augment=False), out, data=mnist)
    train(TrainConfig(model="dense", epochs=1, train_limit=300, augment=False, seed=7), out, data=mnist)
    assert read_card(out)["config"]["seed"] == 7
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # nothing retired or staged is left


def test_validation_split_is_seeded_and_disjoint(mnist):
    config = TrainConfig(train_limit=1000, non_digits=0)
    (x_fit, _), (x_val, _) = split_validation(*training_images(mnist, config), config)
    (x_fit_again, _), _ = split_validation(*training_images(mnist, config), config)
    assert len(x_val) == round(1000 / 12) and len(x_fit) + len(x_val) == 1000
    np.testing.assert_array_equal(x_fit, x_fit_again)
    assert x_fit.dtype == np.float32 and x_fit.max() <= 1.0


@pytest.mark.parametrize(
    "field, value, message",
    [("epochs", 0, "epochs must be a whole number of at least 1"), ("batch_size", 0, "batch_size must be a whole number of at least 1"),
     ("validation_split", 1.0, "validation_split must be between 0 and 1"), ("train_limit", 5, "train_limit must be at least 20")],
)
def test_config_rejects_bad_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{field: value})


def test_the_loss_asks_for_an_even_spread_on_drawings_that_are_no_digit():
    from mnist_app.training.train import NOT_A_DIGIT, DigitAccuracy, DigitOrNotLoss

    probabilities = np.array([[0.7, 0.1] + [0.025] * 8, [0.1] * 10, [0.7, 0.1] + [0.025] * 8], np.float32)
    labels = np.array([0, NOT_A_DIGIT, NOT_A_DIGIT])
    loss = DigitOrNotLoss(weight=0.5)
    per_image = [float(loss(labels[i : i + 1], probabilities[i : i + 1])) for i in range(3)]
    assert per_image[0] == pytest.approx(-np.log(0.7), rel=1e-4)  # a digit: the usual cross-entropy
    assert per_image[1] == pytest.approx(0.5 * np.log(10), rel=1e-4)  # no digit, evenly spread: the least it can be
    assert per_image[2] > per_image[1]  # no digit, but sure of a 0: more
    accuracy = DigitAccuracy()
    accuracy.update_state(np.array([0, 1, NOT_A_DIGIT]), probabilities)
    assert float(accuracy.result()) == pytest.approx(0.5)  # the drawing that is no digit is not counted


def test_drawings_that_are_no_digit_join_the_training_images(mnist):
    from mnist_app.training.train import NOT_A_DIGIT

    images, labels = training_images(mnist, TrainConfig(train_limit=600, non_digits=50))
    assert len(images) == 650 and (labels == NOT_A_DIGIT).sum() == 50
    images, labels = training_images(mnist, TrainConfig(train_limit=600, non_digits=0))
    assert len(images) == 600 and labels.max() < NOT_A_DIGIT


@pytest.fixture
def accepted_corrections(tmp_path, training_writers):
    """A database of 12 accepted corrections: 10 to train on, 2 held out."""
    from mnist_app.corrections import CorrectionStore
    from tests.test_from_corrections import store_correction

    store = CorrectionStore(tmp_path / "corrections.sqlite")
    digits = [digit for digit in training_writers if digit.writer == 27][:12]
    store.accept([store_correction(store, digit, "canvas") for digit in digits])
    return store


@pytest.mark.slow  # trains a real model on real MNIST and corrections: 11 s
def test_a_run_with_corrections_measures_the_held_out_ones_beside_the_active_model(small_mnist, tmp_path, accepted_corrections, shipped_model_dir):
    from mnist_app.reading.recognize import load_predictor
    from mnist_app.training.from_corrections import read_corrections

    config = TrainConfig(epochs=2, batch_size=32, warmup_epochs=0.2, augment=False, seed=2, train_limit=1200, non_digits=200,
                         corrections_path=str(accepted_corrections.location), correction_renders=5)
    result = train(config, tmp_path / "run", data=small_mnist, active=("mnist-cnn", shipped_model_dir))
    card = read_card(result.model_dir)
    _, held_out = read_corrections(accepted_corrections.location)
    shipped = load_predictor(shipped_model_dir)
    active_right = sum(int(shipped(c.model_input / 255).argmax()) == c.label for c in held_out)
    figures = card["corrections"]
    assert {key: figures[key] for key in ("trained_on", "held_out", "active_right", "active_version")} == {
        "trained_on": 10, "held_out": 2, "active_right": active_right, "active_version": "mnist-cnn"}
    new = load_predictor(result.model_dir)
    assert figures["new_right"] == sum(int(new(c.model_input / 255).argmax()) == c.label for c in held_out)
    assert card["train_images"] + card["validation_images"] == 1200 + 200 + 10 * 5  # MNIST, no digit, corrections
    assert card["config"]["corrections_path"] == str(accepted_corrections.location)
