"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a temporary folder, a free port.

``make test`` installs Debian's PostgreSQL (as it installs Chromium). The cluster is made with initdb and run
with pg_ctl as an unprivileged user (PostgreSQL refuses to run as root: as root, the user ``nobody``), with
trust authentication on loopback only, and without the durability a test does not need (no fsync). It is
stopped and its folder removed at the end. ``Cluster.missing()`` says why there can be none here.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.e2e.browser import free_port  # the browser tests' free port; the tests of the database take it from here

USER = "mnist"  # the cluster's superuser, the one the tests connect as
_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)  # Debian's layout, newest first


def _tool(name: str) -> str | None:
    for folder in _BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)


class Cluster:
    """One PostgreSQL server on 127.0.0.1 with a data folder of its own."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="mnist-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._names = itertools.count(1)
        self._as_user = {"user": "nobody"} if os.geteuid() == 0 else {}
        if self._as_user:
            self.folder.chmod(0o755)
            shutil.chown(self.folder, "nobody")

    @staticmethod
    def missing() -> str | None:
        """Why no cluster can be started here, or None."""
        if _tool("initdb") is None or _tool("pg_ctl") is None:
            return "PostgreSQL's initdb and pg_ctl were not found (make test installs them: apt-get install postgresql)"
        return None

    def start(self) -> Cluster:
        if not self.data.exists():
            self._run(_tool("initdb"), "-D", self.data, "-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} -c fsync=off -c full_page_writes=off"
        self._run(_tool("pg_ctl"), "-D", self.data, "-l", self.folder / "server.log", "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        """Stop the server at once (its sessions are cut, as when a database machine goes away)."""
        self._run(_tool("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database in this cluster."""
        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def _run(self, *command) -> None:
        subprocess.run([str(part) for part in command], check=True, capture_output=True, timeout=120, cwd=self.folder, **self._as_user)

