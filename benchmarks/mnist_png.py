"""MNIST's test images through the app: saved as 28x28 PNG files and read with the command line.

    python benchmarks/mnist_png.py [--model DIR] [--limit N]

Each test image is written as a gray PNG and read by ``python -m mnist_app predict --single --json``,
the way a user would hand the app an MNIST digit. Prints the share read right beside the model's own
accuracy on the same images as arrays (``evaluate``): the difference is what the app's reading of an
image costs. Needs MNIST_PATH (or Keras's download).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from PIL import Image  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.models.store import read_evaluation  # noqa: E402
from mnist_app.training.data import load_mnist  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Paths().default_model_dir)
    parser.add_argument("--limit", type=int, default=10000, help="the first N test images (default: %(default)s)")
    args = parser.parse_args()

    data = load_mnist()
    images, labels = data.x_test[: args.limit], data.y_test[: args.limit]
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, image in enumerate(images):
            path = Path(folder) / f"{index:05d}.png"
            Image.fromarray(image).save(path)
            paths.append(str(path))
        started = time.perf_counter()
        output = subprocess.run(
            [sys.executable, "-m", "mnist_app", "predict", "--single", "--json", "--model", str(args.model), *paths],
            cwd=PROJECT, capture_output=True, text=True, check=False,
        ).stdout
        seconds = time.perf_counter() - started
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    read = [record["text"] for record in records]
    right = sum(text == str(label) for text, label in zip(read, labels))
    flagged = sum(not record["digits"] or record["digits"][0]["uncertain"] for record in records)
    evaluation = read_evaluation(args.model)
    print(f"model {args.model.name}: {right / len(labels):.2%} of {len(labels)} MNIST test PNGs read right through "
          f"predict --single ({flagged} flagged or no digit; {seconds:.0f} s for the command, start-up included)")
    if args.limit >= 10000:
        print(f"the same images as arrays (evaluate): {evaluation['accuracy']:.2%}")


if __name__ == "__main__":
    main()
