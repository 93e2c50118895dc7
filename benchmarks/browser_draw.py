"""Drawing in the real browser: accuracy and latency of the Draw page for digits drawn with the mouse.

    python benchmarks/browser_draw.py [--digits 50]

Starts `streamlit run app.py` on a free localhost port, opens it in Debian's Chromium, and for each of
N digits of pendigits-orig.tes (14 writers the model never saw, 5 of each digit by default) draws its
pen strokes with the mouse, waits for the "Prediction" metric and compares it with the label; then
clears the canvas. Prints the accuracy, and for one-stroke digits the median and 95th percentile of
the time from mouse-up to the prediction showing on the page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests" / "e2e")]

import numpy as np  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from browser import CHROMIUM, CHROMIUM_ARGS, draw_digit, metric_value, running_app, wait_until_idle  # noqa: E402
from mnist_app.pendigits import read_pendigits  # noqa: E402


PREDICTION_SHOWN = "() => [...document.querySelectorAll('[data-testid=stMetric]')].some(m => m.innerText.includes('Prediction'))"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", type=int, default=50)
    args = parser.parse_args()
    writers = read_pendigits(PROJECT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tes")
    rng = np.random.default_rng(0)
    per_label = -(-args.digits // 10)
    chosen = [d for label in range(10) for d in rng.permutation([d for d in writers if d.label == label])[:per_label]][: args.digits]

    right, latencies, wrong = 0, [], []
    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
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
            if answer != str(digit.label):
                wrong.append(f"{digit.label}->{answer} (writer {digit.writer})")
            page.get_by_role("button", name="Clear").click()
            page.get_by_text("Draw a digit on the black square").wait_for()
            wait_until_idle(page)  # the cleared canvas is a new one: let it mount before the next digit
        browser.close()
    print(f"{len(chosen)} digits of pendigits-orig.tes drawn with the mouse: {right / len(chosen):.1%} read right")
    print(f"mouse-up -> prediction on the page, {len(latencies)} one-stroke digits: "
          f"median {statistics.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms")
    if wrong:
        print("wrong:", ", ".join(wrong))


if __name__ == "__main__":
    main()
