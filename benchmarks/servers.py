"""The servers a load test drives: `streamlit run` processes on loopback, pinned to cores and behind nginx if asked;
and what load_test.py (visitors in Chromium) and protocol_load.py (visitors on Streamlit's websocket) share:
their options, the digits their visitors draw, a phase's record, and the search for the capacity.

nginx is configured from deploy/nginx.conf exactly as tests/e2e/test_deploy.py does it (its
``nginx_in_front_of``). Pinning goes by inheritance: the servers are started while this process runs on the
servers' cores only, so every thread they ever make stays there (TensorFlow sizes its thread pools to those
cores too); this process then moves to the other cores before it starts nginx (and the browser, if any), so
that the servers have their cores to themselves, as far as this machine's other work allows.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
from browser import PROJECT, running_app
from test_deploy import NGINX, nginx_in_front_of

from mnist_app.handwriting.pendigits import PenDigit, read_pendigits

CAPACITY_STEPS = [1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64]  # --find-capacity's session counts unless --sessions names others
CAPACITY_P95_MS = 500  # the most a phase's p95 from drawing to answer may be for its session count to pass
SERVERS_NOT_LIMIT = 0.5  # servers this little loaded in the first phase that failed were not what made it fail


@dataclasses.dataclass(frozen=True)
class Served:
    """Where the browser sessions go, and what serves them."""

    url: str  # what the sessions open: nginx's address, or the one server's
    ports: list[str]  # each server's own port, to find its process
    server_cpus: set[int] | None  # the servers' cores when pinned, else None
    driver_cpus: set[int] | None  # the cores of this script (its Chromium, if any) and nginx when pinned, else None


def cores_text(cpus: set[int]) -> str:
    return f"core{'s' if len(cpus) > 1 else ''} {','.join(map(str, sorted(cpus)))}"


@contextlib.contextmanager
def served(servers: int, through_nginx: bool, server_cpus: set[int] | None, driver: str = "this script, its Chromium") -> Iterator[Served]:
    """Start ``servers`` servers sharing one runs folder (as deployed), pinned to ``server_cpus`` when given,
    and nginx in front of them when ``through_nginx``; yield where they are. The caller checked the arguments.
    ``driver`` names what runs on the other cores, for the line that says where each runs."""
    every_cpu = os.sched_getaffinity(0)
    driver_cpus = every_cpu - server_cpus if server_cpus else None
    env = {"RUNS_DIR": tempfile.mkdtemp(prefix="runs-")}
    with contextlib.ExitStack() as stack:
        stack.callback(os.sched_setaffinity, 0, every_cpu)
        if server_cpus:
            os.sched_setaffinity(0, server_cpus)  # inherited by the servers started now
        urls = [stack.enter_context(running_app(env=env)) for _ in range(servers)]
        if server_cpus:
            os.sched_setaffinity(0, driver_cpus)  # inherited by nginx, and by Playwright's driver and Chromium if any
            print(f"pinned: {servers} server process{'es' if servers > 1 else ''} on {cores_text(server_cpus)}; "
                  f"{driver}{' and nginx' if through_nginx else ''} on {cores_text(driver_cpus)}", flush=True)
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


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both load tests take: the phases, and where and how the servers run."""
    parser.add_argument("--sessions", type=int, nargs="+", help="session counts, one phase each (default: 1 10, or the capacity's steps)")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--max-digits", type=int, default=5000, help="at most this many digits drawn per phase")
    parser.add_argument("--through-nginx", action="store_true", help="sessions go through nginx (deploy/nginx.conf) in front of the servers")
    parser.add_argument("--servers", type=int, default=1, help="this many streamlit run processes (more than 1 needs --through-nginx)")
    parser.add_argument("--server-cpus", type=cpu_list, help="pin the servers to these cores (such as 1 or 1,2) and this script to the others")
    parser.add_argument("--find-capacity", action="store_true", help=f"the most sessions with p95 <= {CAPACITY_P95_MS} ms and nothing wrong")


