"""Does a change to the reading code change any reading? Record the readings of a fixed set of images with
one version of the code, then compare another version's readings with them.

    python benchmarks/same_readings.py record readings.npz    # on the code before the change
    python benchmarks/same_readings.py compare readings.npz   # on the code after it

The images: 400 canvas drawings and 100 paper photos of `pendigits-orig.tes` digits (the photos read in
both modes), 120 photos of numbers (half written tight) and 30 drawings of each kind that is no digit (both
modes), all read with the shipped model; and model_input() of 250 of them. It prints how many readings
differ (text, digits, confidences to 4 places, boxes, flags, the number hint) and the largest difference in
a model input. A speed-up that should not change what is read must print zeros.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from draw_latency import canvas_png  # noqa: E402
from PIL import Image  # noqa: E402
from writer_sets import read_set  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.handwriting import nondigits  # noqa: E402
from mnist_app.handwriting.pendigits import write_on_paper  # noqa: E402
from mnist_app.reading.preprocess import model_input  # noqa: E402
from mnist_app.reading.recognize import load_predictor, recognize_many  # noqa: E402


def readings_and_inputs() -> tuple[dict[str, list], list[np.ndarray]]:
    digits = read_set("tes")
    rng = np.random.default_rng(1)
    pick = rng.choice(len(digits), 500, replace=False)
    # Drawings as the page gets them from the canvas component: decoded from the PNG it sends.
    drawings = [np.asarray(Image.open(io.BytesIO(canvas_png(digits[i], rng)))) for i in pick[:400]]
    paper = [write_on_paper([digits[i]], rng)[0] for i in pick[400:]]
    numbers = [write_on_paper([digits[j] for j in rng.choice(len(digits), int(rng.integers(2, 7)))], rng,
                              spacing=(-0.05, 0.3) if k % 2 else (0.15, 0.5))[0] for k in range(120)]
    odd = [nondigits.make(kind, rng, digits) for kind in nondigits.KINDS for _ in range(30)]
    predictor = load_predictor(Paths.from_env().default_model_dir)
    readings = {}
    for name, images, single in (("canvas", drawings, True), ("paper", paper, True), ("paper, number mode", paper, False),
                                 ("numbers", numbers, False), ("no digit", odd, True), ("no digit, number mode", odd, False)):
        readings[name] = [json.dumps(reading.as_dict(), sort_keys=True) for reading in recognize_many(images, predictor, single)]
    inputs = [model_input(image) for image in drawings[:100] + odd[:100] + paper[:50]]
    return readings, [np.full((28, 28), -1, np.float32) if image is None else image for image in inputs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument("file", type=Path, help="the .npz of recorded readings")
    args = parser.parse_args()
    readings, inputs = readings_and_inputs()
    if args.action == "record":
        np.savez_compressed(args.file, readings=json.dumps(readings), inputs=np.stack(inputs))
        print(f"recorded {sum(map(len, readings.values()))} readings and {len(inputs)} model inputs in {args.file}")
        return
    with np.load(args.file, allow_pickle=False) as recorded:
        before, inputs_before = json.loads(str(recorded["readings"])), recorded["inputs"]
    for name, now in readings.items():
        changed = [(old, new) for old, new in zip(before[name], now) if old != new]
        print(f"{name:>22}: {len(changed)} of {len(now)} readings differ")
        for old, new in changed[:3]:
            print(f"{'':>24}{old}\n{'':>21}-> {new}")
    difference = np.abs(inputs_before - np.stack(inputs)).max(axis=(1, 2))
    print(f"model inputs: {int((difference > 0).sum())} of {len(difference)} differ, by at most {difference.max():.2e}")


if __name__ == "__main__":
    main()
