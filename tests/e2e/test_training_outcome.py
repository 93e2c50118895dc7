"""The outcome of a retrain in a real browser: a run that ends worse than the active model is offered to the
session that watched it only as a secondary choice behind a confirmation dialog; another visitor sees no
banner, and finds the run, with the same confirmation, in the list of versions.

The run is faked (a saved model whose card says it was stopped in its second epoch, 98.33%), its training lock
held by this test as a worker would hold it, so that the test needs no training.
"""

from __future__ import annotations

import json
import time

from browser import running_app, wait_until_idle

from mnist_app.config import Paths
from mnist_app.models import locks, versions
from mnist_app.models.store import read_card
from tests.test_training_page import fake_run, finish_run

RUN = "20261201-101500"


def active_id(paths: Paths) -> str:
    record = json.loads((paths.runs_dir / versions.ACTIVE_FILE).read_text()) if (paths.runs_dir / versions.ACTIVE_FILE).exists() else {}
    return record.get("id", "mnist-cnn")


def wait_for_active(paths: Paths, version_id: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while active_id(paths) != version_id:
        assert time.monotonic() < deadline, f"{version_id} did not become active"
        time.sleep(0.2)


def test_a_worse_run_needs_a_confirmation_and_is_no_banner_for_others(browser, mnist, runs_dir, screenshots):
    paths = Paths.from_env()
    lock = locks.training_lock(paths)  # the fake run's worker
    assert lock.acquire()
    run_dir = fake_run(stage="training")
    env = {"RUNS_DIR": str(runs_dir), "PENDIGITS_PATH": "none", "UJIPEN_PATH": ""}
    with running_app(env=env) as url:
        watcher = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        watcher.set_default_timeout(90_000)  # the server's first Training page loads TensorFlow
        watcher.goto(f"{url}/training")
        watcher.get_by_text(f"Training run {RUN}").first.wait_for()
        finish_run(run_dir)
        lock.release()  # the run ends: the page's poll shows its outcome to this session

        watcher.get_by_text("was stopped after").wait_for()
        assert watcher.get_by_role("button", name=f"Make {RUN} active", exact=True).count() == 0  # no direct switch
        offer = watcher.get_by_role("button", name=f"Make {RUN} active…")
        assert offer.get_attribute("data-testid") == "stBaseButton-secondary"
        wait_until_idle(watcher)
        watcher.screenshot(path=screenshots / "training-outcome-worse.png", full_page=True)
        offer.click()
        dialog = watcher.get_by_role("dialog")
        shipped_errors = read_card(Paths().default_model_dir)["test"]["errors"]  # 29: the shipped ensemble's
        dialog.get_by_text(f"167 test errors against {shipped_errors}").wait_for()
        assert "Every visitor of this app, on every server" in dialog.inner_text()
        watcher.screenshot(path=screenshots / "training-outcome-confirm.png")
        dialog.get_by_role("button", name="Keep mnist-cnn").click()
        dialog.wait_for(state="detached")
        assert active_id(paths) == "mnist-cnn"
        watcher.set_viewport_size({"width": 390, "height": 844})
        wait_until_idle(watcher)
        watcher.screenshot(path=screenshots / "training-outcome-worse-phone.png", full_page=True)

        # Another visitor: no banner, the run in the versions list, and the same confirmation before the switch.
        other = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        other.set_default_timeout(90_000)
        other.goto(f"{url}/training")
        other.get_by_text("Make active").first.wait_for()
        wait_until_idle(other)
        assert other.get_by_text("was stopped after").count() == 0
        chooser = other.get_by_test_id("stSelectbox").filter(has_text="Version").get_by_role("combobox")
        chooser.click()
        chooser.press("ArrowDown")
        other.get_by_role("option", name=RUN).click()
        wait_until_idle(other)
        other.get_by_role("button", name="Make active…").click()
        dialog = other.get_by_role("dialog")
        dialog.get_by_role("button", name=f"Make {RUN} active").click()
        wait_for_active(paths, RUN)
        other.get_by_text(f"{RUN} is now the active model for every visitor.").wait_for()  # said once it is done
        watcher.context.close(), other.context.close()
