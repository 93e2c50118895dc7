"""Two `streamlit run` servers pointed at one PostgreSQL database (DATABASE_URL), nginx in front, all on loopback:
what servers on several machines must agree on goes through the database.

Through the proxy a drawing is read. Each server is then driven directly, so that each check knows which one
it talks to: a correction sent through one is listed by the other; a retrain started through one is live on the
other and refused there, and from a machine that shares only the database; killing its worker frees the lock
for both; with the database stopped every page of both says so plainly, with no traceback, and both are back
to normal once it is back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from browser import PAGE_LINKS, PROJECT, drawn_and_read, metric_value, running_app, wait_until_idle
from postgres import Cluster
from test_deploy import new_page, nginx_in_front_of, started_on_first_live_on_second

from mnist_app.models import versions
from ui.navigation import PAGES

TRACEBACK = '[data-testid="stException"]'


@pytest.fixture(scope="module")
def cluster():
    """A PostgreSQL cluster of this module's own: its tests stop and start it."""
    reason = Cluster.missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI `make test` installs it")
        pytest.skip(reason)
    cluster = Cluster().start()
    yield cluster
    cluster.remove()


@pytest.fixture(scope="module")
def two_servers_on_one_database(cluster, mnist, tmp_path_factory):
    """Two servers sharing one models folder (as several machines mount it) and one database, with a small
    MNIST so that a retrain's data is ready in seconds; then nginx in front of them."""
    folder = tmp_path_factory.mktemp("shared")
    small = folder / "mnist-small.npz"
    np.savez(small, x_train=mnist.x_train[:2000], y_train=mnist.y_train[:2000], x_test=mnist.x_test[:500], y_test=mnist.y_test[:500])
    env = {"RUNS_DIR": str(folder / "runs"), "MNIST_PATH": str(small), "PENDIGITS_PATH": "none", "UJIPEN_PATH": "",
           "KERAS_HOME": str(folder / "keras"), "DATABASE_URL": cluster.new_database()}
    with running_app(env=env) as first, running_app(env=env) as second, nginx_in_front_of([first, second]) as proxy:
        yield {"first": first, "second": second, "proxy": proxy, "runs": folder / "runs", "env": env}


def test_through_the_proxy_a_drawing_is_read(browser, two_servers_on_one_database, test_writers):
    page = new_page(browser)
    seven = next(d for d in test_writers if d.label == 7 and len(d.strokes) == 1)
    assert drawn_and_read(page, two_servers_on_one_database["proxy"], seven.strokes) == "7"
    page.close()


def test_a_correction_sent_through_one_server_is_listed_by_the_other(browser, two_servers_on_one_database, test_writers):
    servers = two_servers_on_one_database
    first, second = new_page(browser), new_page(browser)
    four = next(d for d in test_writers if d.label == 4 and len(d.strokes) == 1)
    said = "9" if drawn_and_read(first, servers["first"], four.strokes) != "9" else "4"
    first.get_by_role("radiogroup", name="Wrong? It is:").get_by_role("radio", name=said, exact=True).click()
    first.get_by_text(f"Kept as a {said}").wait_for()
    second.goto(f"{servers['second']}/corrections")
    second.get_by_text("Waiting for review").wait_for()
    wait_until_idle(second)
    assert metric_value(second, "Waiting for review") == "1"  # the correction sent through the first server
    assert not (servers["runs"] / "corrections.sqlite").exists()  # kept in the database, not in a file of the folder
    first.close(), second.close()


def _cli_train(servers: dict, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnist_app", "train", "--epochs", "1", "--limit", "100"], cwd=PROJECT,
                          env={**os.environ, **servers["env"], **env}, capture_output=True, text=True, timeout=120)


def test_a_retrain_started_on_one_is_refused_on_the_other_and_a_killed_worker_frees_it(browser, two_servers_on_one_database, tmp_path):
    servers = two_servers_on_one_database
    first, second, run_id = started_on_first_live_on_second(browser, servers)
    # A machine that shares only the database (another runs folder) is refused by the database's lock.
    elsewhere = _cli_train(servers, RUNS_DIR=str(tmp_path / "elsewhere"))
    assert elsewhere.returncode == 1 and "another process is training" in elsewhere.stderr, elsewhere.stderr
    assert not (servers["runs"] / ".training.lock").exists()
    # The worker is killed (the out-of-memory killer, an operator): both servers see the lock free.
    pid = json.loads((servers["runs"] / run_id / versions.RUN_FILE).read_text())["pid"]
    os.kill(pid, signal.SIGKILL)
    for page in (second, first):
        page.get_by_text("ended without a word").first.wait_for(timeout=30_000)
        page.get_by_role("button", name="Start training").wait_for()
    second.get_by_role("button", name="Start training").click()  # and the other server can start one now
    second.get_by_text("Training run").first.wait_for()
    second.get_by_role("button", name="Stop").click()
    second.get_by_role("button", name="Start training").wait_for(timeout=240_000)
    first.close(), second.close()


def test_with_the_database_stopped_every_page_says_so_and_recovers(browser, cluster, two_servers_on_one_database, screenshots):
    servers = two_servers_on_one_database
    page = new_page(browser)
    cluster.stop()
    try:
        for server in ("first", "second"):
            page.goto(servers[server])
            for _, title, _ in PAGES:
                page.locator(PAGE_LINKS, has_text=title).click()
                page.get_by_text("cannot be reached").first.wait_for()
                wait_until_idle(page)
                assert page.locator(TRACEBACK).count() == 0, f"{server} server, {title}: {page.locator(TRACEBACK).all_inner_texts()}"
        page.screenshot(path=screenshots / "database-down.png")
    finally:
        cluster.start()
    for server in ("first", "second"):
        page.goto(f"{servers[server]}/training")
        page.get_by_role("button", name="Start training").wait_for()
        wait_until_idle(page)
        assert page.get_by_text("cannot be reached").count() == 0 and page.locator(TRACEBACK).count() == 0
    page.close()
