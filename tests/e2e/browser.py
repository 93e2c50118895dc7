"""Driving the real app: start `streamlit run app.py` on a free localhost port, draw with the mouse, read.

Shared by the browser tests (conftest.py) and benchmarks/browser_draw.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The links to the seven pages in the sidebar (ui/navigation.py draws them with st.page_link).
PAGE_LINKS = '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]'
# Debian's Chromium as root in a sandbox with no internet: no sandbox, no GPU, no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_app(timeout_s: float = 90, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free port of 127.0.0.1, as a user starts it; yields its URL.

    ``env`` adds to the environment; the server gets its own empty runs folder unless it names one.
    """
    port = free_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RUNS_DIR": tempfile.mkdtemp(prefix="runs-"), **(env or {})}
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server, timeout_s, lambda: f"streamlit did not start; its log:\n{log.read_text()}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.unlink(missing_ok=True)


def wait_until_healthy(url: str, process: subprocess.Popen, timeout_s: float, failure: Callable[[], str]) -> None:
    """Wait until ``url``/_stcore/health answers ok (Streamlit's, or a proxy's in front of it); if the
    process ends or time runs out first, raise RuntimeError with ``failure()`` as its message."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(failure()) from None
            time.sleep(0.3)


# True once Streamlit shows no "running" status: the run that the last action started has finished.
STATUS_IDLE = "() => !document.querySelector('[data-testid=stStatusWidget]')"


def wait_until_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait for Streamlit to finish the run that the last action started."""
    page.wait_for_timeout(300)
    page.wait_for_function(STATUS_IDLE, timeout=timeout_ms)


# Streamlit scrolls its main section, not the document: the document is never taller than the window.
PAGE_HEIGHT = "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight"


def whole_page_screenshot(page, path) -> None:
    """The whole page: the window made as tall as Streamlit's scrolling main section, then put back."""
    viewport = page.viewport_size
    page.set_viewport_size({"width": viewport["width"], "height": page.evaluate(PAGE_HEIGHT)})
    page.wait_for_timeout(500)
    page.screenshot(path=path)
    page.set_viewport_size(viewport)


def drawn_and_read(page, server_url: str, strokes) -> str:
    """Open the Draw page, draw ``strokes`` with the mouse, and return the digit the page says it read."""
    page.goto(server_url)
    page.get_by_text("Draw a digit on the black square").wait_for()
    wait_until_idle(page)
    draw_digit(page, strokes)
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
    wait_until_idle(page)
    return metric_value(page, "Prediction")


def metric_value(page, label: str) -> str | None:
    """The value of the st.metric with this label, or None when there is none."""
    metric = page.locator('[data-testid="stMetric"]', has_text=label)
    if metric.count() == 0:
        return None
    return metric.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def box_of(locator, timeout_ms: int = 60_000) -> dict:
    """The element's box on the page ({x, y, width, height}), once it is there and visible.

    Playwright's ``bounding_box`` does not wait: it answers None for an element not drawn yet, such as the
    canvas while its component still loads on a busy machine. Every box the browser tests use comes from here
    (tests/test_house.py checks).
    """
    locator.wait_for(state="visible", timeout=timeout_ms)
    box = locator.bounding_box()
    assert box is not None, f"{locator} has no box on the page"
    return box


