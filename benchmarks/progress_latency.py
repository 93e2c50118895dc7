"""How long the Training page takes to show a retrain's progress, in Chromium against `streamlit run`.

    python benchmarks/progress_latency.py [--visits 10]

Starts the app with its own runs folder, opens the Training page, presses "Start training" with the
default settings and times how long until the run's progress shows. Then, while the run trains (and
takes the CPU), opens the Training page afresh --visits times, timing from navigation to the progress
bar, and times how long a live view takes to show the next epoch's curves after the epoch ends.
Finally presses Stop and times until the outcome shows. Prints medians and maxima.
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

from browser import CHROMIUM, CHROMIUM_ARGS, running_app, wait_until_idle  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

PROGRESS = "[data-testid=stProgress]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=10)
    args = parser.parse_args()
    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        page.goto(f"{url}/training")
        page.get_by_role("button", name="Start training").wait_for()
        wait_until_idle(page)
        started = time.perf_counter()
        page.get_by_role("button", name="Start training").click()
        page.locator(PROGRESS).first.wait_for()
        print(f"Start pressed -> progress shown: {time.perf_counter() - started:.2f} s", flush=True)

        visits = []
        for _ in range(args.visits):
            visitor = browser.new_page(viewport={"width": 1400, "height": 1000})
            visitor.set_default_timeout(120_000)
            opened = time.perf_counter()
            visitor.goto(f"{url}/training")
            visitor.locator(PROGRESS).first.wait_for()
            visits.append(time.perf_counter() - opened)
            visitor.close()
        print(f"a new visit, navigation -> progress shown, while training: median {statistics.median(visits):.2f} s, "
              f"max {max(visits):.2f} s over {len(visits)} visits", flush=True)

        # The epoch counter in the progress text moves to epoch 2 when epoch 1 ends; the curves come with it.
        page.get_by_text("Epoch 2 of").first.wait_for(timeout=300_000)
        seen = time.perf_counter()
        page.locator("[data-testid=stPlotlyChart]").nth(2).wait_for()  # the live curves, above the active model's two
        print(f"epoch 1 ended -> its curves on the live page: {time.perf_counter() - seen:.2f} s after the counter moved", flush=True)

        stopped = time.perf_counter()
        page.get_by_role("button", name="Stop").click()
        page.get_by_text("stopped early").first.wait_for(timeout=300_000)
        print(f"Stop pressed -> outcome shown: {time.perf_counter() - stopped:.2f} s (the current batch, evaluation and saving)")
        browser.close()


if __name__ == "__main__":
    main()
