"""Timing shared by the benchmarks: median and 95th percentile, in milliseconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np


def median_p95(times_ms: Sequence[float]) -> tuple[float, float]:
    return statistics.median(times_ms), float(np.percentile(times_ms, 95))


def timed(function: Callable, arguments: Sequence, warm_up: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds of ``function(argument)`` for every one of ``arguments``,
    after untimed calls on the first ``warm_up`` of them."""
    for argument in arguments[:warm_up]:
        function(argument)
    times = []
    for argument in arguments:
        started = time.perf_counter()
        function(argument)
        times.append((time.perf_counter() - started) * 1000)
    return median_p95(times)
