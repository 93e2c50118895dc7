"""Drawing in the real browser: accuracy and latency of the Draw page for digits drawn with the mouse.

    python benchmarks/browser_draw.py [--digits 50]

Starts `streamlit run app.py` on a free localhost port, opens it in Debian's Chromium, and for each of
N digits of pendigits-orig.tes (14 writers the model never saw, 5 of each digit by default) draws its
pen strokes with the mouse, waits for the "Prediction" metric and compares it with the label; then
clears the canvas. Prints the accuracy; for one-stroke digits the median and 95th percentile of the
time from mouse-up to the prediction showing on the page; and for every stroke the time the server took
for the whole page rerun (from the browser sending the stroke to the server's "script finished", both
timed in the browser on the websocket). For each misread digit it also reads the canvas's own pixels
with the model here, which tells a misread drawing from a drawing that reached the server incomplete.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests" / "e2e")]

import numpy as np  # noqa: E402
from browser import draw_digit, metric_value, recording_page, script_runs_ms, wait_until_idle  # noqa: E402
from PIL import Image  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.handwriting.pendigits import read_pendigits  # noqa: E402
from mnist_app.reading.recognize import load_predictor, recognize  # noqa: E402

PREDICTION_SHOWN = "() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.includes('Prediction'))"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", type=int, default=50)
    args = parser.parse_args()
    writers = read_pendigits(PROJECT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tes")
    rng = np.random.default_rng(0)
    per_label = -(-args.digits // 10)
    chosen = [d for label in range(10) for d in rng.permutation([d for d in writers if d.label == label])[:per_label]][: args.digits]

    predictor = load_predictor(Paths().default_model_dir)
    right, latencies, reruns, wrong = 0, [], [], []
    with recording_page({"width": 1400, "height": 1000}, timeout_ms=60_000) as (url, page):
        page.goto(url)
        page.get_by_text("Draw a digit on the black square").wait_for()
        for digit in chosen:
            lifted = draw_digit(page, digit.strokes, wait_after_last=False)
            # Checked on every animation frame: Playwright's own waits poll only every 500 ms after a while.
            page.wait_for_function(PREDICTION_SHOWN, polling="raf")
            if len(digit.strokes) == 1:  # only then did no prediction show before the last mouse-up
                latencies.append((time.perf_counter() - lifted) * 1000)
            wait_until_idle(page)
            answer = metric_value(page, "Prediction")
            right += answer == str(digit.label)
            runs = script_runs_ms(page)
            reruns += runs
            if answer != str(digit.label):
                wrong.append(f"{digit.label}->{answer} (writer {digit.writer}, {len(digit.strokes)} strokes, {len(runs)} reruns; "
                             f"its canvas pixels read here: {canvas_reading(page, predictor)})")
            page.get_by_role("button", name="Clear").click()
            page.get_by_text("Draw a digit on the black square").wait_for()
            wait_until_idle(page)  # the cleared canvas is a new one: let it mount before the next digit
            script_runs_ms(page)  # the Clear button's runs are not strokes
    print(f"{len(chosen)} digits of pendigits-orig.tes drawn with the mouse: {right / len(chosen):.1%} read right")
    print(f"mouse-up -> prediction on the page, {len(latencies)} one-stroke digits: "
          f"median {statistics.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms")
    print(f"server: whole page rerun after a stroke, {len(reruns)} strokes: "
          f"median {statistics.median(reruns):.0f} ms, p95 {np.percentile(reruns, 95):.0f} ms")
    for line in wrong:
        print("wrong:", line)


def canvas_reading(page, predictor) -> str:
    """The digit the model reads from the canvas as the browser shows it."""
    # Fabric draws on the "lower" canvas beside the one that takes the mouse; another, empty one precedes it.
    url = page.locator("canvas.upper-canvas").first.evaluate(
        "upper => upper.parentElement.querySelector('canvas.lower-canvas').toDataURL('image/png')")
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    reading = recognize(pixels, predictor)
    return f"{reading.digits[0].digit} ({reading.digits[0].confidence:.0%})" if reading.digits else "no digit"


if __name__ == "__main__":
    main()