def check_load_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what cannot run (parser.error exits), and fill in the default session counts."""
    if args.servers < 1:
        parser.error("--servers must be at least 1")
    if args.servers > 1 and not args.through_nginx:
        parser.error("--servers above 1 needs --through-nginx: without a proxy the sessions reach only one server")
    if args.through_nginx and not Path(NGINX).exists():
        parser.error(f"--through-nginx: nginx not found at {NGINX} (apt-get install nginx-light)")
    available = os.sched_getaffinity(0)
    if args.server_cpus and not args.server_cpus < available:
        parser.error(f"--server-cpus must name some of this process's cores {sorted(available)} and leave at least one for this script")
    args.sessions = args.sessions or (CAPACITY_STEPS if args.find_capacity else [1, 10])


def cpu_list(text: str) -> set[int]:
    """--server-cpus: core numbers separated by commas, as taskset -c takes them ("1" or "1,2")."""
    try:
        return {int(core) for core in text.split(",")}
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of core numbers such as 1 or 1,2: {text!r}") from None


def one_stroke_candidates() -> list[PenDigit]:
    """The pool's candidates, in the order tried: one-stroke digits of pendigits-orig.tes (writers the model
    never saw), shuffled the same way every time."""
    tes = read_pendigits(PROJECT.parent / "shared" / "data" / "pendigits" / "pendigits-orig.tes")
    return [digit for digit in random.Random(0).sample(tes, len(tes)) if len(digit.strokes) == 1]


class Phase:
    """What the sessions of one phase saw."""

    def __init__(self):
        self.latencies_ms: list[float] = []  # from the drawing to its answer, one per answer
        self.finished_ms: list[float] = []  # from the drawing to its run's end, where the driver sees it (protocol_load.py)
        self.wrong: list[str] = []  # "drawn->read" for each wrong answer, "drawn->None" for none
        self.exceptions = 0
        self.digits = 0
        self.cpu: CpuUse | None = None  # how busy the servers and the cores were, when pinned

    def p95_ms(self) -> float:
        return float(np.percentile(self.latencies_ms, 95)) if self.latencies_ms else float("inf")

    def median_ms(self) -> float:
        return float(np.median(self.latencies_ms)) if self.latencies_ms else float("nan")

    def passed(self) -> bool:
        """Whether this phase meets the capacity's bar: p95 within CAPACITY_P95_MS, nothing wrong, no exception."""
        return self.p95_ms() <= CAPACITY_P95_MS and not self.wrong and not self.exceptions


async def find_capacity(run_phase: Callable[[int], Awaitable[Phase]], counts: list[int], summary: Callable[..., str]) -> str:
    """Run phases of ``counts`` sessions until one fails, bisect between the last count that passed and the
    first that failed, and return ``summary(phases, passed, failed)`` (``capacity_summary`` with its wording)."""
    phases: dict[int, Phase] = {}

    async def passes(sessions: int) -> bool:
        phases[sessions] = await run_phase(sessions)
        return phases[sessions].passed()

    passed, failed = 0, None
    for sessions in counts:
        if not await passes(sessions):
            failed = sessions
            break
        passed = sessions
    while failed is not None and failed - passed > 1:
        middle = (passed + failed) // 2
        passed, failed = (middle, failed) if await passes(middle) else (passed, middle)
    return summary(phases, passed, failed)


def capacity_summary(phases: dict[int, Phase], passed: int, failed: int | None, servers: int, server_cpus: set[int] | None,
                     driver: str = "this script's Chromium", driver_cores: str = "the browser's cores") -> str:
    """One line: the largest session count that passed, where, and the p95 of it and of the first that failed.
    ``driver`` names what shares unpinned cores with the servers, ``driver_cores`` the other cores when pinned."""
    where = "per server process" if servers == 1 else f"on {servers} server processes"
    if server_cpus:
        where += f" on {len(server_cpus)} core{'s' if len(server_cpus) > 1 else ''}"
        if len(server_cpus) > 1:
            where += f", {passed / len(server_cpus):.1f} per core"
    else:
        where += f" on unpinned cores, shared with {driver}"
    at_passed = f"p95 {phases[passed].p95_ms():.0f} ms at {passed}" if passed else "no count passed"
    if failed is None:
        return f"at least {passed} visitors drawing at once {where} ({at_passed}; none of the counts tried failed)"
    why = "" if phases[failed].p95_ms() > CAPACITY_P95_MS else f" but {len(phases[failed].wrong)} wrong, {phases[failed].exceptions} exceptions"
    summary = f"{passed} visitors drawing at once {where} ({at_passed}, {phases[failed].p95_ms():.0f} ms at {failed}{why})"
    cpu = phases[failed].cpu
    if cpu:
        summary += f"; at {failed} the servers' load was {100 * cpu.servers_load:.0f}%, {driver_cores} {100 * cpu.driver_busy:.0f}% busy"
        if cpu.servers_load < SERVERS_NOT_LIMIT:
            summary += ": the servers were not the limit, so this is a lower bound of their capacity"
    return summary
