"""Kill test: start a retrain from the Training page, kill the server at a random moment, restart it,
and check that the app still serves the model that was active before. Repeats and prints the count.

    python benchmarks/kill_test.py [--rounds 10] [--seed 0]

Each round: `streamlit run app.py` on a free localhost port with its own runs folder and a small MNIST
slice (so that a run lasts about 15 s and a kill lands in every stage: preparing, training, evaluating,
saving); Chromium opens the Training page and presses "Start training"; after a random wait the server
gets SIGKILL. Then a new server starts on the same folders, and the round passes when:
  - the sidebar names the model that was active before the kill, and the Draw page reads a drawn 7;
  - the killed run is listed as interrupted (or, if the kill came after the save, as a usable version),
    activating an interrupted run is refused, and the training lock is free again.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests" / "e2e")]

from playwright.sync_api import sync_playwright  # noqa: E402

from browser import CHROMIUM, CHROMIUM_ARGS, draw_digit, metric_value, running_app, wait_until_idle  # noqa: E402
from mnist_app import versions  # noqa: E402
from mnist_app.config import Paths  # noqa: E402
from mnist_app.data import load_mnist  # noqa: E402
from mnist_app.pendigits import read_pendigits  # noqa: E402

def small_mnist(folder: Path) -> Path:
    data = load_mnist()
    path = folder / "small-mnist.npz"
    np.savez(path, x_train=data.x_train[:3000], y_train=data.y_train[:3000], x_test=data.x_test[:1000], y_test=data.y_test[:1000])
    return path


def start_training(page, url: str, epochs: int) -> None:
    page.goto(f"{url}/training")
    page.get_by_role("button", name="Start training").wait_for()
    page.get_by_label("Epochs").fill(str(epochs))
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Training run").first.wait_for()


def sidebar_model(page) -> str:
    return page.locator("[data-testid=stSidebar] strong").first.inner_text()


def one_round(browser, env: dict[str, str], paths: Paths, active_before: str, kill_after: float, seven) -> tuple[list[str], list[str]]:
    """One kill and restart; returns what went wrong (nothing, when the round passes) and the runs' states."""
    problems = []
    with running_app(env=env) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start_training(page, url, epochs=3)
        time.sleep(kill_after)
        # running_app stops its server politely; this test wants the hard way, before that.
        os.system(f"pkill -KILL -f 'streamlit run app.py --server.port {url.rsplit(':', 1)[1]} '")
        page.close()
    runs = [v for v in versions.list_versions(paths) if not v.shipped]
    if versions.training_elsewhere(paths):
        problems.append("the training lock is still held after the kill")
    for version in runs:
        if version.state not in ("ready", "interrupted"):
            problems.append(f"run {version.id} is {version.state}, expected ready or interrupted")
        if not version.usable:
            try:
                versions.activate(paths, version.id)
                problems.append(f"activating the killed run {version.id} was allowed")
            except ValueError:
                pass
    with running_app(env=env) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_until_idle(page)
        if sidebar_model(page) != active_before:
            problems.append(f"the sidebar shows {sidebar_model(page)!r}, expected {active_before!r}")
        draw_digit(page, seven.strokes)
        if metric_value(page, "Prediction") != "7":
            problems.append(f"the Draw page read {metric_value(page, 'Prediction')!r} for a 7")
        page.close()
    return problems, [v.state for v in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    seven = next(d for d in read_pendigits(PROJECT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tes") if d.label == 7 and len(d.strokes) == 1)
    folder = Path(tempfile.mkdtemp(prefix="kill-test-"))
    env = {"RUNS_DIR": str(folder / "runs"), "MNIST_PATH": str(small_mnist(folder)), "PENDIGITS_PATH": "none"}
    paths = Paths(runs_dir=folder / "runs")
    passed = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for round_number in range(1, args.rounds + 1):
            usable_runs = [v.id for v in versions.list_versions(paths) if v.usable and not v.shipped]
            if usable_runs and round_number % 2 == 0:
                versions.activate(paths, usable_runs[0])  # sometimes the active model is an earlier run
            active_before = versions.active_version(paths).version.id
            kill_after = float(rng.uniform(0, 20))
            problems, states = one_round(browser, env, paths, active_before, kill_after, seven)
            passed += not problems
            print(f"round {round_number}: killed {kill_after:4.1f} s after Start; active {active_before}; "
                  f"runs now {states}: {'ok' if not problems else '; '.join(problems)}", flush=True)
        browser.close()
    print(f"{passed} of {args.rounds} rounds served the previous model after the kill")


if __name__ == "__main__":
    main()
