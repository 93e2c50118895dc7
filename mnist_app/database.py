"""The PostgreSQL database that several servers share, when DATABASE_URL names one (psycopg 3).

Without it every server runs on one machine and shares files there (SQLite for the corrections, a file lock
for training, active.json for the active version). With it, servers on several machines agree through the
database on what they must agree on:

- the corrections users send (mnist_app.corrections, its PostgreSQL backend);
- which model version is active (the one-row table ``active_model``);
- one training run at a time: a session-level advisory lock, held by the training worker's own connection,
  so that the server frees it when that process ends, however it ends (``AdvisoryLock``).

Each schema (this module's, the corrections') is versioned in ``schema_versions`` and migrated, in one
transaction, by whichever process first opens the database; an advisory lock keeps two from doing it at once.
A database that cannot be reached, or refuses, raises ``DatabaseError`` with one line that names it (never
its password) and says why. Connections are kept open between uses (a few per process), and a connection
that broke (the database restarted) is dropped and the next use connects again.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg

SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_S = 3  # a server that does not answer within this is reported unreachable
IDLE_CONNECTIONS = 4  # kept open per process and database, for the next use
_LOCK_SPACE = 0x6D6E6973  # "mnis": the first key of this app's advisory locks (the second names the lock)
TRAINING_LOCK = 1
MIGRATION_LOCK = 2
CORRECTIONS_LOCK = 3

# This module's own schema: which version is active (one row), as a versioned migration like the corrections'.
_MIGRATIONS = {
    1: """
CREATE TABLE active_model (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    version_id TEXT NOT NULL,
    activated TEXT NOT NULL
);
""",
}


class DatabaseError(RuntimeError):
    """A database cannot be used (unreachable, refusing, damaged, locked for too long); one line, for people."""


def is_url(location: object) -> bool:
    """Whether ``location`` (a path or a string) names a PostgreSQL database rather than a file."""
    return isinstance(location, str) and location.split("://", 1)[0] in SCHEMES and "://" in location


def described(url: str) -> str:
    """The URL without its password, as it may be shown and recorded (a run's settings, an error)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    return urlunsplit(parts._replace(netloc=netloc + (f":{parts.port}" if parts.port else "")))


def resolved(url: str) -> str:
    """``url``, with DATABASE_URL's password when it is that URL as ``described`` records it (a run's settings
    name the database without its password; the worker that reads them has DATABASE_URL)."""
    configured = os.environ.get("DATABASE_URL", "")
    return configured if configured and described(configured) == url else url


@contextlib.contextmanager
def connection(url: str) -> Iterator[psycopg.Connection]:
    """An open connection to ``url`` with this module's schema in place, in autocommit mode (open a
    transaction with ``with conn.transaction():``); DatabaseError when the database cannot be used."""
    conn = _POOL.take(url)
    try:
        yield conn
    except psycopg.Error as error:
        conn.close()  # whatever state it is in, it is not reused
        raise _error(url, error) from None
    except BaseException:
        _POOL.give_back(url, conn)  # kept if its transaction ended (a refusal, a bad argument), else closed
        raise
    _POOL.give_back(url, conn)


def connect(url: str) -> psycopg.Connection:
    """A new connection of its own (not shared: the caller closes it), autocommit; DatabaseError if it fails."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name="mnist_app")
    except psycopg.Error as error:
        raise _error(url, error) from None


def migrate(conn: psycopg.Connection, component: str, migrations: dict[int, str]) -> None:
    """Bring ``component``'s tables to the newest of ``migrations`` (version -> SQL) in one transaction, which
    waits for any other process migrating; DatabaseError if the database holds a newer version than this code
    knows. ``conn`` is in autocommit mode (outside a transaction)."""
    newest = max(migrations)
    version = _schema_version(conn, component)
    if version == newest:
        return  # the usual case, without taking a lock
    with conn.transaction():
        transaction_lock(conn, MIGRATION_LOCK)
        conn.execute("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        version = _schema_version(conn, component)  # another process may have migrated it meanwhile
        if version > newest:
            raise DatabaseError(f"the {component} tables of the database are at version {version}, newer than this app's {newest}")
        for step in range(version + 1, newest + 1):
            for statement in filter(str.strip, migrations[step].split(";")):
                conn.execute(statement)
        conn.execute("INSERT INTO schema_versions VALUES (%s, %s) ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
                     (component, newest))


def transaction_lock(conn: psycopg.Connection, lock: int) -> None:
    """Wait for the advisory lock ``lock`` and hold it until the current transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_SPACE, lock))


def read_active(url: str) -> str | None:
    """The id of the active model version, or None when none has been activated through the database."""
    with connection(url) as conn:
        row = conn.execute("SELECT version_id FROM active_model").fetchone()
    return row[0] if row else None


