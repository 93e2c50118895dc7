from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
import pytest

from mnist_app.models.model import (
    ARCHITECTURES,
    INTERPRETER_BATCH,
    Predictor,
    describe_layers,
    keep_keras_state_between_script_runs,
    load_model,
    make_model,
    save_model,
)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((16, 28, 28), dtype=np.float32)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_output_is_ten_probabilities(name, images):
    model = make_model(name)
    probabilities = np.asarray(model(images, training=False))
    assert probabilities.shape == (16, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_unknown_architecture():
    with pytest.raises(ValueError, match=r"unknown model 'resnet'; choose one of cnn, dense"):
        make_model("resnet")


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_saved_and_reloaded_model_gives_identical_probabilities(name, images, tmp_path):
    model = make_model(name)
    path = tmp_path / "model.keras"
    save_model(model, path)
    reloaded = load_model(path)
    np.testing.assert_array_equal(Predictor(model)(images), Predictor(reloaded)(images))
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no temporary file left behind


def test_saved_file_holds_no_optimizer(tmp_path):
    import zipfile

    import h5py

    model = make_model("dense")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.zeros((4, 28, 28)), np.zeros(4), verbose=0)  # builds the optimizer's variables
    save_model(model, tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive, archive.open("model.weights.h5") as weights:
        assert "optimizer" not in h5py.File(weights, "r")


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent\.keras: no such model file"):
        load_model(tmp_path / "absent.keras")


def _with_random_statistics(model: keras.Model) -> keras.Model:
    """``model`` with batch normalisation's statistics and scales as a trained model has them, not 0 and 1:
    the predictor folds them into the layers before them, and the defaults would hide a wrong fold."""
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 2, gamma.shape), rng.normal(0, 0.5, beta.shape),
                               rng.normal(0, 0.5, mean.shape), rng.uniform(0.2, 3, variance.shape)])
    return model


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_predictor_agrees_with_model_predict(name, images):
    model = _with_random_statistics(make_model(name))
    np.testing.assert_allclose(Predictor(model)(images), model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)


def test_predictor_reads_a_large_batch_as_its_parts():
    # More images than one interpreter call takes: the parts are read in turn and put back together in order.
    predictor = Predictor(_with_random_statistics(make_model("cnn")))
    images = np.random.default_rng(2).random((2 * INTERPRETER_BATCH + 3, 28, 28), dtype=np.float32)
    parts = [predictor(images[start : start + 7]) for start in range(0, len(images), 7)]
    np.testing.assert_allclose(predictor(images), np.concatenate(parts), rtol=1e-5, atol=1e-6)


def test_predictor_reuses_its_interpreters(images):
    predictor = Predictor(make_model("dense"))
    for _ in range(5):
        predictor(images)
    assert predictor._idle.qsize() == 1  # one caller at a time needs one interpreter, kept between calls


def test_predictor_accepts_one_image_and_empty_batches(images):
    predictor = Predictor(make_model("dense"))
    assert predictor(images[0]).shape == (1, 10)
    assert predictor(np.zeros((0, 28, 28))).shape == (0, 10)


@pytest.mark.parametrize("shape", [(28,), (3, 28, 29), (2, 2, 28, 28)])
def test_predictor_rejects_wrong_shapes(shape):
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 28, 28\)"):
        Predictor(make_model("dense"))(np.zeros(shape))


def test_predictor_is_safe_from_many_threads(images):
    predictor = Predictor(make_model("cnn"))
    expected = [predictor(images[i : i + 1 + i % 4]) for i in range(12)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: predictor(images[i : i + 1 + i % 4]), list(range(12)) * 5))
    for index, result in enumerate(results):
        np.testing.assert_allclose(result, expected[index % 12], rtol=1e-5, atol=1e-6)
    assert 1 <= predictor._idle.qsize() <= 8  # every interpreter given back, no more than ran at once


def test_describe_layers_adds_up_to_the_parameter_count():
    model = make_model("cnn")
    rows = describe_layers(model)
    assert sum(row["parameters"] for row in rows) == model.count_params()
    assert rows[-1]["layer"] == "probabilities" and rows[-1]["output shape"] == "(10,)"


def test_streamlit_cleanup_after_a_script_run_keeps_keras_state():
    # What a Streamlit server does after every script run (a private function, so this test notices if it moves).
    from streamlit.runtime.scriptrunner.script_runner import _clean_problem_modules

    keep_keras_state_between_script_runs()
    keras.layers.Dense(1)
    _clean_problem_modules()
    # A cleared session would restart Keras's layer-name counter at "dense"; kept, it goes on counting.
    assert keras.layers.Dense(1).name != "dense"


def test_the_config_names_every_architecture_and_no_other():
    from mnist_app.config import ARCHITECTURE_NAMES

    assert sorted(ARCHITECTURE_NAMES) == sorted(ARCHITECTURES)
