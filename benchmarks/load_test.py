"""Load and soak: many browser sessions drawing digits on one `streamlit run` server, on loopback only.

    python benchmarks/load_test.py [--sessions 1 10] [--seconds 120] [--max-digits 5000] [--with-retrain]
        [--through-nginx] [--servers 1] [--server-cpus 1] [--find-capacity]

Starts the app on a free port of 127.0.0.1 and one headless Chromium. First one session draws the digit
pool once: one-stroke digits of pendigits-orig.tes (writers the model never saw) that it reads right with
at least 95% confidence, so that any other answer later is the server's fault, not the model's. Then, for
each session count, that many browser sessions (each its own context, so its own Streamlit session) draw
pool digits with the mouse for --seconds (or until --max-digits in all), each waiting for its answer and
clearing the canvas. Per phase it prints the number of predictions, the wrong ones (an answer that is not
the digit drawn, or none within 30 s: a screenshot goes to test-artifacts/load-test/), exceptions shown on a page, the median and 95th percentile time from mouse-up
to the new prediction on the page (timed inside the page, so the driver's own delays do not count), and
the server's memory (resident set) at the start and end of the phase.

--with-retrain then repeats the phases while a retrain runs: an extra session presses "Start training" (the
default retrain, in its worker process) on the Training page; it is stopped after the last phase.

Capacity: --through-nginx puts nginx (deploy/nginx.conf) in front of --servers processes sharing one runs
folder and sends the sessions through it; --server-cpus pins the servers to those cores and this script, its
Chromium and nginx to the others (benchmarks/servers.py), and each phase's line then also says how busy
both were. --find-capacity steps the session count up (--sessions, or 1 2 4 6 8 12 16 24 32 48 64) until a
phase fails: a p95 over 500 ms, a wrong or missing answer, or an exception; it then bisects between the
last count that passed and the first that failed, and prints the largest count that passed. Each session
draws without a pause, so a session is a visitor drawing digit after digit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests" / "e2e"), str(PROJECT / "benchmarks")]

from browser import CHROMIUM, CHROMIUM_ARGS, STATUS_IDLE, screen_paths  # noqa: E402
from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402
from servers import (  # noqa: E402
    Phase,
    Served,
    add_load_arguments,
    capacity_summary,
    check_load_arguments,
    cpu_use,
    find_capacity,
    one_stroke_candidates,
    served,
    server_rss_mb,
)

INVITATION = "Draw a digit on the black square"
# Set on every mouse-up, in the page's own clock; the answer's wait below measures from it.
RECORD_MOUSE_UP = "window.addEventListener('mouseup', () => { window.__lifted = performance.now(); }, true);"
# Resolves, once a prediction shows, to [its value, its "99.9% sure" line, milliseconds since the last mouse-up].
ANSWER_SHOWN = """() => {
  const metric = [...document.querySelectorAll('[data-testid=stMetric]')].find(m => m.innerText.includes('Prediction'));
  if (!metric) return null;
  return [metric.querySelector('[data-testid=stMetricValue]').innerText.trim(),
          metric.querySelector('[data-testid=stMetricDelta]').innerText.trim(), performance.now() - window.__lifted];
}"""
ANSWER_TIMEOUT_MS = 30_000  # a drawing with no answer by then counts as wrong ("None"), with a screenshot
SCREENSHOTS = PROJECT / "test-artifacts" / "load-test"


async def wait_until_idle(page) -> None:
    """As browser.wait_until_idle: the status widget shows only once the run that an action started has begun."""
    await page.wait_for_timeout(300)
    await page.wait_for_function(STATUS_IDLE)


async def open_session(browser, url: str):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(RECORD_MOUSE_UP)
    page = await context.new_page()
    page.set_default_timeout(120_000)
    await page.goto(url)
    await page.get_by_text(INVITATION).wait_for()
    await wait_until_idle(page)
    return context, page


async def draw_and_read(page, digit) -> tuple[str | None, float, float | None]:
    """Draw one digit; return the answer, its confidence and the mouse-up -> answer time (None, 0 and None
    when no answer came within ANSWER_TIMEOUT_MS); then clear the canvas."""
    canvas = page.locator("canvas.upper-canvas").first
    for path in screen_paths(digit.strokes, await canvas.bounding_box(), height=190):
        await page.mouse.move(*path[0])
        await page.mouse.down()
        for x, y in path[1:]:
            await page.mouse.move(x, y, steps=2)
        await page.mouse.up()
    try:
        shown = await page.wait_for_function(ANSWER_SHOWN, polling="raf", timeout=ANSWER_TIMEOUT_MS)
        answer, sure, latency = await shown.json_value()
    except PlaywrightTimeout:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / f"no-answer-{time.time():.0f}.png")
        answer, sure, latency = None, "0%", None
    await wait_until_idle(page)
    await page.get_by_role("button", name="Clear").click()
    await page.get_by_text(INVITATION).wait_for()
    await wait_until_idle(page)  # the canvas empties itself and reports it: one more run
    confidence = float(sure.split("%")[0]) / 100 if "%" in sure else 0.0  # "97.2% sure", or "not a digit"
    return answer, confidence, latency


async def session_loop(page, pool, phase: Phase, deadline: float, budget: list[int], rng: random.Random) -> None:
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        digit = rng.choice(pool)
        answer, _, latency = await draw_and_read(page, digit)
        phase.digits += 1
        if latency is not None:
            phase.latencies_ms.append(latency)
        if answer != str(digit.label):
            phase.wrong.append(f"{digit.label}->{answer}")
        phase.exceptions += await page.locator("[data-testid=stException]").count()


async def calibrate(browser, url: str, candidates, size: int) -> list:
    """The digits one quiet session reads right and surely (see the module's docstring)."""
    context, page = await open_session(browser, url)
    pool = []
    for digit in candidates:
        answer, confidence, _ = await draw_and_read(page, digit)
        if answer == str(digit.label) and confidence >= 0.95:
            pool.append(digit)
        if len(pool) == size:
            break
    await context.close()
    return pool


async def run_phase(browser, serving: Served, pool, sessions: int, args, label: str) -> Phase:
    opened = [await open_session(browser, serving.url) for _ in range(sessions)]
    phase, rng = Phase(), random.Random(sessions)
    deadline, remaining = time.monotonic() + args.seconds, [args.max_digits]
    memory = asyncio.create_task(sample_memory(serving.ports, deadline, every_s=30))
    cpu_since = cpu_use(serving) if serving.server_cpus else None
    await asyncio.gather(*(session_loop(page, pool, phase, deadline, remaining, random.Random(rng.random())) for _, page in opened))
    phase.cpu = cpu_since() if cpu_since else None
    memory_mb = [*await memory, [server_rss_mb(port) for port in serving.ports]]
    for context, _ in opened:
        await context.close()
    latencies = phase.latencies_ms
    median = statistics.median(latencies) if latencies else float("nan")
    # One figure per sample, or, with several servers, each server's joined by "+".
    memory_text = " ".join("+".join(f"{mb:.0f}" for mb in sample) for sample in memory_mb)
    print(f"{label}: {phase.digits} predictions in {args.seconds:.0f} s, {len(phase.wrong)} wrong {phase.wrong[:10]}, "
          f"{phase.exceptions} exceptions; mouse-up -> prediction median {median:.0f} ms, "
          f"p95 {phase.p95_ms():.0f} ms; server memory every 30 s: {memory_text} MB{f'; {phase.cpu.text}' if phase.cpu else ''}", flush=True)
    return phase


async def sample_memory(ports: list[str], deadline: float, every_s: float) -> list[list[float]]:
    samples = []
    while time.monotonic() < deadline:
        samples.append([server_rss_mb(port) for port in ports])
        await asyncio.sleep(min(every_s, max(0.0, deadline - time.monotonic())))
    return samples


async def start_retrain(browser, url: str):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(120_000)
    await page.goto(f"{url}/training")
    await page.get_by_role("button", name="Start training").click()
    await page.locator("[data-testid=stProgress]").first.wait_for()
    return context, page


async def measure(browser, serving: Served, pool, args, label: str = "") -> None:
    """The phases, or the search for the capacity, once."""
    if args.find_capacity:
        summary = await find_capacity(lambda sessions: run_phase(browser, serving, pool, sessions, args, f"{sessions:2d} sessions{label}"),
                                      args.sessions, partial(capacity_summary, servers=args.servers, server_cpus=serving.server_cpus))
        print(f"capacity{label}: {summary}", flush=True)
    else:
        for sessions in args.sessions:
            await run_phase(browser, serving, pool, sessions, args, f"{sessions:2d} sessions{label}")


async def main_async(args) -> None:
    candidates = one_stroke_candidates()
    with served(args.servers, args.through_nginx, args.server_cpus) as serving:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pool = await calibrate(browser, serving.url, candidates, size=40)
            print(f"pool: {len(pool)} one-stroke digits of pendigits-orig.tes read right by a quiet session", flush=True)
            await measure(browser, serving, pool, args)
            if args.with_retrain:
                training_context, training_page = await start_retrain(browser, serving.url)
                await measure(browser, serving, pool, args, ", retrain running")
                await training_page.get_by_role("button", name="Stop").click()
                await training_context.close()
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_load_arguments(parser)
    parser.add_argument("--with-retrain", action="store_true")
    args = parser.parse_args()
    check_load_arguments(parser, args)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
