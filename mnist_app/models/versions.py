"""Model versions: the models shipped with the project, the retrained runs, and which one is active.

    models/mnist-cnn/                 a shipped model (never written by the app)
    models/runs/<id>/                 one directory per training run; the id is its start time, 20261121-101503
    models/runs/<id>/run.json         how the run went: running (and its stage), finished, stopped, failed (and why)
    models/runs/<id>/progress.json    the latest batch and the per-epoch history, while it trains
    models/runs/<id>/stop             present once someone asked the run to stop
    models/runs/<id>/worker.log       what the training process printed
    models/runs/active.json           {"id": ...}: the active version, replaced atomically

A run becomes a usable version once its card.json is there: store.write_model_dir puts the model, the card
and the evaluation into place with one rename. A run whose run.json still says "running" while no process
holds the training lock was interrupted (the server was killed), and is listed as such, never as usable.
Versions are addressed by id only; an id is checked against the listing, never joined blindly to a path.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mnist_app.config import Paths
from mnist_app.files import read_json_or_empty, write_json_atomically
from mnist_app.models import store

ACTIVE_FILE = "active.json"
RUN_FILE = "run.json"
LOCK_FILE = ".training.lock"
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
T = TypeVar("T")


@dataclass(frozen=True)
class Version:
    """One model directory, shipped or trained here."""

    id: str
    path: Path
    shipped: bool
    state: str  # "ready", or for runs without a model: "running", "interrupted", "stopped", "failed"
    card: dict[str, Any] | None = None  # the model card when ready
    detail: str = ""  # why a run is not ready (its error, for instance)
    started: str = ""  # when a run without a model began (ISO time, from run.json); a model's card has "created"

    @property
    def usable(self) -> bool:
        return self.state == "ready"


@dataclass(frozen=True)
class Active:
    """The version every page and the CLI use, and what went wrong if the chosen one could not be used."""

    version: Version
    problem: str | None = None  # set when the recorded choice was unusable and the shipped model stands in


def list_versions(paths: Paths) -> list[Version]:
    """Shipped models first (by name), then runs, newest first; unusable runs are listed with their state."""
    shipped = [_shipped(path) for path in sorted(paths.models_dir.iterdir()) if _is_model_dir(path) and path != paths.runs_dir]
    runs = [_run(path) for path in sorted(run_dirs(paths), reverse=True)]
    return [*shipped, *runs]


def find_version(paths: Paths, version_id: str) -> Version:
    """The version with this id; ValueError for a malformed or unknown id."""
    if not isinstance(version_id, str) or not ID_PATTERN.fullmatch(version_id):
        raise ValueError(f"{version_id!r} is not a model version id (letters, digits, - and _)")
    # The pattern admits no path separator and no leading dot, so these paths stay inside the two folders.
    if _is_model_dir(paths.models_dir / version_id):
        return _shipped(paths.models_dir / version_id)
    if (paths.runs_dir / version_id).is_dir():
        return _run(paths.runs_dir / version_id)
    raise ValueError(f"there is no model version {version_id!r} (python -m mnist_app models lists them)")


def activate(paths: Paths, version_id: str) -> Version:
    """Make a usable version the active one, by replacing the active file in one atomic rename."""
    version = find_version(paths, version_id)
    if not version.usable:
        raise ValueError(f"model version {version_id!r} cannot be used: it is {version.state}{_colon(version.detail)}")
    write_json_atomically(paths.runs_dir / ACTIVE_FILE, {"id": version.id, "activated": _now()})
    return version


def active_version(paths: Paths) -> Active:
    """The active version; the shipped model, with the reason, when the active file names nothing usable."""
    active_file = paths.runs_dir / ACTIVE_FILE
    if not active_file.exists():
        return Active(_shipped(paths.default_model_dir))
    try:
        version = find_version(paths, json.loads(active_file.read_text())["id"])
        if not version.usable:
            raise ValueError(f"model version {version.id!r} is {version.state}{_colon(version.detail)}")
        return Active(version)
    except (OSError, ValueError, KeyError, TypeError) as error:
        problem = f"The active model could not be used ({error}); the shipped model {paths.shipped_model} is serving instead."
        return Active(_shipped(paths.default_model_dir), problem=problem)


def load_active(paths: Paths, load: Callable[[Path], T]) -> tuple[Version, T, str | None]:
    """The active version, ``load``-ed from its directory, and a problem to report if there was one.

    When the active version cannot be loaded (a corrupted or deleted file), the shipped model is loaded
    instead and the problem says why; if the shipped model fails too, that error propagates.
    """
    active = active_version(paths)
    try:
        return active.version, load(active.version.path), active.problem
    except Exception as error:  # noqa: BLE001  (any failure to load means: fall back, and say why)
        if active.version.shipped and active.version.id == paths.shipped_model:
            raise
        shipped = _shipped(paths.default_model_dir)
        problem = (f"The active model {active.version.id} could not be loaded ({type(error).__name__}: {error}); "
                   f"the shipped model {shipped.id} is serving instead.")
        return shipped, load(shipped.path), problem


def new_run_dir(paths: Paths, config: dict[str, Any], **fields: Any) -> Path:
    """Create the directory of a new run, named by the time, with run.json saying it is running (plus
    ``fields``)."""
    paths.runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for suffix in ["", *(f"-{n}" for n in range(2, 100))]:
        run_dir = paths.runs_dir / f"{stamp}{suffix}"
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        write_run_state(run_dir, "running", config=config, pid=os.getpid(), started=_now(), **fields)
        return run_dir
    raise RuntimeError(f"could not name a new run in {paths.runs_dir}")


def write_run_state(run_dir: Path, state: str, **fields: Any) -> None:
    """Record how a run stands; the earlier fields of run.json are kept."""
    record = read_json_or_empty(run_dir / RUN_FILE)
    record.update(fields, state=state, updated=_now())
    write_json_atomically(run_dir / RUN_FILE, record)


class TrainingLock:
    """A lock file held while a run trains, by whichever process runs it (the app or the CLI).

    The operating system releases it when that process ends, however it ends, so a killed server never
    leaves a run looking alive.
    """

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

    def fileno(self) -> int:
        """The held lock file's descriptor: a process started with it (pass_fds) holds the lock too, until
        both have closed it. That is how a training worker takes over the lock of the server that started it."""
        if self._file is None:
            raise ValueError("the training lock is not held")
        return self._file.fileno()

    def release(self) -> None:
        """Close this process's copy of the lock file; the lock is free once no process has it open."""
        if self._file is not None:
            self._file.close()  # closing releases the lock
            self._file = None


