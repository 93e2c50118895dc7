"""Latency of a 28x28 prediction: the project's Predictor (TensorFlow Lite) against model.predict and a plain model call.

    python benchmarks/predict_latency.py [--model DIR] [--calls N]

Prints the median and 95th percentile over N calls (after warm-up), for one image, a digit's three views (what recognize reads for one drawing) and a batch of 32.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from timing import timed  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.models.model import Predictor  # noqa: E402
from mnist_app.models.store import load_model_dir  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Paths().default_model_dir)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    model = load_model_dir(args.model)
    predictor = Predictor(model)
    rng = np.random.default_rng(0)
    print(f"model {args.model.name}, {args.calls} calls each, {os.cpu_count()} CPU cores")
    print(f"{'method':<22}{'batch':>6}{'median ms':>11}{'p95 ms':>9}")
    for batch in (1, 3, 32):
        images = rng.random((batch, 28, 28), dtype=np.float32)
        methods = {
            "Predictor": lambda: predictor(images),
            "model(x) eager": lambda: model(images, training=False),
            "model.predict": lambda: model.predict(images, verbose=0),
        }
        for name, function in methods.items():
            median, p95 = timed(lambda _: function(), range(args.calls), warm_up=5)
            print(f"{name:<22}{batch:>6}{median:>11.2f}{p95:>9.2f}")


if __name__ == "__main__":
    main()
