"""One training run at a time: the training lock, a file lock on one machine or an advisory lock in the
database that servers on several machines share (DATABASE_URL).

Whoever starts a run (a server, the CLI) takes the lock and hands it to the run's worker process, which holds
it until it exits, however it exits; the operating system or the database server then frees it, so a killed
worker never leaves a run looking alive, and a second start anywhere is refused meanwhile.

- A file lock (``FileLock``, flock on ``.training.lock`` in the runs folder) is handed over as an open file:
  the worker inherits it (pass_fds) and the starter closes its own copy.
- An advisory lock (``DatabaseLock``) belongs to one database connection, which no process can inherit. So
  the worker queues for the lock while the starter still holds it; once the starter sees it waiting, it lets
  go, and PostgreSQL grants the lock to the first in its queue at that moment: no other server can take it
  in between.
"""

from __future__ import annotations

import fcntl
import subprocess
import time

from mnist_app import database
from mnist_app.config import Paths

LOCK_FILE = ".training.lock"
HANDOVER_S = 60.0  # how long a starter waits for its worker to queue for the database lock (Python starts in ~1 s)
HANDOVER_POLL_S = 0.05


class FileLock:
    """The training lock of a runs folder on one machine (or a file system with working flock)."""

    def __init__(self, paths: Paths):
        self.path = paths.runs_dir / LOCK_FILE
        self._file = None

    def acquire(self) -> bool:
        """Take the lock if it is free; False when another run holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = open(self.path, "a")  # noqa: SIM115  (held open for as long as the run lasts)
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            return False
        self._file = lock_file
        return True

    def worker_arguments(self) -> list[str]:
        """How the worker is told it holds the lock: the descriptor it inherits (``inherited``)."""
        return ["--lock-fd", str(self.fileno())]

    def inherited(self) -> tuple[int, ...]:
        return (self.fileno(),)

    def fileno(self) -> int:
        if self._file is None:
            raise ValueError("the training lock is not held")
        return self._file.fileno()

    def hand_over(self, worker: subprocess.Popen) -> None:
        """Nothing to wait for: the worker holds the lock from its start, as its copy of the open file."""

    def release(self) -> None:
        """Close this process's copy of the lock file; the lock is free once no process has it open."""
        if self._file is not None:
            self._file.close()  # closing releases the lock
            self._file = None


class DatabaseLock:
    """The training lock in the shared database: an advisory lock on a connection of the holder's own."""

    def __init__(self, url: str):
        self.url = url
        self._lock = database.AdvisoryLock(url, database.TRAINING_LOCK)

    def acquire(self, wait_s: float = 0.0) -> bool:
        """Take the lock (waiting up to ``wait_s`` seconds in its queue); False when another run holds it.
        DatabaseError when the database cannot be reached."""
        return self._lock.acquire(wait_s)

    def worker_arguments(self) -> list[str]:
        return ["--lock-in-database"]

    def inherited(self) -> tuple[int, ...]:
        return ()

    def hand_over(self, worker: subprocess.Popen) -> None:
        """Wait (at most HANDOVER_S) until the worker queues for the lock, or ends; ``release`` then lets it in."""
        deadline = time.monotonic() + HANDOVER_S
        while worker.poll() is None and time.monotonic() < deadline and database.lock_waiters(self.url) == 0:
            time.sleep(HANDOVER_POLL_S)

    def alive(self) -> bool:
        """Whether the lock is still held (its connection lost, a restarted database has freed it)."""
        return self._lock.alive()

    def release(self) -> None:
        self._lock.release()


def training_lock(paths: Paths) -> FileLock | DatabaseLock:
    """The training lock of these paths: in the shared database when there is one, else in the runs folder."""
    return DatabaseLock(paths.database_url) if paths.database_url else FileLock(paths)


def training_elsewhere(paths: Paths) -> bool:
    """Whether some run holds the training lock right now (asking writes nothing: no lock file, no run).
    DatabaseError when the lock is in a database that cannot be reached."""
    if paths.database_url:
        return database.lock_held(paths.database_url, database.TRAINING_LOCK)
    if not (paths.runs_dir / LOCK_FILE).exists():
        return False
    probe = FileLock(paths)
    if probe.acquire():
        probe.release()
        return False
    return True
