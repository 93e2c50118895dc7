"""The training lock (mnist_app/models/locks.py), in the runs folder and in a real PostgreSQL database: one
holder at a time, freed when its process is killed, and handed to a worker with nobody slipping in between."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from postgres import free_port

from mnist_app import database
from mnist_app.config import Paths
from mnist_app.models import locks

PROJECT = Path(__file__).resolve().parents[1]

# A process that takes the training lock of the paths in its environment, says "held" and sleeps until killed.
HOLDER = """
import sys, time
from mnist_app.config import Paths
from mnist_app.models import locks
lock = locks.training_lock(Paths.from_env())
taken = lock.acquire(wait_s=float(sys.argv[1])) if sys.argv[1:] else lock.acquire()
print("held" if taken else "refused", flush=True)
time.sleep(600)
"""


@pytest.fixture(params=["files", "database"])
def paths(request, tmp_path) -> Paths:
    url = request.getfixturevalue("database_url") if request.param == "database" else None
    return Paths(runs_dir=tmp_path / "runs", database_url=url)


def _holder(paths: Paths, *arguments: str) -> subprocess.Popen:
    environment = {"RUNS_DIR": str(paths.runs_dir), "PATH": "/usr/bin:/bin", **({"DATABASE_URL": paths.database_url} if paths.database_url else {})}
    return subprocess.Popen([sys.executable, "-c", HOLDER, *arguments], cwd=PROJECT, env=environment, stdout=subprocess.PIPE, text=True)


def _eventually(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_one_holder_at_a_time_and_asking_takes_nothing(paths):
    assert not locks.training_elsewhere(paths)
    first = locks.training_lock(paths)
    assert first.acquire()
    assert locks.training_elsewhere(paths) and locks.training_elsewhere(paths)  # asking twice leaves it held
    assert not locks.training_lock(paths).acquire()  # a second taker, even in the same process, is refused
    first.release()
    assert not locks.training_elsewhere(paths)
    second = locks.training_lock(paths)
    assert second.acquire()
    second.release()


def test_a_killed_holder_frees_the_lock(paths):
    holder = _holder(paths)
    try:
        assert holder.stdout.readline() == "held\n"
        assert locks.training_elsewhere(paths) and not locks.training_lock(paths).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert _eventually(lambda: not locks.training_elsewhere(paths)), "the lock outlived its holder"
        assert locks.training_lock(paths).acquire()
    finally:
        holder.kill()


def test_the_database_lock_is_handed_to_a_worker_with_nobody_slipping_in(database_url):
    paths = Paths(runs_dir=Path("/nonexistent"), database_url=database_url)
    starter = locks.training_lock(paths)
    assert starter.acquire()
    taken_by_others, done = [], threading.Event()

    def another_server_trying():  # as fast as it can, for the whole handover
        while not done.is_set():
            other = locks.DatabaseLock(database_url)
            if other.acquire():
                taken_by_others.append(time.monotonic())
                other.release()

    trying = threading.Thread(target=another_server_trying)
    trying.start()
    worker = _holder(paths, str(locks.HANDOVER_S))  # queues for the lock, as a worker does
    try:
        started = time.monotonic()
        starter.hand_over(worker)
        assert database.lock_waiters(database_url) == 1 and time.monotonic() - started < 30
        starter.release()
        assert worker.stdout.readline() == "held\n"
        time.sleep(0.5)
        done.set()
        trying.join()
        assert taken_by_others == [] and locks.training_elsewhere(paths)
    finally:
        done.set()
        worker.kill()
        worker.wait(timeout=10)
    assert _eventually(lambda: not locks.training_elsewhere(paths))


def test_a_worker_that_dies_before_queueing_ends_the_handover_at_once(database_url):
    paths = Paths(runs_dir=Path("/nonexistent"), database_url=database_url)
    starter = locks.training_lock(paths)
    assert starter.acquire()
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    started = time.monotonic()
    starter.hand_over(dead)
    assert time.monotonic() - started < 10 and dead.returncode == 3
    starter.release()
    assert not locks.training_elsewhere(paths)


def test_a_lock_whose_connection_is_lost_says_so(database_url):
    lock = locks.DatabaseLock(database_url)
    assert lock.acquire() and lock.alive()
    with database.connect(database_url) as admin:  # what a database restart does to the holder's session
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")
    assert _eventually(lambda: not lock.alive())
    assert not locks.training_elsewhere(Paths(database_url=database_url))
    lock.release()


def test_a_database_that_cannot_be_reached_is_an_error_not_a_free_lock(database_url):
    gone = dataclasses.replace(Paths(), database_url=database_url.rsplit(":", 1)[0] + f":{free_port()}/gone")
    with pytest.raises(database.DatabaseError, match=r"^the database postgresql://mnist@127\.0\.0\.1:\d+/gone cannot be reached"):
        locks.training_elsewhere(gone)
    with pytest.raises(database.DatabaseError, match="cannot be reached"):
        locks.training_lock(gone).acquire()
