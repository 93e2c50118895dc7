"""Two `streamlit run` servers on one models folder behind nginx (deploy/nginx.conf), all on loopback.

Through the proxy a visitor draws and is answered (websockets proxied, the session sticks to one server).
Each server is then driven directly, so that each check knows which server it talks to: a version made
active through one is served by the other; a retrain started through one is live and stoppable through
the other, and a second start is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from browser import PROJECT, draw_digit, free_port, metric_value, running_app, wait_until_healthy, wait_until_idle

from mnist_app.config import Paths
from mnist_app.models import store, versions

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@contextlib.contextmanager
def nginx_in_front_of(urls: list[str]):
    """nginx on a free port of 127.0.0.1, configured from deploy/nginx.conf for these servers; yields its URL."""
    if not Path(NGINX).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("nginx not found; under CI `make test` installs it")
        pytest.skip("nginx not found (apt-get install nginx-light)")
    prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
    port = free_port()
    servers = "\n".join(f"        server {url.removeprefix('http://')};" for url in urls)
    config = (PROJECT / "deploy" / "nginx.conf").read_text()
    config = config.replace("@PREFIX@", str(prefix)).replace("@LISTEN@", f"127.0.0.1:{port}").replace("@SERVERS@", servers)
    (prefix / "nginx.conf").write_text(config)
    proxy = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proxy, 20, lambda: f"nginx did not start: {proxy.stderr.read().decode() if proxy.poll() is not None else 'no answer'}")
        yield url
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture(scope="module")
def two_servers_behind_nginx(mnist, tmp_path_factory):
    """Two servers on one runs folder (with a second usable version in it) and a small MNIST, so that a
    retrain's data is ready in seconds; then nginx in front of them."""
    folder = tmp_path_factory.mktemp("deploy")
    small = folder / "mnist-small.npz"
    np.savez(small, x_train=mnist.x_train[:2000], y_train=mnist.y_train[:2000], x_test=mnist.x_test[:500], y_test=mnist.y_test[:500])
    runs = folder / "runs"
    other = runs / "20260101-000000"  # the shipped model again, as a run: a version to make active
    shutil.copytree(Paths().default_model_dir, other)
    versions.write_run_state(other, "finished")
    env = {"RUNS_DIR": str(runs), "MNIST_PATH": str(small), "PENDIGITS_PATH": "none", "UJIPEN_PATH": "", "KERAS_HOME": str(folder / "keras")}
    with running_app(env=env) as first, running_app(env=env) as second, nginx_in_front_of([first, second]) as proxy:
        yield {"first": first, "second": second, "proxy": proxy, "runs": runs, "other": other.name, "env": env}


def new_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(90_000)  # a fresh server's first Training page loads TensorFlow's model card
    return page


def started_on_first_live_on_second(browser, servers: dict):
    """Start a retrain on the first server's Training page and find it live on the second's, which offers no
    start meanwhile; returns both pages and the run's id."""
    first, second = new_page(browser), new_page(browser)
    first.goto(f"{servers['first']}/training")
    first.get_by_role("button", name="Start training").click()
    first.get_by_text("Training run").first.wait_for()
    second.goto(f"{servers['second']}/training")
    second.get_by_text("Training run").first.wait_for()  # the live run, started by the other server
    assert second.get_by_role("button", name="Start training").count() == 0
    return first, second, second.get_by_text("Training run").first.inner_text().split()[2]


def sidebar_model(page) -> str:
    page.get_by_text("Active model").wait_for()
    return page.locator('[data-testid="stSidebar"] strong').first.inner_text()


def test_through_the_proxy_a_drawing_is_read(browser, two_servers_behind_nginx, test_writers, screenshots):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(two_servers_behind_nginx["proxy"])
    page.get_by_text("Draw a digit on the black square").wait_for()
    seven = next(d for d in test_writers if d.label == 7 and len(d.strokes) == 1)
    draw_digit(page, seven.strokes)
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
    assert metric_value(page, "Prediction") == "7"
    assert any(cookie["name"] == "backend" for cookie in context.cookies())  # the session's server, for its next requests
    page.screenshot(path=screenshots / "deploy-proxy.png")
    context.close()


def test_a_version_made_active_through_one_server_is_served_by_both(browser, two_servers_behind_nginx):
    servers = two_servers_behind_nginx
    first, second = new_page(browser), new_page(browser)
    first.goto(f"{servers['first']}/training")
    first.get_by_text("Make active").first.wait_for()
    wait_until_idle(first)
    # The select box (a combo box) opens its list on the arrow key; a click alone only focuses it.
    chooser = first.get_by_test_id("stSelectbox").filter(has_text="Version").get_by_role("combobox")
    chooser.click()
    chooser.press("ArrowDown")
    first.get_by_role("option", name=servers["other"]).click()
    assert chooser.input_value() == servers["other"]
    wait_until_idle(first)
    first.get_by_role("button", name="Make active").click()
    active_file, deadline = servers["runs"] / versions.ACTIVE_FILE, time.monotonic() + 60
    while not (active_file.exists() and json.loads(active_file.read_text())["id"] == servers["other"]):
        assert time.monotonic() < deadline, "the click did not make the version active"
        time.sleep(0.2)
    second.goto(servers["second"])
    assert sidebar_model(second) == servers["other"]
    versions.activate(Paths(runs_dir=servers["runs"]), "mnist-cnn")  # as before, for the next test
    first.close(), second.close()


def test_a_retrain_started_through_one_is_live_and_stoppable_through_the_other(browser, two_servers_behind_nginx):
    servers = two_servers_behind_nginx
    first, second, run_id = started_on_first_live_on_second(browser, servers)
    # A second start, from the command line on the same models folder, is refused while it runs.
    cli = subprocess.run([sys.executable, "-m", "mnist_app", "train", "--epochs", "1", "--limit", "100"], cwd=PROJECT,
                         env={**os.environ, **servers["env"]}, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 1 and f"run {run_id} is training already" in cli.stderr, cli.stderr
    second.get_by_role("button", name="Stop").click()
    second.get_by_text("Stopping after this batch; the best finished epoch will be saved.").wait_for()
    first.get_by_text(f"Training run {run_id}").last.wait_for()
    deadline = time.monotonic() + 240
    while versions.find_version(Paths(runs_dir=servers["runs"]), run_id).state in ("running",):
        assert time.monotonic() < deadline, "the run did not stop"
        time.sleep(0.5)
    assert versions.find_version(Paths(runs_dir=servers["runs"]), run_id).state in ("stopped", "ready")
    first.reload()
    first.get_by_role("button", name="Start training").wait_for(timeout=60_000)  # free again on both servers
    first.close(), second.close()
    assert store.read_card(Paths().default_model_dir)  # the shipped model untouched
