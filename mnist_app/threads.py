"""Work on threads: many small drawings at once (``in_threads``), and large images a few at a time (``on_a_worker``).

Working on a large image takes memory (tens of bytes per analysed pixel), so images of more than
LARGE_PIXELS are decoded and analysed by LARGE_AT_ONCE worker threads, no more at once; the others wait
their turn, and small ones (a canvas drawing) never wait. Workers rather than a semaphore: the C
allocator keeps what a thread freed for that thread's next use, so ten visitors' threads would each keep
the memory of a large image after their turn (ten 36-megapixel scans read at once: a peak of 1.1 GB with
a semaphore letting two through at a time, 0.65 GB on two workers; benchmarks/photo_cost.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

LARGE_PIXELS = 1_000_000  # an image of more pixels than this is worked on by one of the workers below
# Analysis is CPU-bound: more images at once than there are cores only adds memory, not speed.
LARGE_AT_ONCE = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
REPORT_EVERY = 100  # items between two reports of how many are done (a drawing takes a few milliseconds)

_workers = ThreadPoolExecutor(max_workers=LARGE_AT_ONCE, thread_name_prefix="large-image")
Item = TypeVar("Item")
Result = TypeVar("Result")


def on_a_worker(pixels: int, work: Callable[..., Result], *args) -> Result:
    """``work(*args)`` for an image of ``pixels`` pixels: above LARGE_PIXELS on one of the LARGE_AT_ONCE
    workers, once one is free (its exceptions are raised here); otherwise at once, on this thread."""
    if pixels <= LARGE_PIXELS:
        return work(*args)
    return _workers.submit(work, *args).result()


def in_threads(work: Callable[[Item], Result], items: Iterable[Item],
               report: Callable[[int, int], None] | None = None) -> list[Result]:
    """``work`` on each item on a pool of threads, in order; ``report(done, total)`` every REPORT_EVERY and at the end.

    Threads share the cores where OpenCV lets go of the GIL (1.4x on 2 cores). Worker processes would
    share them better but must re-import the caller's main module, which a Streamlit server or a
    notebook does not allow everywhere. (Each of our drawings has its own random stream: any order, same set.)
    """
    items = list(items)
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for result in pool.map(work, items):  # results in order, as they are finished
            results.append(result)
            if report is not None and (len(results) % REPORT_EVERY == 0 or len(results) == len(items)):
                report(len(results), len(items))
    return results
