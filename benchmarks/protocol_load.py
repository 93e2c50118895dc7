"""Load without a browser: visitors drawing digits on the Draw page, each a websocket speaking Streamlit's protocol.

    python benchmarks/protocol_load.py [--sessions 1 10] [--seconds 120] [--think-s 0] [--clear] [--max-digits 5000]
        [--through-nginx] [--servers 1] [--server-cpus 1] [--find-capacity]

load_test.py's Chromium needs about a core for a visitor or two; here one event loop plays them all, each saying
on /_stcore/stream what Chromium says there (read from its frames; Streamlit 1.67): the XSRF cookie from
/_stcore/health offered as the subprotocol after "streamlit", a first rerun_script with the browser's ContextInfo,
reruns with what a 1400x1000 window reports (the mode, the widths ui/screen.py measures), the ref_hash cache.
A drawing is the canvas's value as streamlit-drawable-canvas (a v2 component) sends it on mouse-up: {"drawing":
{"raw": Fabric.js JSON, a "Path" per stroke, "data": a PNG data URL}}: the stroke 190 pixels high and centred
as load_test.py draws it, moved a random whole number of pixels (a new picture, the same 28x28 model input),
white on black with the page's pen. It replaces the last drawing without Clear's two runs; --clear adds them,
as load_test.py's sessions do. A visitor waits for the run's end, then thinks --think-s seconds (default 0:
digit after digit, as load_test.py), starting at a random moment within that pause, so as not to draw in step.

The pool: load_test.py's candidates (one-stroke digits of pendigits-orig.tes, writers the model never saw) that
the server, drawn on by one quiet visitor, reads right with at least 95% confidence. Per phase: predictions,
the wrong ones (another digit, or none within 30 s), exceptions (an exception element, or a run that did not end
well), the median and 95th percentile from sending the drawing to the "Prediction" metric (and to the run's end),
the servers' memory and this script's CPU use (far below a core, or it is the limit). A browser's time has its
own work in it too, so load_test.py's is higher. --through-nginx, --servers, --server-cpus and --find-capacity
work as in load_test.py (benchmarks/servers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import json
import os
import random
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests" / "e2e"), str(PROJECT / "benchmarks")]

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import websockets  # noqa: E402
from servers import Phase, Served, add_load_arguments, capacity_summary, check_load_arguments, cpu_use, find_capacity, one_stroke_candidates, served, server_rss_mb
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

ANSWER_TIMEOUT_S = 30  # a drawing with no answer by then counts as wrong ("None"); the visitor then reloads
POOL_SIZE = 40  # digits in the pool, as load_test.py
DIGIT_HEIGHT = 190  # pixels: load_test.py draws its digits this high (browser.screen_paths)
MAX_SHIFT = 10  # a drawing moves by up to this many whole pixels each way: inside the canvas, the same model input
CANVAS_KEY, CLEAR_KEY = "draw_canvas_One digit", "draw_clear"  # the Draw page's widget keys
# What Chromium in a 1400x1000 window reports with every rerun once the Draw page is drawn, by widget key.
BROWSER_STATES = {"draw_mode": {"string_array_value": {"data": ["One digit"]}}, "draw_room_page": {"json_value": '{"width":940}'},
                  "draw_room_column": {"json_value": '{"width":360}'}}
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "is_embedded": False, "color_scheme": "dark"}
# A freehand stroke as Fabric.js 7.4 (the canvas's) writes it, but for its place, size, pen and points.
FABRIC_PATH = {
    **dict.fromkeys(["lockMovementX", "lockMovementY", "lockRotation", "lockScalingX", "lockScalingY", "lockSkewingX", "lockSkewingY",
                     "lockScalingFlip", "strokeUniform", "flipX", "flipY"], False), "type": "Path", "version": "7.4.0", "originX": "center",
    "originY": "center", "fill": None, "stroke": "#FFFFFF", "strokeDashArray": None, "strokeLineCap": "round", "strokeDashOffset": 0,
    "strokeLineJoin": "round", "strokeMiterLimit": 10, "scaleX": 1, "scaleY": 1, "angle": 0, "opacity": 1, "shadow": None, "visible": True,
    "backgroundColor": "", "fillRule": "nonzero", "paintFirst": "fill", "globalCompositeOperation": "source-over", "skewX": 0, "skewY": 0,
}


def drawing_value(strokes, canvas: dict, shift: tuple[int, int]) -> str:
    """The canvas's value (JSON) once these pen strokes are drawn on it, moved by ``shift`` pixels."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = DIGIT_HEIGHT / max(high[1] - low[1], 1)
    offset = np.array([canvas["canvasWidth"], canvas["canvasHeight"]]) / 2 + shift - scale * (low + high) / 2
    return canvas_value(tuple(np.round(stroke * scale + offset, 3) for stroke in strokes), canvas)