def training_elsewhere(paths: Paths) -> bool:
    """Whether some run holds the training lock right now (asking writes nothing: no lock file, no run)."""
    if not (paths.runs_dir / LOCK_FILE).exists():
        return False
    probe = TrainingLock(paths)
    if probe.acquire():
        probe.release()
        return False
    return True


def _shipped(path: Path) -> Version:
    try:
        return Version(path.name, path, shipped=True, state="ready", card=store.read_card(path))
    except (OSError, ValueError) as error:
        return Version(path.name, path, shipped=True, state="failed", detail=str(error))


def _run(path: Path) -> Version:
    if _is_model_dir(path):
        try:
            return Version(path.name, path, shipped=False, state="ready", card=store.read_card(path))
        except (OSError, ValueError) as error:
            return Version(path.name, path, shipped=False, state="failed", detail=f"unreadable card: {error}")
    record = read_json_or_empty(path / RUN_FILE)
    state = record.get("state", "interrupted")
    if state == "running" and not training_elsewhere(Paths(runs_dir=path.parent)):
        state = "interrupted"  # nobody holds the lock: the process that ran it is gone
    return Version(path.name, path, shipped=False, state=state, detail=str(record.get("error", "")),
                   started=str(record.get("started", "")))


def run_dirs(paths: Paths) -> list[Path]:
    if not paths.runs_dir.is_dir():
        return []
    return [path for path in paths.runs_dir.iterdir() if path.is_dir() and ID_PATTERN.fullmatch(path.name)]


def _is_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / store.CARD_FILE).is_file() and (path / store.MODEL_FILE).is_file()


def _colon(detail: str) -> str:
    return f": {detail}" if detail else ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
