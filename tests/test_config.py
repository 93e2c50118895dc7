"""The settings: paths and who may retrain from the environment, the pen-digit download's place, and the
training hyper-parameters (their checks and their round trip through a model card's JSON)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_app.config import PEN_TRAINING_WRITERS, UJI_TRAINING_WRITERS, Paths, RetrainAccess, TrainConfig, pen_download_path

PROJECT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
PATH_VARIABLES = {"MNIST_PATH": "mnist_path", "UJIPEN_PATH": "uji_path", "CORRECTIONS_PATH": "corrections_path", "RUNS_DIR": "runs_dir",
                  "PENDIGITS_PATH": "pen_path"}
DOWNLOAD = Path("datasets") / "pendigits" / "pendigits-orig.tra"


@pytest.fixture
def bare_environment(monkeypatch, tmp_path):
    """None of the variables Paths reads (conftest.py sets some for every test), and a Keras cache of its own."""
    for name in PATH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return monkeypatch


# --- Paths ---


def test_paths_default_to_the_project_and_the_keras_cache(bare_environment, tmp_path):
    paths = Paths.from_env()
    assert paths == Paths(pen_path=tmp_path / "keras" / DOWNLOAD)
    assert paths.models_dir == PROJECT / "models" and paths.runs_dir == PROJECT / "models" / "runs"
    assert paths.mnist_path is None and paths.uji_path is None and paths.corrections_path is None
    assert paths.default_model_dir == PROJECT / "models" / "mnist-cnn"
    assert paths.corrections_file == PROJECT / "models" / "runs" / "corrections.sqlite"


@pytest.mark.parametrize("name", PATH_VARIABLES)
def test_each_path_variable_is_honoured_and_made_absolute(bare_environment, tmp_path, name):
    bare_environment.chdir(tmp_path)
    bare_environment.setenv(name, "  data/file  ")  # relative, with the spaces of a careless export
    paths = Paths.from_env()
    assert getattr(paths, PATH_VARIABLES[name]) == tmp_path.resolve() / "data" / "file"
    others = {field: value for field, value in dataclasses.asdict(paths).items() if field != PATH_VARIABLES[name]}
    defaults = {field: value for field, value in dataclasses.asdict(Paths(pen_path=tmp_path / "keras" / DOWNLOAD)).items()
                if field != PATH_VARIABLES[name]}
    assert others == defaults  # one variable changes one path


def test_a_path_may_start_at_the_home_folder(bare_environment, tmp_path):
    bare_environment.setenv("HOME", str(tmp_path / "home"))
    bare_environment.setenv("MNIST_PATH", "~/mnist.npz")
    assert Paths.from_env().mnist_path == tmp_path / "home" / "mnist.npz"


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_variable_is_unset(bare_environment, tmp_path, value):
    for name in PATH_VARIABLES:
        bare_environment.setenv(name, value)
    assert Paths.from_env() == Paths(pen_path=tmp_path / "keras" / DOWNLOAD)


@pytest.mark.parametrize("value", ["none", "None", " NONE "])
def test_pendigits_path_none_trains_on_mnist_alone(bare_environment, value):
    bare_environment.setenv("PENDIGITS_PATH", value)
    assert Paths.from_env().pen_path is None


def test_the_corrections_file_is_the_one_named_else_one_in_the_runs_folder(tmp_path):
    assert Paths(runs_dir=tmp_path).corrections_file == tmp_path / "corrections.sqlite"
    assert Paths(runs_dir=tmp_path, corrections_path=tmp_path / "elsewhere.db").corrections_file == tmp_path / "elsewhere.db"


@pytest.mark.parametrize("value, url", [("postgresql://app@db/mnist", "postgresql://app@db/mnist"), ("  ", None), ("", None)])
def test_database_url_moves_the_corrections_into_the_database(bare_environment, tmp_path, value, url):
    bare_environment.setenv("DATABASE_URL", value)
    bare_environment.setenv("RUNS_DIR", str(tmp_path))
    paths = Paths.from_env()
    assert paths.database_url == url
    assert paths.corrections_location == (url or tmp_path / "corrections.sqlite")


def test_pen_download_path_is_in_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", "~/cache/../keras")
    assert pen_download_path() == tmp_path / "home" / "keras" / DOWNLOAD


def test_pen_download_path_without_keras_home_is_in_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pen_download_path() == tmp_path / ".keras" / DOWNLOAD


def test_pen_download_path_without_a_home_to_write_in_is_in_tmp(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "no such home"))  # a service user's home that does not exist
    assert pen_download_path() == Path("/tmp").resolve() / ".keras" / DOWNLOAD


# --- Retraining: the switch and the password ---


@pytest.mark.parametrize(
    "switch, password, expected",
    [(None, None, RetrainAccess(True, None)), ("off", None, RetrainAccess(False, None)), (" OFF ", None, RetrainAccess(False, None)),
     ("on", PASSWORD, RetrainAccess(True, PASSWORD)), ("", "", RetrainAccess(True, None)), ("on", "   ", RetrainAccess(True, None))],
)
def test_retrain_access_from_the_environment(monkeypatch, switch, password, expected):
    for name, value in (("RETRAINING", switch), ("RETRAIN_PASSWORD", password)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert RetrainAccess.from_env() == expected


@pytest.mark.parametrize("switch", ["of", "yes", "false", "0"])
def test_a_misspelt_switch_is_an_error(monkeypatch, switch):
    monkeypatch.setenv("RETRAINING", switch)
    with pytest.raises(ValueError, match=f"RETRAINING must be on or off, got '{switch}'"):
        RetrainAccess.from_env()


def test_only_the_password_is_accepted():
    access = RetrainAccess(password="pässwörd")
    assert access.accepts("pässwörd")
    assert not any(access.accepts(attempt) for attempt in ("", "pässwörd ", "PÄSSWÖRD", "passwort", "pässwörd\n"))
    assert not RetrainAccess().accepts("")  # no password set: nothing to accept (the page does not ask)


def test_a_password_with_spaces_around_it_is_kept_as_it_is(monkeypatch):
    monkeypatch.setenv("RETRAIN_PASSWORD", " two words ")
    access = RetrainAccess.from_env()
    assert access.accepts(" two words ") and not access.accepts("two words")


# --- TrainConfig ---


INVALID = [
    ({"model": "nope"}, "model must be one of cnn, dense, got 'nope'"),
    ({"epochs": 0}, "epochs must be a whole number of at least 1, got 0"),
    ({"epochs": 2.5}, "epochs must be a whole number of at least 1, got 2.5"),
    ({"epochs": True}, "epochs must be a whole number of at least 1, got True"),
    ({"batch_size": 0}, "batch_size must be a whole number of at least 1, got 0"),
    ({"batch_size": -128}, "batch_size must be a whole number of at least 1, got -128"),
    ({"patience": -1}, "patience must be a whole number of at least 1, got -1"),
    ({"pen_renders": -2}, "pen_renders must be a whole number of at least 1, got -2"),
    ({"validation_split": 0}, "validation_split must be between 0 and 1, got 0"),
    ({"validation_split": 1}, "validation_split must be between 0 and 1, got 1"),
    ({"validation_split": -0.1}, "validation_split must be between 0 and 1, got -0.1"),
    ({"validation_split": float("nan")}, "validation_split must be between 0 and 1, got nan"),
    ({"learning_rate": 0}, "learning_rate must be positive, got 0"),
    ({"learning_rate": -1e-3}, "learning_rate must be positive, got -0.001"),
    ({"learning_rate": float("nan")}, "learning_rate must be positive, got nan"),
    ({"warmup_epochs": -1.0}, "warmup_epochs must not be negative, got -1.0"),
    ({"stroke_range": (1.0, -1.0)}, r"stroke_range must run from low to high, got \(1.0, -1.0\)"),
    ({"pen_path": "data/pendigits-orig.tes"}, "pen_path must not be the .tes file"),
    ({"pen_path": "X/PENDIGITS-ORIG.TES"}, "pen_path must not be the .tes file"),
    ({"convention_renders": -1}, "convention_renders and non_digits must not be negative"),
    ({"non_digits": -1}, "convention_renders and non_digits must not be negative"),
    ({"non_digit_weight": -0.5}, "non_digit_weight must not be negative, got -0.5"),
    ({"non_digit_weight": float("nan")}, "non_digit_weight must not be negative, got nan"),
    ({"correction_renders": 0}, "correction_renders must be at least 1, got 0"),
    ({"corrections_path": ""}, r"corrections_path must name a file or a database \(or be None for no corrections\)"),
    ({"corrections_path": "   "}, r"corrections_path must name a file or a database \(or be None for no corrections\)"),
    ({"train_limit": 19}, "train_limit must be at least 20 images, got 19"),
    ({"train_limit": 0}, "train_limit must be at least 20 images, got 0"),
]


@pytest.mark.parametrize("changes, message", INVALID, ids=["-".join(f"{name}={value!r}" for name, value in changes.items()) for changes, _ in INVALID])
def test_invalid_values_are_refused_with_a_clear_error(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TrainConfig(), **changes)  # the way a config is changed: checked the same


@pytest.mark.parametrize(
    "changes",
    [{"epochs": 1}, {"batch_size": 1}, {"validation_split": 0.001}, {"validation_split": 0.999}, {"learning_rate": 1e-9},
     {"pen_path": "pendigits-orig.tra"}, {"convention_renders": 0, "non_digits": 0, "non_digit_weight": 0.0}, {"correction_renders": 1},
     {"corrections_path": "corrections.sqlite"}, {"train_limit": 20}, {"train_limit": None, "corrections_path": None, "pen_path": None}],
    ids=lambda changes: "-".join(changes),
)
def test_the_least_valid_values_are_accepted(changes):
    config = TrainConfig(**changes)
    assert all(getattr(config, name) == value for name, value in changes.items())


def test_the_shipped_writers_leave_some_out_to_calibrate_on():
    assert set(PEN_TRAINING_WRITERS) < set(range(1, 31)) and set(UJI_TRAINING_WRITERS) < set(range(1, 61))
    assert len(UJI_TRAINING_WRITERS) == len(set(UJI_TRAINING_WRITERS)) == 34  # 40 trn writers, 6 held out


def test_a_record_from_a_model_card_comes_back_as_the_config():
    config = TrainConfig(pen_path="pendigits-orig.tra", pen_writers=PEN_TRAINING_WRITERS, uji_path="ujipen.txt",
                         uji_writers=UJI_TRAINING_WRITERS, stroke_range=(-0.25, 0.5), train_limit=500)
    record = json.loads(json.dumps(dataclasses.asdict(config)))  # as a card stores it: tuples become lists
    assert isinstance(record["pen_writers"], list) and isinstance(record["stroke_range"], list)
    restored = TrainConfig.from_record(record)
    assert restored == config and isinstance(restored.pen_writers, tuple) and isinstance(restored.stroke_range, tuple)
    assert TrainConfig.from_record(dataclasses.asdict(config)) == config  # and straight from asdict


def test_a_record_missing_keys_takes_the_defaults():
    # An older card, written before later settings existed (mnist-dense's has no convention_renders).
    assert TrainConfig.from_record({"model": "dense", "epochs": 3, "pen_writers": [1, 2]}) == TrainConfig(model="dense", epochs=3, pen_writers=(1, 2))
    assert TrainConfig.from_record({}) == TrainConfig()


def test_a_record_of_another_version_leaves_out_the_settings_this_one_does_not_have():
    assert TrainConfig.from_record({**dataclasses.asdict(TrainConfig(epochs=3)), "colour": "blue"}) == TrainConfig(epochs=3)


def test_a_record_with_invalid_values_is_refused_as_the_config_is():
    with pytest.raises(ValueError, match="epochs must be a whole number of at least 1, got 0"):
        TrainConfig.from_record({"epochs": 0})


@pytest.mark.parametrize("model", ["mnist-cnn", "mnist-dense"])
def test_the_shipped_cards_configs_read_back(model):
    card = json.loads((PROJECT / "models" / model / "card.json").read_text())
    config = TrainConfig.from_record(card["config"])
    assert {name: value for name, value in dataclasses.asdict(config).items() if name in card["config"]} == {
        name: tuple(value) if isinstance(value, list) else value for name, value in card["config"].items()}


writers = st.none() | st.lists(st.integers(1, 60), max_size=10).map(tuple)
paths = st.none() | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20).filter(str.strip)
finite = {"allow_nan": False, "allow_infinity": False}
valid_configs = st.builds(
    TrainConfig,
    model=st.sampled_from(["cnn", "dense"]),
    epochs=st.integers(1, 500),
    batch_size=st.integers(1, 4096),
    learning_rate=st.floats(1e-9, 10, **finite),
    warmup_epochs=st.floats(0, 10, **finite),
    validation_split=st.floats(0, 1, exclude_min=True, exclude_max=True),
    patience=st.integers(1, 50),
    augment=st.booleans(),
    max_rotation_deg=st.floats(0, 45, **finite),
    stroke_range=st.tuples(st.floats(-1, 0, **finite), st.floats(0, 2, **finite)),
    seed=st.integers(0, 2**31),
    pen_path=paths.filter(lambda path: path is None or not path.lower().endswith(".tes")),
    pen_renders=st.integers(1, 10),
    convention_renders=st.integers(0, 10),
    non_digits=st.integers(0, 20000),
    non_digit_weight=st.floats(0, 2, **finite),
    pen_writers=writers,
    uji_path=paths,
    uji_writers=writers,
    train_limit=st.none() | st.integers(20, 70000),
    corrections_path=paths,
    correction_renders=st.integers(1, 100),
)


@settings(max_examples=200, deadline=None)
@given(config=valid_configs)
def test_every_valid_config_round_trips_through_a_cards_json(config):
    assert TrainConfig.from_record(dataclasses.asdict(config)) == config
    assert TrainConfig.from_record(json.loads(json.dumps(dataclasses.asdict(config)))) == config
