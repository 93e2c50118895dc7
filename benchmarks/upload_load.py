"""Many large uploads at once through the real server: does its memory stay bounded?

    python benchmarks/upload_load.py [--visitors 10] [--kind scan|phone]

Starts `streamlit run app.py` on a free port of 127.0.0.1 and one headless Chromium; that many browser
sessions open the Upload page and choose the same file at the same moment (a 6000x6000 PNG scan of a
4-digit number, about 36 megapixels and 200 KB, or a 4000x3000 phone JPEG: benchmarks/photo_cost.py
makes both). Prints the server's resident memory before, its peak while they are read (VmHWM), the
time until every page shows its reading, and what each page read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests" / "e2e"), str(PROJECT / "benchmarks")]

import numpy as np  # noqa: E402
from browser import CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402
from photo_cost import make_file  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from mnist_app.handwriting.pendigits import read_pendigits  # noqa: E402

READ = "[data-testid=stMetric]:has-text('Read')"


def server_memory_mb(port: str) -> dict[str, float]:
    """The server's VmRSS (now) and VmHWM (its peak so far), in MB."""
    pid = subprocess.run(["pgrep", "-f", f"streamlit run app.py --server.port {port} "], capture_output=True, text=True).stdout.split()[0]
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM")}


async def upload(browser, url: str, file: Path, start: asyncio.Event) -> tuple[str, float]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(300_000)
    await page.goto(f"{url}/upload")
    await page.get_by_text("Upload a PNG").wait_for()
    await start.wait()
    began = time.perf_counter()
    await page.locator('input[type="file"]').set_input_files(str(file))
    metric = page.locator(READ).first
    await metric.wait_for()
    read = (await metric.locator("[data-testid=stMetricValue]").inner_text()).strip()
    took = time.perf_counter() - began
    await context.close()
    return read, took


async def main_async(args) -> None:
    digits = read_pendigits(PROJECT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tes")
    data, truth = make_file(args.kind, digits, np.random.default_rng(args.seed))
    with tempfile.TemporaryDirectory() as folder, running_app() as url:
        file = Path(folder) / ("scan.png" if args.kind == "scan" else "phone.jpg")
        file.write_bytes(data)
        port = url.rsplit(":", 1)[1]
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm = await upload(browser, url, file, _set(asyncio.Event()))  # loads the model and the page's code
            before = server_memory_mb(port)
            start = asyncio.Event()
            visits = [asyncio.create_task(upload(browser, url, file, start)) for _ in range(args.visitors)]
            await asyncio.sleep(15)  # every page open and waiting
            began = time.perf_counter()
            start.set()
            results = await asyncio.gather(*visits)
            wall = time.perf_counter() - began
            after = server_memory_mb(port)
            await browser.close()
    print(f"{args.visitors} visitors uploading one {args.kind} ({len(data) / 1024:.0f} KB) at once; written {truth!r}, "
          f"a quiet upload read {warm[0]!r} in {warm[1]:.1f} s")
    print(f"server memory: {before['VmRSS']:.0f} MB before, peak {after['VmHWM']:.0f} MB (the process's highest ever), "
          f"{after['VmRSS']:.0f} MB after; all {args.visitors} answered in {wall:.1f} s "
          f"(each {min(t for _, t in results):.1f}-{max(t for _, t in results):.1f} s); read: {sorted(r for r, _ in results)}")


def _set(event: asyncio.Event) -> asyncio.Event:
    event.set()
    return event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=10)
    parser.add_argument("--kind", choices=["scan", "phone"], default="scan")
    parser.add_argument("--seed", type=int, default=0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
