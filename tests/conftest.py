"""Shared fixtures. Tests that need the real MNIST read MNIST_PATH; under CI a missing file is an error."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_app.config import Paths, TrainConfig  # noqa: E402  (after the log level is set)
from mnist_app.data import Mnist, load_mnist  # noqa: E402


def _require_mnist() -> Path:
    path = Paths.from_env().mnist_path
    if path is None or not path.is_file():
        reason = f"real MNIST not found (MNIST_PATH={os.environ.get('MNIST_PATH', '')!r})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; .ci/run must set it")
        pytest.skip(reason)
    return path


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


@pytest.fixture(scope="session")
def tiny_run(mnist, tmp_path_factory):
    """One short training run on a slice of MNIST, shared by the tests that inspect its output."""
    from mnist_app.train import train

    events = []
    config = TrainConfig(epochs=3, train_limit=3000, batch_size=64, seed=3)
    result = train(config, tmp_path_factory.mktemp("runs") / "tiny", data=mnist, progress=events.append, command="pytest tiny run")
    return result, events


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
