"""The Inside page's server time per input, part by part and as a whole, and how good its saliency maps are.

    python benchmarks/inside_model.py [--inputs N] [--browser]

Times (median and 95th percentile, after warm-up) on N MNIST test images and N pen-drawn digits of writers
never trained on (pendigits-orig.tes, drawn on the canvas as users draw):
  saliency        integrated gradients of the digit read and the runner-up (explain.Explainer.saliency)
  feature maps    every convolution's maps; pictures: the saliency row, the four grids and the filters,
                  encoded as PNG as Streamlit does
  every model     the probabilities of every shipped version
  page            one run of pages/inside.py under AppTest, for a new test image (includes AppTest's
                  own work, so the server's is a little less)
Then the quality of the maps on the MNIST inputs: against 512 steps, a model with random weights, and the
digit moved by two pixels. With --browser, also the real server's script run for each new test image typed
into the page in Debian's Chromium (from the browser's rerun request to the server's "script finished", on
the websocket), laptop-sized (needs what the browser tests need).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from timing import median_p95, timed  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.explaining import heatmaps  # noqa: E402
from mnist_app.explaining.explain import STEPS, Explainer, load_explainer  # noqa: E402
from mnist_app.handwriting.pendigits import draw_like_a_user, read_pendigits  # noqa: E402
from mnist_app.models.model import make_model  # noqa: E402
from mnist_app.reading.preprocess import model_input  # noqa: E402
from mnist_app.training.data import load_mnist, to_unit_range  # noqa: E402

TEST_DIGITS = PROJECT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tes"


def top_two(explainer: Explainer, image: np.ndarray) -> list[int]:
    return [int(digit) for digit in np.argsort(-explainer.probabilities(image))[:2]]


def pictures(explainer: Explainer, image: np.ndarray) -> None:
    """The page's pictures for one input, made and encoded as PNG."""
    maps = explainer.contrast(image, *top_two(explainer, image))
    scale = heatmaps.robust_scale(maps)
    shown = [heatmaps.input_picture(image, 168)] + [heatmaps.saliency_picture(image, m, scale, 168) for m in maps]
    layers = explainer.feature_maps(image)
    shown += [heatmaps.feature_grid(layer.maps, layer.order, columns=max(8, len(layer.maps) // 4), width=440) for layer in layers]
    shown.append(heatmaps.signed_grid(explainer.first_filters()[layers[0].order], columns=16, width=640))
    for picture in shown:
        Image.fromarray(picture).save(io.BytesIO(), format="PNG")


def page_runs(indices: list[int]) -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    test = AppTest.from_file(str(PROJECT / "tests" / "app_entry.py"), default_timeout=120).run()
    test.switch_page(str(PROJECT / "pages" / "inside.py")).run()
    return timed(lambda index: test.number_input(key="inside_index").set_value(index).run(), indices, warm_up=3)


def browser_runs(indices: list[int]) -> tuple[float, float]:
    sys.path.insert(0, str(PROJECT / "tests" / "e2e"))
    from browser import recording_page, script_runs_ms, wait_until_idle

    times = []
    with recording_page({"width": 1366, "height": 768}, timeout_ms=90_000) as (url, page):
        page.goto(f"{url}/inside")
        page.get_by_text("Every model on this input").wait_for()
        wait_until_idle(page)
        box = page.get_by_label("Test image")
        for number, index in enumerate(indices):
            script_runs_ms(page)  # forget the runs before this one
            box.fill(str(index))
            box.press("Enter")
            page.get_by_text(f"test image #{index},", exact=False).first.wait_for()
            wait_until_idle(page)
            if number >= 3:  # after warm-up
                times += script_runs_ms(page)
    return median_p95(times)


def correlation(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.corrcoef(first.ravel(), second.ravel())[0, 1])


def quality(explainer: Explainer, images: np.ndarray, labels: np.ndarray) -> None:
    reference = Explainer(explainer.model, steps=512)
    keras.utils.set_random_seed(3)
    randomised = Explainer(make_model("cnn"))
    against_reference, completeness, random_weights, moved = [], [], [], []
    black = explainer.logits(np.zeros((28, 28), np.float32))
    for image, label in zip(images, labels):
        digits = top_two(explainer, image)
        raw = explainer.saliency(image, digits, smoothing=0)
        against_reference += [correlation(a, b) for a, b in zip(raw, reference.saliency(image, digits, smoothing=0))]
        scores = explainer.logits(image)
        completeness += [abs(m.sum() - (scores[d] - black[d])) / np.abs(m).sum() for m, d in zip(raw, digits)]
        shown = explainer.saliency(image, [int(label)])[0]
        random_weights.append(correlation(shown, randomised.saliency(image, [int(label)])[0]))
        for shift in [(2, 0), (-2, 0), (0, 2), (0, -2)]:
            shifted = np.roll(image, shift, axis=(0, 1))
            if shifted.sum() >= 0.999 * image.sum():
                moved.append(correlation(explainer.saliency(shifted, [int(label)])[0], np.roll(shown, shift, axis=(0, 1))))
    print(f"\nquality of the maps on {len(images)} MNIST test digits ({STEPS} steps)")
    print(f"  correlation with 512 steps (as computed)        median {np.median(against_reference):.4f}, least {min(against_reference):.4f}")
    print(f"  sum of a map off its score, of its magnitude    median {np.median(completeness):.2%}, most {max(completeness):.2%}")
    print(f"  correlation with a model of random weights      median {np.median(random_weights):.3f}, most {max(random_weights):.3f}")
    print(f"  correlation with the map moved 2 pixels         median {np.median(moved):.3f}, least {min(moved):.3f} ({len(moved)} moves)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=50, help="MNIST test images, and as many pen-drawn digits")
    parser.add_argument("--browser", action="store_true", help="also time the real server from Chromium")
    args = parser.parse_args()

    paths = Paths()
    mnist = load_mnist()
    rng = np.random.default_rng(0)
    indices = [int(i) for i in rng.choice(len(mnist.x_test), args.inputs, replace=False)]
    sets = {"MNIST test": list(to_unit_range(mnist.x_test[indices]))}
    if TEST_DIGITS.is_file():
        pen = read_pendigits(TEST_DIGITS)
        chosen = [pen[int(i)] for i in rng.choice(len(pen), args.inputs, replace=False)]
        sets["pen-drawn"] = [model_input(draw_like_a_user(digit, rng)) for digit in chosen]
    cnn, dense = load_explainer(paths.models_dir / "mnist-cnn"), load_explainer(paths.models_dir / "mnist-dense")
    print(f"{args.inputs} inputs of each kind, {os.cpu_count()} CPU cores, {STEPS} steps")
    print(f"{'part':<34}{'inputs':<12}{'median ms':>10}{'p95 ms':>9}")
    parts = {
        "saliency, 2 digits (CNN)": lambda image: cnn.saliency(image, top_two(cnn, image)),
        "saliency, 2 digits (dense)": lambda image: dense.saliency(image, top_two(dense, image)),
        "feature maps (CNN)": cnn.feature_maps,
        "all pictures, PNG-encoded (CNN)": lambda image: pictures(cnn, image),
        "every model's probabilities (2)": lambda image: [cnn.probabilities(image), dense.probabilities(image)],
    }
    for name, function in parts.items():
        for kind, inputs in sets.items():
            median, p95 = timed(function, inputs, warm_up=3)
            print(f"{name:<34}{kind:<12}{median:>10.1f}{p95:>9.1f}")
    median, p95 = page_runs(indices)
    print(f"{'the whole page (AppTest run)':<34}{'MNIST test':<12}{median:>10.1f}{p95:>9.1f}")
    if args.browser:
        median, p95 = browser_runs(indices)
        print(f"{'the whole page (server, Chromium)':<34}{'MNIST test':<12}{median:>10.1f}{p95:>9.1f}")
    quality(cnn, to_unit_range(mnist.x_test[indices]), mnist.y_test[indices])


if __name__ == "__main__":
    main()
