import numpy as np
import pytest

from mnist_app.models.model import Predictor, make_model
from mnist_app.models.store import CARD_FILE, load_model_dir, read_card, read_evaluation, write_model_dir


def test_write_then_read_a_model_directory(tmp_path):
    model = make_model("dense")
    out = write_model_dir(tmp_path / "m", model, {"name": "dense", "test": {"accuracy": 0.5}}, {"accuracy": 0.5})
    assert read_card(out)["test"]["accuracy"] == 0.5 and read_evaluation(out) == {"accuracy": 0.5}
    images = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(Predictor(model)(images), Predictor(load_model_dir(out))(images))
    assert oct(out.stat().st_mode & 0o777) == "0o755" and oct((out / CARD_FILE).stat().st_mode & 0o777) == "0o644"


def test_a_failed_write_leaves_the_old_model_and_no_litter(tmp_path):
    out = write_model_dir(tmp_path / "m", make_model("dense"), {"version": 1}, {})

    class Unserialisable:
        pass

    with pytest.raises(TypeError):
        write_model_dir(out, make_model("dense"), {"version": Unserialisable()}, {})
    assert read_card(out) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_corrupted_card_names_the_file(tmp_path):
    (tmp_path / CARD_FILE).write_text("{not json")
    with pytest.raises(ValueError, match=r"card\.json: not valid JSON"):
        read_card(tmp_path)


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model directory"):
        load_model_dir(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match=r"evaluation\.json: no such file"):
        read_evaluation(tmp_path)