def write_active(url: str, version_id: str, activated: str) -> None:
    with connection(url) as conn:
        conn.execute("INSERT INTO active_model (version_id, activated) VALUES (%s, %s) "
                     "ON CONFLICT (only_row) DO UPDATE SET version_id = EXCLUDED.version_id, activated = EXCLUDED.activated",
                     (version_id, activated))


class AdvisoryLock:
    """One of this app's session-level advisory locks, on a connection of its own: held until ``release`` or
    until the connection ends (the process that holds it exits or is killed: the server frees it)."""

    def __init__(self, url: str, lock: int = TRAINING_LOCK):
        self.url, self.lock = url, lock
        self._conn: psycopg.Connection | None = None

    def acquire(self, wait_s: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait_s`` seconds for it (in the queue of those who wait); whether it
        was taken. DatabaseError when the database cannot be reached."""
        conn = connect(self.url)
        try:
            if wait_s > 0:
                conn.execute(f"SET lock_timeout = {int(wait_s * 1000)}")
                try:
                    conn.execute("SELECT pg_advisory_lock(%s, %s)", (_LOCK_SPACE, self.lock))
                    taken = True
                except psycopg.errors.LockNotAvailable:
                    taken = False
                conn.execute("SET lock_timeout = 0")
            else:
                taken = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_SPACE, self.lock)).fetchone()[0]
        except psycopg.Error as error:
            conn.close()
            raise _error(self.url, error) from None
        if not taken:
            conn.close()
            return False
        self._conn = conn
        return True

    def alive(self) -> bool:
        """Whether the lock is still held: its connection still answers (a restarted database dropped it)."""
        return self._conn is not None and _answers(self._conn)

    def release(self) -> None:
        """Let go of the lock at once: unlocked, then the connection closed (closing alone frees it only once the
        server has noticed, a moment later, so that a question asked right after could still find it held)."""
        if self._conn is not None:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_SPACE, self.lock))
            except psycopg.Error:
                pass  # the connection is gone already, and the lock with it
            self._conn.close()
            self._conn = None


def lock_held(url: str, lock: int = TRAINING_LOCK) -> bool:
    """Whether some session holds the advisory lock ``lock`` now (asking takes nothing)."""
    return _lock_sessions(url, lock, granted=True) > 0


def lock_waiters(url: str, lock: int = TRAINING_LOCK) -> int:
    """How many sessions are waiting for the advisory lock ``lock``."""
    return _lock_sessions(url, lock, granted=False)


def _lock_sessions(url: str, lock: int, granted: bool) -> int:
    # An advisory lock taken with two int keys shows in pg_locks as classid, objid and objsubid = 2.
    with connection(url) as conn:
        return conn.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                            "(SELECT oid FROM pg_database WHERE datname = current_database()) AND classid = %s "
                            "AND objid = %s AND objsubid = 2 AND granted = %s", (_LOCK_SPACE, lock, granted)).fetchone()[0]


def _schema_version(conn: psycopg.Connection, component: str) -> int:
    try:
        row = conn.execute("SELECT version FROM schema_versions WHERE component = %s", (component,)).fetchone()
    except psycopg.errors.UndefinedTable:
        return 0  # a new database (outside a transaction, the failed statement leaves nothing behind)
    return row[0] if row else 0


def _error(url: str, error: psycopg.Error) -> DatabaseError:
    # libpq says 'connection failed: connection to server at "h", port 5432 failed: Connection refused' and then a
    # hint on a line of its own: the reason is what follows the last "failed: " of the first line.
    first_line = (str(error).strip().splitlines() or [""])[0]
    reason = " ".join(first_line.rsplit("failed: ", 1)[-1].split()) or type(error).__name__
    if isinstance(error, psycopg.OperationalError):
        return DatabaseError(f"the database {described(url)} cannot be reached ({reason})")
    return DatabaseError(f"the database {described(url)} refused a request ({reason})")


class _Pool:
    """A few open connections per database, for the next use; a connection is new when none is idle."""

    def __init__(self):
        self._lock = threading.Lock()
        self._idle: dict[str, list[psycopg.Connection]] = {}

    def take(self, url: str) -> psycopg.Connection:
        while (conn := self._idle_one(url)) is not None:
            if _answers(conn):  # asked outside the lock: another thread need not wait for this round trip
                return conn
            conn.close()  # dropped by the server meanwhile (a restart): connect again
        conn = connect(url)
        try:
            migrate(conn, "shared", _MIGRATIONS)
        except psycopg.Error as error:
            conn.close()
            raise _error(url, error) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _idle_one(self, url: str) -> psycopg.Connection | None:
        with self._lock:
            idle = self._idle.get(url)
            return idle.pop() if idle else None

    def give_back(self, url: str, conn: psycopg.Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(url, [])
            if len(idle) < IDLE_CONNECTIONS and not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                idle.append(conn)
                return
        conn.close()


def _answers(conn: psycopg.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


_POOL = _Pool()