def screen_paths(strokes, box: dict, height: float) -> list[np.ndarray]:
    """Pen strokes ((K, 2) arrays) as page coordinates: scaled to ``height`` pixels, centred on ``box``."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = height / max(high[1] - low[1], 1)
    offset = np.array([box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]) - scale * (low + high) / 2
    return [stroke * scale + offset for stroke in strokes]


def draw_digit(page, strokes, height: float = 190, wait_after_last: bool = True) -> float:
    """Replay pen strokes ((K, 2) arrays) on the canvas with the mouse, scaled to ``height`` pixels, centred.

    Waits for the app after every stroke (the last one too, unless told not to); returns the
    ``time.perf_counter()`` of the last mouse-up.
    """
    canvas = page.locator("canvas.upper-canvas").first
    for number, path in enumerate(screen_paths(strokes, box_of(canvas), height), start=1):
        page.mouse.move(*path[0])
        page.mouse.down()
        for x, y in path[1:]:
            page.mouse.move(x, y, steps=2)
        page.mouse.up()
        lifted = time.perf_counter()
        if number < len(strokes) or wait_after_last:
            wait_until_idle(page)
    return lifted


def touch_digit(page, strokes, height: float = 190) -> None:
    """Replay pen strokes on the canvas with a finger, scaled to ``height`` pixels and centred, as a phone's
    touch screen sends them (the page's context needs ``has_touch=True``); waits for the app after each."""
    canvas = page.locator("canvas.upper-canvas").first
    for path in screen_paths(strokes, box_of(canvas), height):
        touch_path(page, path)


def touch_path(page, points) -> None:
    """One stroke of a finger through ``points`` (page coordinates), then wait for the app."""
    touch = page.context.new_cdp_session(page)
    points = [{"x": float(x), "y": float(y)} for x, y in points]
    touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
    for point in points[1:]:
        touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    touch.detach()
    wait_until_idle(page)


def canvas_ink(page) -> int:
    """How many pixels of the canvas are lit: what is drawn on it now, as the visitor sees it."""
    return page.locator("canvas.dc-canvas.lower-canvas").first.evaluate(  # not the background canvas below it
        """(canvas) => {
            const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
            let lit = 0;
            for (let i = 0; i < data.length; i += 4) if (data[i] > 127) lit++;
            return lit;
        }"""
    )


# Records the websocket frames the page exchanges with Streamlit, each with its performance.now() time,
# taken in the browser so that Playwright's own event delivery adds no delay. Incoming frames are kept
# only when small: the "script finished" message is a few bytes, the page's elements are not needed.
_RECORD_FRAMES = """
(() => {
  const Native = window.WebSocket;
  window.__frames = [];
  const record = (direction, data, limit) => {
    if (!(data instanceof ArrayBuffer)) return;
    const bytes = new Uint8Array(data);
    if (bytes.length > limit) return;
    let text = "";
    for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
    window.__frames.push([direction, performance.now(), btoa(text)]);
  };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => record("in", event.data, 512));
    }
    send(data) {
      record("out", data instanceof ArrayBuffer ? data : (ArrayBuffer.isView(data) ? data.slice().buffer : null), 1 << 24);
      super.send(data);
    }
  };
})();
"""


@contextlib.contextmanager
def recording_page(viewport: dict[str, int], timeout_ms: int) -> Iterator[tuple[str, object]]:
    """`streamlit run app.py` (``running_app``) and a page of Debian's Chromium for it that records its
    websocket frames (see ``script_runs_ms``): the benchmarks' way to time the real server. Yields the URL
    and the page, not yet opened."""
    from playwright.sync_api import sync_playwright

    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=viewport)
        context.add_init_script(_RECORD_FRAMES)
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        yield url, page
        browser.close()


def script_runs_ms(page) -> list[float]:
    """How long each script run took the server since the last call, as the browser saw it: from the
    message asking for a rerun (a widget's new value, such as a stroke) to the message saying the script
    finished. Fragment runs and runs cut short by a newer rerun are left out."""
    import base64

    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    frames = page.evaluate("() => window.__frames.splice(0)")
    runs, asked = [], None
    for direction, at, data in frames:
        payload = base64.b64decode(data)
        if direction == "out":
            if BackMsg.FromString(payload).WhichOneof("type") == "rerun_script":
                asked = at
            continue
        message = ForwardMsg.FromString(payload)
        if message.WhichOneof("type") == "script_finished" and asked is not None:
            if message.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY:
                runs.append(at - asked)
            asked = None
    return runs
