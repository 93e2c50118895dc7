"""Model versions: listing, activation by id only, the atomic active file (or the shared database's row), and
falling back when it is bad. The tests run with the choice kept in the runs folder and in a real PostgreSQL
database (DATABASE_URL), except those about the active file itself."""

import dataclasses
import json
import threading
from pathlib import Path

import pytest
from postgres import Cluster, free_port

from mnist_app import database
from mnist_app.config import Paths
from mnist_app.models import locks, store, versions
from mnist_app.models.model import make_model


@pytest.fixture(params=["files", "database"])
def paths(request, tmp_path):
    """A models folder with two shipped models (one real, so it loads) and an empty runs folder; the choice
    and the training lock in the runs folder, or in a new database of the test cluster."""
    return _models(tmp_path, request.getfixturevalue("database_url") if request.param == "database" else None)


def _models(folder: Path, database_url: str | None) -> Paths:
    models = folder / "models"
    for name, accuracy in (("mnist-cnn", 0.99), ("mnist-dense", 0.97)):
        store.write_model_dir(models / name, make_model("dense"), _card(name, accuracy), {})
    return Paths(models_dir=models, runs_dir=models / "runs", database_url=database_url)


def _card(name: str, accuracy: float) -> dict:
    return {"name": name, "created": "2026-11-21T10:00:00+00:00", "test": {"accuracy": accuracy, "loss": 0.1, "errors": 3}}


def _finished_run(paths: Paths, accuracy: float = 0.995) -> str:
    run_dir = versions.new_run_dir(paths, {"epochs": 1})
    store.write_model_dir(run_dir, make_model("dense"), _card("dense", accuracy), {})
    versions.write_run_state(run_dir, "finished")
    return run_dir.name


def test_lists_shipped_models_then_runs_newest_first(paths):
    first = _finished_run(paths)
    second = _finished_run(paths)
    listed = versions.list_versions(paths)
    assert [v.id for v in listed] == ["mnist-cnn", "mnist-dense", second, first]
    assert [v.shipped for v in listed] == [True, True, False, False]
    assert all(v.usable for v in listed) and listed[2].card["test"]["accuracy"] == 0.995


def test_without_an_active_file_the_shipped_model_is_active(paths):
    active = versions.active_version(paths)
    assert active.version.id == "mnist-cnn" and active.problem is None


def test_activate_switches_and_rolls_back(paths):
    run_id = _finished_run(paths)
    versions.activate(paths, run_id)
    assert versions.active_version(paths).version.id == run_id
    versions.activate(paths, "mnist-dense")
    assert versions.active_version(paths).version.id == "mnist-dense"
    if paths.database_url:  # the choice is the database's row, and the runs folder holds none
        assert database.read_active(paths.database_url) == "mnist-dense" and not (paths.runs_dir / versions.ACTIVE_FILE).exists()
    else:
        assert json.loads((paths.runs_dir / versions.ACTIVE_FILE).read_text())["id"] == "mnist-dense"


@pytest.mark.parametrize(
    "version_id, message",
    [("../models/mnist-cnn", "is not a model version id"), ("/etc/passwd", "is not a model version id"), (".training", "is not a model version id"),
     ("runs/x", "is not a model version id"), ("", "is not a model version id"), ("a" * 65, "is not a model version id"),
     ("20990101-000000", "there is no model version"), ("runs", "there is no model version")],
)
def test_activation_takes_ids_only(paths, version_id, message):
    with pytest.raises(ValueError, match=message):
        versions.activate(paths, version_id)
    assert not (paths.runs_dir / versions.ACTIVE_FILE).exists()


def test_an_interrupted_run_is_listed_but_cannot_be_activated(paths):
    run_dir = versions.new_run_dir(paths, {"epochs": 40})  # run.json says running, but nobody holds the lock
    (run_dir / "model.keras").write_bytes(b"half a model")
    [listed] = [v for v in versions.list_versions(paths) if v.id == run_dir.name]
    assert listed.state == "interrupted" and not listed.usable
    with pytest.raises(ValueError, match="cannot be used: it is interrupted"):
        versions.activate(paths, run_dir.name)


