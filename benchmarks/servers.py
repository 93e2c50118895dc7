"""The servers a load test drives: `streamlit run` processes on loopback, pinned to cores and behind nginx if asked.

Used by load_test.py. nginx is configured from deploy/nginx.conf exactly as tests/e2e/test_deploy.py does it
(its ``nginx_in_front_of``). Pinning goes by inheritance: the servers are started while this process runs on
the servers' cores only, so every thread they ever make stays there (TensorFlow sizes its thread pools to
those cores too); this process then moves to the other cores before it starts nginx and the browser, so that
the servers have their cores to themselves, as far as this machine's other work allows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from browser import running_app
from test_deploy import nginx_in_front_of


@dataclasses.dataclass(frozen=True)
class Served:
    """Where the browser sessions go, and what serves them."""

    url: str  # what the sessions open: nginx's address, or the one server's
    ports: list[str]  # each server's own port, to find its process
    server_cpus: set[int] | None  # the servers' cores when pinned, else None
    driver_cpus: set[int] | None  # the cores of this script, its Chromium and nginx when pinned, else None


def cores_text(cpus: set[int]) -> str:
    return f"core{'s' if len(cpus) > 1 else ''} {','.join(map(str, sorted(cpus)))}"


@contextlib.contextmanager
def served(servers: int, through_nginx: bool, server_cpus: set[int] | None) -> Iterator[Served]:
    """Start ``servers`` servers sharing one runs folder (as deployed), pinned to ``server_cpus`` when given,
    and nginx in front of them when ``through_nginx``; yield where they are. The caller checked the arguments."""
    every_cpu = os.sched_getaffinity(0)
    driver_cpus = every_cpu - server_cpus if server_cpus else None
    env = {"RUNS_DIR": tempfile.mkdtemp(prefix="runs-")}
    with contextlib.ExitStack() as stack:
        stack.callback(os.sched_setaffinity, 0, every_cpu)
        if server_cpus:
            os.sched_setaffinity(0, server_cpus)  # inherited by the servers started now
        urls = [stack.enter_context(running_app(env=env)) for _ in range(servers)]
        if server_cpus:
            os.sched_setaffinity(0, driver_cpus)  # inherited by nginx, Playwright's driver and Chromium
            print(f"pinned: {servers} server process{'es' if servers > 1 else ''} on {cores_text(server_cpus)}; this script, "
                  f"its Chromium{' and nginx' if through_nginx else ''} on {cores_text(driver_cpus)}", flush=True)
        url = stack.enter_context(nginx_in_front_of(urls)) if through_nginx else urls[0]
        if through_nginx:
            print(f"through nginx at {url} in front of {' '.join(urls)}", flush=True)
        yield Served(url, [server_url.rsplit(":", 1)[1] for server_url in urls], server_cpus, driver_cpus)


def server_pid(port: str) -> int:
    """The process id of the streamlit server listening on ``port`` (browser.running_app's command line)."""
    return int(subprocess.run(["pgrep", "-f", f"streamlit run app.py --server.port {port} "], capture_output=True, text=True).stdout.split()[0])


def server_rss_mb(port: str) -> float:
    """Resident memory of the streamlit server listening on ``port``, in MB."""
    for line in Path(f"/proc/{server_pid(port)}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system, all threads) these processes have used so far, in seconds."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # from field 3 (state) on
        ticks += int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of proc(5)
    return ticks / os.sysconf("SC_CLK_TCK")


def core_ticks(cpus: set[int]) -> tuple[int, int]:
    """(busy, all) clock ticks of these cores since boot, whoever used them, from /proc/stat."""
    busy = total = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            ticks = [int(value) for value in values[:8]]  # user nice system idle iowait irq softirq steal
            busy, total = busy + sum(ticks) - ticks[3] - ticks[4], total + sum(ticks)
    return busy, total


class CpuUse(NamedTuple):
    """How busy the servers and the pinned cores were over a stretch of time."""

    text: str  # for the phase's line
    servers_load: float  # the servers' CPU time over what they could use at most: one core per process, at most their cores
    driver_busy: float  # the busy fraction of the driver's cores, whoever used them


def cpu_use(serving: Served) -> Callable[[], CpuUse]:
    """Start measuring how busy the servers and the pinned cores are; the function returned says it for the time since.

    A Streamlit process runs its Python on one core at a time (the GIL), so its load is its CPU time over
    one core, or over its cores' share when several processes share fewer cores. A phase whose servers were
    far from busy was limited by something else: the browser, or the machine's other work.
    """
    pids = [server_pid(port) for port in serving.ports]
    start, servers_start = time.monotonic(), cpu_seconds(pids)
    cores = {"servers'": serving.server_cpus, "driver's": serving.driver_cpus}
    cores_start = {name: core_ticks(cpus) for name, cpus in cores.items()}

    def since() -> CpuUse:
        used = (cpu_seconds(pids) - servers_start) / (time.monotonic() - start)
        busy = {}
        for name, cpus in cores.items():
            (busy_now, total_now), (busy_then, total_then) = core_ticks(cpus), cores_start[name]
            busy[name] = (busy_now - busy_then) / max(total_now - total_then, 1)
        plural = "s" if len(serving.server_cpus) > 1 else ""
        text = f"servers used {used:.2f} of {len(serving.server_cpus)} core{plural}; " + ", ".join(
            f"{name} {cores_text(cores[name])} {100 * fraction:.0f}% busy" for name, fraction in busy.items())
        return CpuUse(text, used / min(len(pids), len(serving.server_cpus)), busy["driver's"])

    return since
