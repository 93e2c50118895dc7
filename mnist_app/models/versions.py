"""Model versions: the models shipped with the project, the retrained runs, and which one is active.

    models/mnist-cnn/                 a shipped model (never written by the app)
    models/runs/<id>/                 one directory per training run; the id is its start time, 20261121-101503
    models/runs/<id>/run.json         how the run went: running (and its stage), finished, stopped, failed (and why)
    models/runs/<id>/progress.json    the latest batch and the per-epoch history, while it trains
    models/runs/<id>/stop             present once someone asked the run to stop
    models/runs/<id>/worker.log       what the training process printed
    models/runs/active.json           {"id": ...}: the active version, replaced atomically (with DATABASE_URL, a
                                      row of the shared database names it instead: mnist_app.database)

A run becomes a usable version once its card.json is there: store.write_model_dir puts the model, the card
and the evaluation into place with one rename. A run whose run.json still says "running" while no process
holds the training lock was interrupted (the server was killed), and is listed as such, never as usable.
Versions are addressed by id only; an id is checked against the listing, never joined blindly to a path.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mnist_app import database
from mnist_app.config import Paths
from mnist_app.files import read_json_or_empty, write_json_atomically
from mnist_app.models import store
from mnist_app.models.locks import training_elsewhere

ACTIVE_FILE = "active.json"
RUN_FILE = "run.json"
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
    runs = [_run(paths, path) for path in sorted(run_dirs(paths), reverse=True)]
    return [*shipped, *runs]


def find_version(paths: Paths, version_id: str) -> Version:
    """The version with this id; ValueError for a malformed or unknown id."""
    if not isinstance(version_id, str) or not ID_PATTERN.fullmatch(version_id):
        raise ValueError(f"{version_id!r} is not a model version id (letters, digits, - and _)")
    # The pattern admits no path separator and no leading dot, so these paths stay inside the two folders.
    if _is_model_dir(paths.models_dir / version_id):
        return _shipped(paths.models_dir / version_id)
    if (paths.runs_dir / version_id).is_dir():
        return _run(paths, paths.runs_dir / version_id)
    raise ValueError(f"there is no model version {version_id!r} (python -m mnist_app models lists them)")


def activate(paths: Paths, version_id: str) -> Version:
    """Make a usable version the active one: one row in the shared database when there is one, else the active
    file, replaced in one atomic rename. DatabaseError when the database cannot be reached."""
    version = find_version(paths, version_id)
    if not version.usable:
        raise ValueError(f"model version {version_id!r} cannot be used: it is {version.state}{_colon(version.detail)}")
    if paths.database_url:
        database.write_active(paths.database_url, version.id, _now())
    else:
        write_json_atomically(paths.runs_dir / ACTIVE_FILE, {"id": version.id, "activated": _now()})
    return version


def active_version(paths: Paths) -> Active:
    """The active version; the shipped model, with the reason, when the choice names nothing usable."""
    try:
        chosen = _chosen_id(paths)
        if chosen is None:
            return Active(_shipped(paths.default_model_dir))
        version = find_version(paths, chosen)
        if not version.usable:
            raise ValueError(f"model version {version.id!r} is {version.state}{_colon(version.detail)}")
        return Active(version)
    except database.DatabaseError as error:
        return _while_the_database_is_away(paths, error)
    except (OSError, ValueError, KeyError, TypeError) as error:
        problem = f"The active model could not be used ({error}); the shipped model {paths.shipped_model} is serving instead."
        return Active(_shipped(paths.default_model_dir), problem=problem)


def _chosen_id(paths: Paths) -> str | None:
    """The id of the version chosen as active: in the shared database when there is one (until a version is
    activated there, the active file of the runs folder still counts), else in the active file; None if none."""
    chosen = database.read_active(paths.database_url) if paths.database_url else None
    active_file = paths.runs_dir / ACTIVE_FILE
    if chosen is None and active_file.exists():
        chosen = json.loads(active_file.read_text())["id"]
    if paths.database_url:
        _last_read[paths.database_url] = chosen
    return chosen


_last_read: dict[str, str | None] = {}  # per database: the choice it last gave this process


def _while_the_database_is_away(paths: Paths, error: database.DatabaseError) -> Active:
    """While the shared database cannot be reached, the version it last named here keeps serving."""
    last = _last_read.get(paths.database_url)
    try:
        version = find_version(paths, last) if last else _shipped(paths.default_model_dir)
    except ValueError:
        version = _shipped(paths.default_model_dir)
    reason = str(error)
    return Active(version, problem=f"{reason[:1].upper()}{reason[1:]}: {version.id} keeps serving, and a version activated meanwhile is "
                                   "seen once it is back.")


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
    for run_dir in run_dir_names(paths):
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        write_run_state(run_dir, "running", config=config, pid=os.getpid(), started=_now(), **fields)
        return run_dir
    raise RuntimeError(f"could not name a new run in {paths.runs_dir}")


def run_dir_names(paths: Paths) -> Iterator[Path]:
    """Names for a new version in the runs folder, from the time: 20261121-101503, then -2, -3... if taken."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for suffix in ["", *(f"-{n}" for n in range(2, 100))]:
        yield paths.runs_dir / f"{stamp}{suffix}"


def write_run_state(run_dir: Path, state: str, **fields: Any) -> None:
    """Record how a run stands; the earlier fields of run.json are kept."""
    record = read_json_or_empty(run_dir / RUN_FILE)
    record.update(fields, state=state, updated=_now())
    write_json_atomically(run_dir / RUN_FILE, record)


def _shipped(path: Path) -> Version:
    try:
        return Version(path.name, path, shipped=True, state="ready", card=store.read_card(path))
    except (OSError, ValueError) as error:
        return Version(path.name, path, shipped=True, state="failed", detail=str(error))


def _run(paths: Paths, path: Path) -> Version:
    if _is_model_dir(path):
        try:
            return Version(path.name, path, shipped=False, state="ready", card=store.read_card(path))
        except (OSError, ValueError) as error:
            return Version(path.name, path, shipped=False, state="failed", detail=f"unreadable card: {error}")
    record = read_json_or_empty(path / RUN_FILE)
    state = record.get("state", "interrupted")
    if state == "running" and not training_elsewhere(paths):
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