def canvas_value(paths: tuple[np.ndarray, ...], canvas: dict) -> str:
    """The canvas's value with these (K, 2) paths of canvas pixels drawn on it (see the module's docstring)."""
    width, height, pen = canvas["canvasWidth"], canvas["canvasHeight"], canvas["strokeWidth"]
    ink = np.zeros((height, width), dtype=np.uint8)
    for path in paths:  # coordinates in 1/16 pixel (shift=4), as the browser draws between pixels
        cv2.polylines(ink, [np.round(path * 16).astype(np.int32).reshape(-1, 1, 2)], isClosed=False, color=255,
                      thickness=pen, lineType=cv2.LINE_AA, shift=4)
    # (H, W) ink -> (H, W, 4) opaque grey RGBA, the canvas's PNG
    png = cv2.imencode(".png", np.dstack([ink, ink, ink, np.full_like(ink, 255)]))[1].tobytes()
    raw = {"version": "7.4.0", "objects": [fabric_path(path, pen) for path in paths], "background": canvas["backgroundColor"]}
    return json.dumps({"drawing": {"raw": raw, "data": "data:image/png;base64," + base64.b64encode(png).decode()}},
                      separators=(",", ":"))


def fabric_path(path: np.ndarray, pen: int) -> dict:
    """A Fabric "Path" object through these points: its origin is its centre; its size leaves out the pen's width."""
    (left, top), (right, bottom) = path.min(axis=0).tolist(), path.max(axis=0).tolist()
    commands = [["M", *path[0].tolist()], *(["L", *point] for point in path[1:].tolist())]
    return {**FABRIC_PATH, "left": (left + right) / 2, "top": (top + bottom) / 2, "width": right - left,
            "height": bottom - top, "strokeWidth": pen, "path": commands}


def page_cookies(url: str) -> dict[str, str]:
    """The cookies the page gets when it asks whether the server is up: Streamlit's XSRF cookie (nginx's too)."""
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=ANSWER_TIMEOUT_S) as response:
        return dict(header.split(";", 1)[0].split("=", 1) for header in response.headers.get_all("Set-Cookie") or [])


@dataclass
class Run:
    """What one script run showed: the answer, how long it took to come, and what went wrong."""

    answer: str | None = None  # the "Prediction" metric's value
    sure: str = ""  # the metric's second line: "99.9% sure", or "not a digit"
    answer_ms: float | None = None  # from sending the rerun to the metric
    finished_ms: float | None = None  # from sending the rerun to the end of the run
    exceptions: int = 0


