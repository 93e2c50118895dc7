import json
import shutil

import keras
import numpy as np
import pytest

from mnist_app.cli.main import main
from mnist_app.config import TrainConfig
from mnist_app.models.model import Predictor, load_model, make_ensemble, make_model, members_of, save_model
from mnist_app.models.store import CARD_FILE, load_model_dir, read_card, read_evaluation
from mnist_app.training.ensemble import combine
from mnist_app.training.evaluate import predict_in_batches, report
from mnist_app.training.train import train


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).random((12, 28, 28), dtype=np.float32)


def _mean_of(members, images):
    return np.mean([np.asarray(member(images, training=False)) for member in members], axis=0)


def test_an_ensemble_answers_the_mean_of_its_members(images):
    keras.utils.set_random_seed(4)
    members = [make_model("cnn"), make_model("cnn"), make_model("dense")]
    ensemble = make_ensemble(members)
    np.testing.assert_allclose(np.asarray(ensemble(images, training=False)), _mean_of(members, images), atol=1e-7)
    np.testing.assert_allclose(Predictor(ensemble)(images), _mean_of(members, images), atol=1e-6)  # through TensorFlow Lite
    assert [member.name for member in members_of(ensemble)] == ["member_1", "member_2", "member_3"]
    assert ensemble.count_params() == sum(member.count_params() for member in members)


def test_a_saved_ensemble_reloads_with_its_members(images, tmp_path):
    keras.utils.set_random_seed(5)
    ensemble = make_ensemble([make_model("cnn"), make_model("cnn")])
    save_model(ensemble, tmp_path / "model.keras")
    reloaded = load_model(tmp_path / "model.keras")  # safe mode: nested models need no code from the file
    np.testing.assert_array_equal(Predictor(reloaded)(images), Predictor(ensemble)(images))
    assert len(members_of(reloaded)) == 2


def test_a_single_network_is_its_own_member():
    model = make_model("dense")
    assert members_of(model) == [model]


def test_an_ensemble_needs_two_different_models():
    model = make_model("dense")
    with pytest.raises(ValueError, match="at least two models, got 1"):
        make_ensemble([model])
    with pytest.raises(ValueError, match="the same one twice adds nothing"):
        make_ensemble([model, model])


@pytest.fixture(scope="module")
def member_dirs(mnist, tmp_path_factory):
    """Two small dense networks, alike but for their seeds, trained on a slice of MNIST."""
    root = tmp_path_factory.mktemp("members")
    directories = []
    for seed in (1, 2):
        config = TrainConfig(model="dense", epochs=1, train_limit=2000, augment=False, non_digits=0, seed=seed)
        directories.append(train(config, root / f"seed-{seed}", data=mnist, command=f"train seed {seed}").model_dir)
    return directories


@pytest.mark.slow  # two networks trained on real MNIST, then the ensemble evaluated on its 10,000 test images
def test_combine_writes_an_ensemble_with_its_members_record(member_dirs, mnist, tmp_path):
    result = combine(member_dirs, tmp_path / "ensemble", data=mnist, command="ensemble them")
    card = read_card(result.model_dir)
    assert card["name"] == "dense ensemble" and card["command"] == "ensemble them"
    assert [member["seed"] for member in card["members"]] == [1, 2]
    assert [member["command"] for member in card["members"]] == ["train seed 1", "train seed 2"]
    assert card["epochs_run"] == 2 and card["train_seconds"] == pytest.approx(sum(m["train_seconds"] for m in card["members"]), abs=0.2)
    # Checked against the members themselves, not against the ensemble: the mean of their probabilities.
    members = [Predictor(load_model_dir(directory)) for directory in member_dirs]
    probabilities = np.mean([predict_in_batches(member, mnist.x_test) for member in members], axis=0)
    expected = report(probabilities, mnist.y_test)
    assert card["test"]["errors"] == len(expected["misclassified"])
    assert card["test"]["accuracy"] == pytest.approx(expected["accuracy"])
    assert read_evaluation(result.model_dir)["confusion_matrix"] == expected["confusion_matrix"]
    assert card["calibration"] is None  # no pen-drawn writers: none held out to calibrate on


