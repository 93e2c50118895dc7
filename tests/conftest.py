"""Shared fixtures. Tests that need the real MNIST read MNIST_PATH; under CI a missing file is an error."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_app.config import Paths, TrainConfig  # noqa: E402  (after the log level is set)
from mnist_app.training.data import Mnist, load_mnist  # noqa: E402

PENDIGITS = Path(__file__).resolve().parents[2] / "shared" / "data" / "pendigits"
UJIPEN = Path(__file__).resolve().parents[2] / "shared" / "data" / "ujipen" / "ujipen-digits.txt"


def _missing(reason: str) -> None:
    """Skip a test whose data is not here; under CI, where ../shared is always beside the clone, fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; under CI the data in ../shared must be there")
    pytest.skip(reason)


def _require_mnist() -> Path:
    path = Paths.from_env().mnist_path
    if path is None or not path.is_file():
        _missing(f"real MNIST not found (MNIST_PATH={os.environ.get('MNIST_PATH', '')!r})")
    return path


def _pen_digits(name: str):
    from mnist_app.handwriting.pendigits import read_pendigits

    path = PENDIGITS / name
    if not path.is_file():
        _missing(f"{path} not found")
    return read_pendigits(path)


@pytest.fixture(autouse=True)
def runs_dir(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own empty runs folder: no test sees or changes the developer's versions.

    The settings a developer may have exported for their own server (pen-drawn digits, retraining
    switched off or behind a password) are replaced too; the tests that need them set them.
    """
    path = tmp_path_factory.mktemp("runs")
    monkeypatch.setenv("RUNS_DIR", str(path))
    for name in ("RETRAINING", "RETRAIN_PASSWORD", "CORRECTIONS_PATH", "UJIPEN_PATH", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    # No pen-drawn digits (unset, a retrain would download them) and an empty Keras cache of its own.
    monkeypatch.setenv("PENDIGITS_PATH", "none")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras")))
    return path


@pytest.fixture(scope="session")
def small_mnist(mnist) -> Mnist:
    """A slice of real MNIST that trains in seconds: 1,200 training and 500 test images."""
    return Mnist(mnist.x_train[:1200], mnist.y_train[:1200], mnist.x_test[:500], mnist.y_test[:500])


@pytest.fixture(scope="session")
def training_writers():
    """The pen-drawn digits of pendigits-orig.tra (30 writers; the model trained on 24 of them)."""
    return _pen_digits("pendigits-orig.tra")


@pytest.fixture(scope="session")
def test_writers():
    """The pen-drawn digits of pendigits-orig.tes (14 writers the model never saw)."""
    return _pen_digits("pendigits-orig.tes")


@pytest.fixture(scope="session")
def uji_writers():
    """The pen-drawn digits of UJI Pen Characters' 60 writers (40 trn, 20 tst)."""
    from mnist_app.handwriting.ujipen import read_ujipen

    if not UJIPEN.is_file():
        _missing(f"{UJIPEN} not found")
    return read_ujipen(UJIPEN)


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    """The real MNIST, read from MNIST_PATH."""
    return load_mnist(_require_mnist())


@pytest.fixture(scope="session")
def shipped_model_dir() -> Path:
    path = Paths().default_model_dir
    if not (path / "model.keras").is_file():
        pytest.fail(f"the shipped model is missing at {path}")
    return path


@dataclass(frozen=True)
class TinyRun:
    result: Any  # the TrainResult
    progress: list  # every Progress report, in order
    stages: list[str]  # the stages the run went through
    preparation: list  # every Preparation report, in order


@pytest.fixture(scope="session")
def tiny_run(mnist, tmp_path_factory) -> TinyRun:
    """One short training run on a slice of MNIST, shared by the tests that inspect its output and what it told."""
    from mnist_app.training.progress import TrainingHooks
    from mnist_app.training.train import train

    told = TinyRun(result=None, progress=[], stages=[], preparation=[])
    hooks = TrainingHooks(progress=told.progress.append, stage=told.stages.append, preparation=told.preparation.append)
    config = TrainConfig(epochs=3, train_limit=3000, batch_size=64, seed=3)
    result = train(config, tmp_path_factory.mktemp("runs") / "tiny", data=mnist, hooks=hooks, command="pytest tiny run")
    return dataclasses.replace(told, result=result)


@pytest.fixture
def npz_factory(tmp_path):
    """Writes a small .npz in Keras's MNIST layout, with any array replaced or removed."""

    def make(name: str = "mnist.npz", drop: tuple[str, ...] = (), **overrides) -> Path:
        rng = np.random.default_rng(0)
        arrays = {
            "x_train": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 30, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, 10, dtype=np.uint8),
        }
        arrays.update(overrides)
        for key in drop:
            del arrays[key]
        path = tmp_path / name
        np.savez(path, **arrays)
        return path

    return make


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (tests/postgres.py) for the whole run; skipped, saying why, without
    Debian's PostgreSQL (under CI, where make test installs it, that is an error)."""
    from postgres import Cluster

    reason = Cluster.missing()
    if reason:
        _missing(reason)
    cluster = Cluster().start()
    yield cluster
    cluster.remove()


@pytest.fixture
def database_url(postgres) -> str:
    """A new, empty database of the test cluster, and its URL."""
    return postgres.new_database()
