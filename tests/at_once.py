"""Counting how many calls of a function are inside it at the same moment (the large-image bound)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class AtOnce:
    """``function`` wrapped so that each call lasts at least ``hold_s`` and ``most`` records how many
    calls were ever inside at the same moment."""

    def __init__(self, function: Callable[..., Any], hold_s: float = 0.1):
        self.function, self.hold_s = function, hold_s
        self.inside = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(self.hold_s)
        with self._lock:
            self.inside -= 1
        return self.function(*args, **kwargs)


def run_in_threads(target: Callable[..., Any], args: tuple, count: int) -> None:
    """Call ``target(*args)`` from ``count`` threads at once and wait for them all."""
    threads = [threading.Thread(target=target, args=args) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
