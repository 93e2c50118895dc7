"""Kill test: start a retrain from the Training page, kill the server or the training worker at a random
moment, restart the server, and check that the app still serves the model that was active before and
that the run ends cleanly. Repeats and prints the count.

    python benchmarks/kill_test.py [--rounds 10] [--seed 0]

Each round: `streamlit run app.py` on a free localhost port with its own runs folder and a small MNIST
slice (so that a run lasts about 15 s and a kill lands in every stage: preparing, training, evaluating,
saving); Chromium opens the Training page and presses "Start training"; after a random wait the server
(odd rounds) or the worker process (even rounds) gets SIGKILL. Then a new server starts on the same
folders, and the round passes when:
  - the sidebar names the model that was active before the kill, and the Draw page reads a drawn 7;
  - a killed worker frees the training lock and its run is listed as interrupted (or, if the kill came
    after the save, as a usable version), and activating an interrupted run is refused;
  - a worker that outlived its server is shown live by the new server, and stops when asked there.
"""

from __future__ import annotations

import argparse
import json
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

from browser import CHROMIUM, CHROMIUM_ARGS, draw_digit, metric_value, running_app, wait_until_idle  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from mnist_app.config import Paths  # noqa: E402
from mnist_app.handwriting.pendigits import read_pendigits  # noqa: E402
from mnist_app.models import locks, versions  # noqa: E402
from mnist_app.training.data import load_mnist  # noqa: E402


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


def newest_run(paths: Paths) -> versions.Version:
    return next(v for v in versions.list_versions(paths) if not v.shipped)


def one_round(browser, env: dict[str, str], paths: Paths, active_before: str, kill_after: float, seven, victim: str) -> tuple[list[str], str]:
    """One kill (of the server or of the training worker) and a restart; returns what went wrong (nothing,
    when the round passes) and how the run ended."""
    problems = []
    with running_app(env=env) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start_training(page, url, epochs=3)
        time.sleep(kill_after)
        run = newest_run(paths)
        if victim == "server":  # running_app stops its server politely; this test wants the hard way, before that
            os.system(f"pkill -KILL -f 'streamlit run app.py --server.port {url.rsplit(':', 1)[1]} '")
        else:
            pid = json.loads((run.path / versions.RUN_FILE).read_text()).get("pid")
            if pid and locks.training_elsewhere(paths):
                os.kill(pid, signal.SIGKILL)
        page.close()
    if victim == "worker":
        time.sleep(1)
        if locks.training_elsewhere(paths):
            problems.append("the training lock is still held after the worker was killed")
        run = versions.find_version(paths, run.id)
        if run.state not in ("ready", "interrupted", "stopped", "finished"):
            problems.append(f"run {run.id} is {run.state} after its worker was killed")
        if not run.usable:
            try:
                versions.activate(paths, run.id)
                problems.append(f"activating the killed run {run.id} was allowed")
            except ValueError:
                pass
    with running_app(env=env) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_until_idle(page)
        if sidebar_model(page) != active_before:
            problems.append(f"the sidebar shows {sidebar_model(page)!r}, expected {active_before!r}")
        draw_digit(page, seven.strokes)
        try:
            page.locator("[data-testid=stMetric]", has_text="Prediction").wait_for(timeout=30_000)
        except PlaywrightTimeout:
            pass
        if (read := metric_value(page, "Prediction")) != "7":
            problems.append(f"the Draw page read {read!r} for a 7")
        if locks.training_elsewhere(paths):  # the worker outlived the server: the new server shows it and stops it
            page.goto(f"{url}/training")
            page.get_by_text(f"Training run {run.id}").first.wait_for()
            page.get_by_role("button", name="Stop").click()
            deadline = time.monotonic() + 120
            while locks.training_elsewhere(paths) and time.monotonic() < deadline:
                time.sleep(0.5)
            if locks.training_elsewhere(paths):
                problems.append(f"run {run.id} did not stop when asked through the restarted server")
        page.close()
    return problems, versions.find_version(paths, run.id).state


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
            victim = "server" if round_number % 2 else "worker"
            problems, state = one_round(browser, env, paths, active_before, kill_after, seven, victim)
            passed += not problems
            print(f"round {round_number}: {victim} killed {kill_after:4.1f} s after Start; active {active_before}; "
                  f"the run ended {state}: {'ok' if not problems else '; '.join(problems)}", flush=True)
        browser.close()
    print(f"{passed} of {args.rounds} rounds passed")


if __name__ == "__main__":
    main()
