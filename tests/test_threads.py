"""threads.py: large images a few at a time on workers, small ones at once; many drawings on a pool, in order."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from mnist_app import threads
from mnist_app.threads import in_threads, on_a_worker


def test_large_images_are_worked_on_by_so_many_workers_at_once_and_small_ones_here(monkeypatch):
    monkeypatch.setattr(threads, "_workers", ThreadPoolExecutor(max_workers=2, thread_name_prefix="large-image"))
    inside, most, lock = 0, {"large": 0, "small": 0}, threading.Lock()
    threads_used = {"large": set(), "small": set()}

    def work(kind: str) -> str:
        nonlocal inside
        with lock:
            inside += 1
            most[kind] = max(most[kind], inside)
            threads_used[kind].add(threading.current_thread().name)
        time.sleep(0.1)
        with lock:
            inside -= 1
        return kind

    for kind, pixels in (("large", threads.LARGE_PIXELS + 1), ("small", threads.LARGE_PIXELS)):
        results = []
        runners = [threading.Thread(target=lambda: results.append(on_a_worker(pixels, work, kind))) for _ in range(6)]
        for thread in runners:
            thread.start()
        for thread in runners:
            thread.join()
        assert results == [kind] * 6
    assert most == {"large": 2, "small": 6}  # two at once, not one: they do overlap; small ones never wait
    assert len(threads_used["large"]) == 2 and all(name.startswith("large-image") for name in threads_used["large"])
    assert len(threads_used["small"]) == 6 and not any(name.startswith("large-image") for name in threads_used["small"])


def test_a_workers_exception_is_raised_to_the_caller_and_the_workers_go_on():
    def damaged() -> None:
        raise ValueError("the image is damaged")

    for _ in range(3):
        with pytest.raises(ValueError, match="the image is damaged"):
            on_a_worker(10**7, damaged)
    assert on_a_worker(10**7, lambda: threading.current_thread().name).startswith("large-image")


def test_in_threads_keeps_the_order_and_reports_every_so_many_and_at_the_end(monkeypatch):
    monkeypatch.setattr(threads, "REPORT_EVERY", 4)
    reports = []
    results = in_threads(lambda number: (time.sleep(0.001 * (number % 3)), number * number)[1], range(10),
                         lambda done, total: reports.append((done, total)))
    assert results == [number * number for number in range(10)]
    assert reports == [(4, 10), (8, 10), (10, 10)]


def test_in_threads_raises_what_the_work_raises():
    def work(number: int) -> int:
        if number == 3:
            raise ValueError("three")
        return number

    with pytest.raises(ValueError, match="three"):
        in_threads(work, range(6))