class Visitor:
    """One visitor's Draw page: a session of the app on a websocket of its own. It keeps, as the page does, the
    ids of the widgets seen and the components' properties (by key), the values it reports with every rerun (by
    widget key) and the forward-message cache (by hash)."""

    def __init__(self, url: str):
        self.url = url
        self.socket = None

    async def open(self) -> None:
        """Open the Draw page as Chromium does (see the module's docstring), up to a canvas ready to draw on."""
        self.ids, self.props, self.states, self.cache, self.page_hash = {}, {}, {}, {}, ""
        cookies = await asyncio.to_thread(page_cookies, self.url)
        self.socket = await websockets.connect(
            f"ws{self.url.removeprefix('http')}/_stcore/stream", max_size=None, ping_interval=None,
            subprotocols=["streamlit", cookies.get("_streamlit_xsrf", "PLACEHOLDER_AUTH_TOKEN")],
            additional_headers={"Origin": self.url, "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())})
        await self.rerun()
        while reported := [key for key in BROWSER_STATES if key in self.ids and key not in self.states]:
            self.states.update({key: WidgetState(id=self.ids[key], **BROWSER_STATES[key]) for key in reported})
            await self.rerun()
        if CANVAS_KEY not in self.props:
            raise RuntimeError(f"no canvas ({CANVAS_KEY!r}) on the Draw page; widgets seen: {sorted(self.ids)}")
        self.canvas = self.props[CANVAS_KEY]
        self.empty = canvas_value((), self.canvas)  # what the canvas reports after Clear

    async def draw(self, value: str) -> Run:
        """Report the canvas's new value, as the canvas does on mouse-up, and wait for the run to finish."""
        self.states[CANVAS_KEY] = WidgetState(id=self.ids[CANVAS_KEY], json_value=value)
        return await self.rerun()

    async def clear(self) -> int:
        """Press Clear, then report the emptied canvas, as the page does; returns the runs' exceptions."""
        pressed = await self.rerun(WidgetState(id=self.ids[CLEAR_KEY], trigger_value=True))
        return pressed.exceptions + (await self.draw(self.empty)).exceptions

    async def rerun(self, *triggers: WidgetState) -> Run:
        """Ask for a run with the page's widget values (and ``triggers``), as rerun_script; read it to its end."""
        message = BackMsg()
        client = message.rerun_script
        client.page_script_hash = self.page_hash
        client.widget_states.widgets.extend([*self.states.values(), *triggers])
        client.cached_message_hashes.extend(self.cache)
        client.context_info.url = f"{self.url}/"
        for name, value in CONTEXT.items():
            setattr(client.context_info, name, value)
        run, sent = Run(), time.perf_counter()
        await self.socket.send(message.SerializeToString())
        async with asyncio.timeout(ANSWER_TIMEOUT_S):
            while True:
                forward = ForwardMsg.FromString(await self.socket.recv())
                if forward.WhichOneof("type") == "ref_hash":
                    forward = self.cache[forward.ref_hash]
                elif forward.metadata.cacheable:
                    self.cache[forward.hash] = forward
                kind = forward.WhichOneof("type")
                if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                    self.element(forward.delta.new_element, run, sent)
                elif kind == "navigation" and forward.navigation.page_script_hash:
                    self.page_hash = forward.navigation.page_script_hash
                elif kind == "script_finished" and forward.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run.finished_ms = 1000 * (time.perf_counter() - sent)  # an st.rerun() goes on in the same request
                    run.exceptions += forward.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY
                    return run

    def element(self, element, run: Run, sent: float) -> None:
        kind = element.WhichOneof("type")
        content = getattr(element, kind) if kind else None
        widget_id = getattr(content, "id", "")
        if widget_id.startswith("$$ID-"):  # "$$ID-<digest>-<key>"
            key = widget_id.split("-", 2)[2]
            self.ids[key] = widget_id
            if kind == "bidi_component":
                self.props[key] = json.loads(content.json or "{}")
        if kind == "metric" and content.label == "Prediction" and run.answer is None:
            run.answer, run.sure, run.answer_ms = content.body, content.delta, 1000 * (time.perf_counter() - sent)
        elif kind == "exception":
            run.exceptions += 1


async def visit(visitor: Visitor, pool, phase: Phase, deadline: float, budget: list[int], rng: random.Random, args) -> None:
    """One visitor drawing pool digits until the deadline (see the module's docstring)."""
    await asyncio.sleep(rng.uniform(0, args.think_s))
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        digit = rng.choice(pool)
        try:
            if args.clear and CANVAS_KEY in visitor.states:  # Clear is disabled until something is drawn
                phase.exceptions += await visitor.clear()
            shift = (rng.randint(-MAX_SHIFT, MAX_SHIFT), rng.randint(-MAX_SHIFT, MAX_SHIFT))
            run = await visitor.draw(drawing_value(digit.strokes, visitor.canvas, shift))
        except (TimeoutError, websockets.ConnectionClosed):
            run = Run()  # no answer: the visitor reloads the page
            await visitor.socket.close()
            await visitor.open()
        phase.digits += 1
        phase.exceptions += run.exceptions
        if run.answer_ms is not None:
            phase.latencies_ms.append(run.answer_ms)
            phase.finished_ms.append(run.finished_ms)
        if run.answer != str(digit.label):
            phase.wrong.append(f"{digit.label}->{run.answer}")
        await asyncio.sleep(min(args.think_s, max(0.0, deadline - time.monotonic())))  # no thinking past the end


def servers_memory_mb(serving: Served) -> str:
    return "+".join(f"{server_rss_mb(port):.0f}" for port in serving.ports)


async def run_phase(serving: Served, pool, sessions: int, args, label: str) -> Phase:
    visitors = [Visitor(serving.url) for _ in range(sessions)]
    for visitor in visitors:
        await visitor.open()
    phase, rng, memory_before = Phase(), random.Random(sessions), servers_memory_mb(serving)
    cpu_since = cpu_use(serving) if serving.server_cpus else None
    started, own_before = time.monotonic(), time.process_time()  # this process's CPU time, all threads
    deadline, remaining = started + args.seconds, [args.max_digits]
    await asyncio.gather(*(visit(visitor, pool, phase, deadline, remaining, random.Random(rng.random()), args) for visitor in visitors))
    elapsed = time.monotonic() - started
    own = (time.process_time() - own_before) / elapsed
    phase.cpu = cpu_since() if cpu_since else None
    for visitor in visitors:
        await visitor.socket.close()
    finished = np.percentile(phase.finished_ms, [50, 95]) if phase.finished_ms else [float("nan")] * 2
    print(f"{label}: {phase.digits} predictions in {elapsed:.0f} s, {len(phase.wrong)} wrong {phase.wrong[:10]}, "
          f"{phase.exceptions} exceptions; drawing -> prediction median {phase.median_ms():.0f} ms, p95 {phase.p95_ms():.0f} ms "
          f"(-> run's end median {finished[0]:.0f}, p95 {finished[1]:.0f}); server memory {memory_before} -> "
          f"{servers_memory_mb(serving)} MB; this script used {own:.2f} of a core{f'; {phase.cpu.text}' if phase.cpu else ''}", flush=True)
    return phase


async def calibrate(url: str, candidates, size: int) -> list:
    """The digits the server reads right and surely, drawn by one quiet visitor (see the module's docstring)."""
    visitor, pool = Visitor(url), []
    await visitor.open()
    for digit in candidates:
        run = await visitor.draw(drawing_value(digit.strokes, visitor.canvas, (0, 0)))
        confidence = float(run.sure.split("%")[0]) / 100 if "%" in run.sure else 0.0  # "97.2% sure", or "not a digit"
        if run.answer == str(digit.label) and confidence >= 0.95:
            pool.append(digit)
        if len(pool) == size:
            break
    await visitor.socket.close()
    return pool


async def main_async(args) -> None:
    with served(args.servers, args.through_nginx, args.server_cpus, driver="this script") as serving:
        pool = await calibrate(serving.url, one_stroke_candidates(), POOL_SIZE)
        print(f"pool: {len(pool)} one-stroke digits of pendigits-orig.tes read right by a quiet session", flush=True)
        label = (f", thinking {args.think_s:g} s" if args.think_s else "") + (", with Clear" if args.clear else "")
        if args.find_capacity:
            summary = await find_capacity(
                lambda sessions: run_phase(serving, pool, sessions, args, f"{sessions:2d} sessions{label}"), args.sessions,
                functools.partial(capacity_summary, servers=args.servers, server_cpus=serving.server_cpus,
                                  driver="this script", driver_cores="this script's cores"))
            print(f"capacity{label}: {summary}", flush=True)
        else:
            for sessions in args.sessions:
                await run_phase(serving, pool, sessions, args, f"{sessions:2d} sessions{label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_load_arguments(parser)
    parser.add_argument("--think-s", type=float, default=0, help="each visitor's pause after an answer, in seconds (default 0)")
    parser.add_argument("--clear", action="store_true", help="press Clear before each drawing, as a visitor in a browser")
    args = parser.parse_args()
    check_load_arguments(parser, args)
    if args.think_s < 0:
        parser.error("--think-s cannot be negative")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