@pytest.mark.slow  # as above, plus a third member
def test_an_ensemble_combined_with_another_model_counts_its_members(member_dirs, mnist, tmp_path):
    pair = combine(member_dirs, tmp_path / "pair", data=mnist).model_dir
    shutil.copytree(member_dirs[0], tmp_path / "third")
    card = json.loads((tmp_path / "third" / CARD_FILE).read_text())
    card["config"]["seed"] = 3
    (tmp_path / "third" / CARD_FILE).write_text(json.dumps(card))
    result = combine([pair, tmp_path / "third"], tmp_path / "three", data=mnist)
    assert [member["seed"] for member in result.card["members"]] == [1, 2, 3] and result.card["name"] == "dense ensemble"
    assert len(members_of(load_model_dir(result.model_dir))) == 3


@pytest.mark.slow  # two networks trained on real MNIST
@pytest.mark.parametrize(("setting", "value"), [("pen_writers", [1, 2, 3]), ("uji_path", "/elsewhere/ujipen-digits.txt")])
def test_members_trained_on_other_writers_are_refused(member_dirs, mnist, tmp_path, setting, value):
    other = tmp_path / "other"
    shutil.copytree(member_dirs[1], other)
    card = json.loads((other / CARD_FILE).read_text())
    card["config"][setting] = value
    (other / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ValueError, match=rf"other writers than .*\({setting} differ\)"):
        combine([member_dirs[0], other], tmp_path / "ensemble", data=mnist)
    assert not (tmp_path / "ensemble").exists()


def test_the_same_file_reached_by_another_path_is_the_same_writers(member_dirs, tmp_path):
    from mnist_app.training.ensemble import _check_same_writers

    first, second = read_card(member_dirs[0]), read_card(member_dirs[1])
    first["config"]["pen_path"], second["config"]["pen_path"] = "../shared/pendigits-orig.tra", "/data/pendigits-orig.tra"
    _check_same_writers(member_dirs, [first, second])  # no error


@pytest.mark.slow  # two networks trained on real MNIST
def test_the_cli_combines_versions_into_a_new_one_and_activates_it(member_dirs, mnist, runs_dir, capsys):
    for directory in member_dirs:
        shutil.copytree(directory, runs_dir / f"20260101-00000{directory.name[-1]}")
    assert main(["ensemble", "20260101-000001", "20260101-000002", "--activate"]) == 0
    text = capsys.readouterr().out
    assert "combining 2 models into" in text and "errors (its 2 members alone: " in text
    created = [path for path in runs_dir.iterdir() if path.is_dir() and path.name not in {"20260101-000001", "20260101-000002"}]
    assert len(created) == 1 and f"active model: {created[0].name}" in text
    card = read_card(created[0])
    assert card["command"] == "python -m mnist_app ensemble 20260101-000001 20260101-000002 --activate"
    assert main(["models"]) == 0
    assert f"* {created[0].name}" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["ensemble", "mnist-cnn"], "an ensemble needs at least two model versions"),
    (["ensemble", "mnist-cnn", "mnist-cnn"], "'mnist-cnn' is named twice"),
    (["ensemble", "mnist-cnn", "20990101-000000"], "there is no model version '20990101-000000'"),
    (["ensemble", "mnist-cnn", "../mnist-dense"], "'../mnist-dense' is not a model version id"),
    (["ensemble", "mnist-cnn", "mnist-dense", "--out", "x", "--activate"], "--activate makes a new version active"),
])
def test_the_cli_refuses_what_cannot_be_combined_in_one_line(args, message, capsys):
    assert main(args) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and error.count("\n") == 1