def test_a_run_is_running_while_its_lock_is_held(paths):
    lock = locks.training_lock(paths)
    assert lock.acquire()
    try:
        run_dir = versions.new_run_dir(paths, {})
        assert versions.find_version(paths, run_dir.name).state == "running"
        assert not locks.training_lock(paths).acquire()  # a second taker, even in the same process, is refused
    finally:
        lock.release()
    assert versions.find_version(paths, run_dir.name).state == "interrupted"


@pytest.mark.parametrize("content", ["{not json", '{"version": "x"}', '{"id": "../../etc"}', '{"id": "20990101-000000"}', '["mnist-dense"]', ""])
def test_a_bad_active_file_falls_back_to_the_shipped_model(paths, content):
    paths.runs_dir.mkdir(parents=True, exist_ok=True)
    (paths.runs_dir / versions.ACTIVE_FILE).write_text(content)
    active = versions.active_version(paths)
    assert active.version.id == "mnist-cnn"
    assert active.problem.startswith("The active model could not be used") and "mnist-cnn is serving instead" in active.problem


def test_a_corrupted_active_model_falls_back_when_loading(paths):
    run_id = _finished_run(paths)
    versions.activate(paths, run_id)
    (paths.runs_dir / run_id / store.MODEL_FILE).write_bytes(b"PK\x03\x04 not really a zip")
    version, model, problem = versions.load_active(paths, store.load_model_dir)
    assert version.id == "mnist-cnn" and model is not None
    assert problem.startswith(f"The active model {run_id} could not be loaded")


def test_a_broken_shipped_model_is_an_error_not_a_fallback(paths):
    (paths.default_model_dir / store.MODEL_FILE).write_bytes(b"garbage")
    with pytest.raises(Exception):
        versions.load_active(paths, store.load_model_dir)


def test_readers_never_see_a_missing_or_half_written_choice(paths):
    ids = {"mnist-cnn", "mnist-dense", _finished_run(paths)}
    versions.activate(paths, "mnist-cnn")
    seen, failures, done = set(), [], threading.Event()

    def read_constantly():
        while not done.is_set():
            try:
                active = versions.active_version(paths)
                seen.add(active.version.id)
                assert active.problem is None, active.problem
            except Exception as error:  # noqa: BLE001
                failures.append(repr(error))

    reader = threading.Thread(target=read_constantly)
    reader.start()
    for _ in range(100):
        for version_id in sorted(ids):
            versions.activate(paths, version_id)
    done.set()
    reader.join()
    assert failures == [] and seen == ids
    assert [p.name for p in paths.runs_dir.iterdir() if p.name.startswith(".active")] == []  # no temporary files left


# --- the choice in a shared database ---------------------------------------------------------------------


def test_the_active_file_counts_until_a_version_is_activated_in_the_database(tmp_path, database_url):
    shared = _models(tmp_path, database_url)
    run_id = _finished_run(shared)
    shared.runs_dir.joinpath(versions.ACTIVE_FILE).write_text(json.dumps({"id": run_id}))  # a single machine's choice, before the move
    assert versions.active_version(shared) == versions.Active(versions.find_version(shared, run_id))
    versions.activate(shared, "mnist-dense")
    assert versions.active_version(shared).version.id == "mnist-dense"


def test_while_the_database_is_away_the_last_choice_keeps_serving_and_says_why(tmp_path):
    cluster = Cluster().start()
    try:
        shared = _models(tmp_path, cluster.new_database())
        run_id = _finished_run(shared)
        versions.activate(shared, run_id)
        assert versions.active_version(shared) == versions.Active(versions.find_version(shared, run_id))
        cluster.stop()
        active = versions.active_version(shared)
        assert active.version.id == run_id
        assert active.problem.startswith("The database postgresql://") and f"cannot be reached (Connection refused): {run_id} keeps serving" in active.problem
        with pytest.raises(database.DatabaseError, match="cannot be reached"):
            versions.activate(shared, "mnist-dense")
        cluster.start()
        assert versions.active_version(shared).problem is None
        # A process that never reached it serves the shipped model meanwhile, and says why.
        elsewhere = dataclasses.replace(shared, database_url=shared.database_url.rsplit(":", 1)[0] + f":{free_port()}/gone")
        active = versions.active_version(elsewhere)
        assert active.version.id == "mnist-cnn" and "cannot be reached" in active.problem
    finally:
        cluster.remove()
