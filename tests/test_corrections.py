"""The corrections database (mnist_app/corrections/): what it keeps, its limits, and what happens when a
writer is killed, two write at once, the database is damaged, unreachable, or of an older or newer schema.

The tests of what it keeps, its limits, its writers and its export run on both backends: a SQLite file and a
real PostgreSQL server (the ``postgres`` fixture of conftest.py); the damaged files are SQLite's own, the
unreachable server PostgreSQL's."""

from __future__ import annotations

import io
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from PIL import Image
from postgres import Cluster, free_port

from mnist_app.corrections import HELD_OUT_SHARE, CorrectionRefused, CorrectionsError, CorrectionStore, is_held_out
from mnist_app.training.data import load_mnist

PROJECT = Path(__file__).resolve().parents[1]

# The version 1 schema as the first release wrote it, copied here rather than imported so that this test
# pins the old format: a change to corrections.py cannot change what an old database looks like.
SCHEMA_V1 = """
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER NOT NULL,
    confidence REAL NOT NULL,
    model_version TEXT NOT NULL,
    created REAL NOT NULL,
    source TEXT NOT NULL,
    model_input BLOB NOT NULL
);
"""

# A writer in a process of its own: it adds corrections as fast as it can, saying "ready" after the first
# one, until it is killed or has added the number given; given a fourth argument, it first says "waiting"
# and waits for that file to appear, so that two writers start at the same moment.
WRITER = """
import os, sys, time
import numpy as np
from mnist_app.corrections import CorrectionStore

path, session, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if len(sys.argv) > 4:
    print("waiting", flush=True)
    while not os.path.exists(sys.argv[4]):
        time.sleep(0.005)
store = CorrectionStore(path, session_limit=10**9, total_cap=10**9)
rng = np.random.default_rng(abs(hash(session)) % 2**32)
for number in range(count or 10**9):
    store.add(session=session, label=number % 10, predicted=(number + 1) % 10, confidence=0.5, model_version="v1",
              source="canvas", model_input=rng.random((28, 28)), crop=rng.integers(0, 256, (40, 30), dtype=np.uint8),
              strokes=[rng.random((20, 2)) * 280])
    if number == 0:
        print("ready", flush=True)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def new_location(request, tmp_path):
    """Makes a new, empty corrections database of the backend under test and returns where it is: a SQLite
    file's path, or a PostgreSQL database's URL."""
    if request.param == "sqlite":
        return lambda name="corrections": tmp_path / f"{name}.sqlite"
    cluster = request.getfixturevalue("postgres")
    return lambda name="corrections": cluster.new_database()


@pytest.fixture
def store(new_location) -> CorrectionStore:
    return CorrectionStore(new_location())


def add_to(target: CorrectionStore, **fields) -> int:
    """Adds one correction with sensible defaults, any of them replaced; returns its id."""
    values = dict(session="session-a", label=3, predicted=8, confidence=0.61, model_version="mnist-cnn",
                  source="canvas", model_input=np.zeros((28, 28), np.uint8))
    return target.add(**values | fields)


@pytest.fixture
def add(store):
    """``add_to`` the store under test."""
    return lambda **fields: add_to(store, **fields)


def _writer(path: Path, session: str, count: int = 0, go: Path | None = None) -> subprocess.Popen:
    extra = [] if go is None else [str(go)]
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), session, str(count), *extra], cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


# --- what it keeps ---------------------------------------------------------------------------------------


def test_add_and_list_newest_first_with_every_field(store, add):
    first = add(label=1, predicted=7, confidence=0.9, model_version="v1", source="photo", session="s1")
    second = add(label=2, predicted=-1, confidence=0.4, model_version="v2", source="canvas", session="s2")
    assert second > first
    newest, oldest = store.list()
    assert (newest.id, oldest.id) == (second, first)
    assert (oldest.label, oldest.predicted, oldest.confidence, oldest.model_version, oldest.source, oldest.session,
            oldest.state) == (1, 7, pytest.approx(0.9), "v1", "photo", "s1", "new")
    assert (newest.label, newest.predicted, newest.model_version, newest.source) == (2, -1, "v2", "canvas")
    assert abs(newest.created - time.time()) < 60
    assert newest.crop is None and newest.strokes is None
    assert store.model_versions() == ["v1", "v2"]


def test_list_filters_combine_and_limit(store, add):
    ids = {}
    for label, version, session in [(1, "v1", "a"), (1, "v2", "a"), (2, "v1", "b"), (1, "v1", "b")]:
        ids[label, version, session] = add(label=label, model_version=version, session=session)
    store.accept([ids[1, "v1", "b"]])
    assert [c.id for c in store.list(label=1)] == [ids[1, "v1", "b"], ids[1, "v2", "a"], ids[1, "v1", "a"]]
    assert [c.id for c in store.list(model_version="v2")] == [ids[1, "v2", "a"]]
    assert [c.id for c in store.list(session="b")] == [ids[1, "v1", "b"], ids[2, "v1", "b"]]
    assert [c.id for c in store.list(state="accepted")] == [ids[1, "v1", "b"]]
    assert len(store.list(state="new")) == 3
    assert [c.id for c in store.list(label=1, model_version="v1", session="a")] == [ids[1, "v1", "a"]]
    assert store.list(label=7) == []
    assert [c.id for c in store.list(limit=2)] == [ids[1, "v1", "b"], ids[2, "v1", "b"]]


def test_counts_name_every_state(store, add):
    assert store.counts() == {"new": 0, "accepted": 0}
    ids = [add() for _ in range(3)]
    assert store.accept(ids[:2]) == 2
    assert store.counts() == {"new": 1, "accepted": 2}


def test_accept_relabel_delete_report_what_they_changed(store, add):
    one, two = add(label=3), add(label=4)
    assert store.accept([one, 999]) == 1
    assert {c.id: c.state for c in store.list()} == {one: "accepted", two: "new"}
    assert store.relabel([one, two], 9) == 2
    assert {c.label for c in store.list()} == {9}
    assert store.delete([two, 999]) == 1
    assert [c.id for c in store.list()] == [one]


@pytest.mark.parametrize("label", [10, -1, "3", 2.5])
def test_a_label_that_is_no_digit_is_refused(store, add, label):
    kept = add(label=3)
    with pytest.raises(ValueError, match="label must be a digit 0-9"):
        store.relabel([kept], label)
    with pytest.raises(ValueError, match="label must be a digit 0-9"):
        add(label=label)
    assert [c.label for c in store.list()] == [3]


def test_a_source_that_is_unknown_is_refused(add):
    with pytest.raises(ValueError, match="source must be one of canvas, photo"):
        add(source="upload")


@pytest.mark.parametrize("shape", [(28,), (0, 0), (14, 14), (28, 28, 3)])
def test_a_model_input_that_is_not_28x28_is_refused(store, add, shape):
    # An export stacks every model input into (N, 28, 28): one of another shape would break every later export.
    with pytest.raises(ValueError, match=r"model_input must be a \(28, 28\) image"):
        add(model_input=np.zeros(shape))
    assert store.list() == []


def test_remove_with_a_session_only_undoes_that_sessions_own(store, add):
    mine, theirs = add(session="mine"), add(session="theirs")
    assert store.remove(theirs, session="mine") is False
    assert store.remove(mine, session="mine") is True
    assert store.remove(mine, session="mine") is False
    assert [c.id for c in store.list()] == [theirs]
    assert store.remove(theirs) is True  # without a session: an operator's delete
    assert store.list() == []


# --- images and strokes ----------------------------------------------------------------------------------


def test_images_and_strokes_round_trip(store, add):
    rng = np.random.default_rng(1)
    model_input = rng.random((28, 28))  # (28, 28) float in [0, 1] -> stored as an 8-bit PNG
    crop = rng.integers(0, 256, (37, 52), dtype=np.uint8)
    strokes = [rng.random((15, 2)) * 300, rng.random((1, 2)) * 300, rng.random((40, 2)) * 300]
    add(model_input=model_input, crop=crop, strokes=strokes)
    [kept] = store.list()
    assert kept.model_input.dtype == np.uint8 and kept.model_input.shape == (28, 28)
    assert np.abs(kept.model_input / 255 - model_input).max() <= 1 / 255
    assert kept.crop.dtype == np.uint8 and kept.crop.shape == (37, 52)
    np.testing.assert_array_equal(kept.crop, crop)
    assert len(kept.strokes) == 3
    for back, given in zip(kept.strokes, strokes):
        assert back.dtype == np.float32 and back.shape == given.shape
        assert np.abs(back - given).max() <= 0.1


def test_a_uint8_model_input_is_kept_exactly(store, add):
    model_input = np.random.default_rng(2).integers(0, 256, (28, 28), dtype=np.uint8)
    add(model_input=model_input)
    np.testing.assert_array_equal(store.list()[0].model_input, model_input)


# --- limits ----------------------------------------------------------------------------------------------


def test_the_session_rate_limit_refuses_and_the_window_lets_it_go(new_location, monkeypatch):
    limited = CorrectionStore(new_location("limited"), session_limit=3, session_window_s=3600)
    for _ in range(3):
        add_to(limited, session="busy")
    with pytest.raises(CorrectionRefused, match="this browser session has sent 3 corrections in the last 60 minutes"):
        add_to(limited, session="busy")
    add_to(limited, session="other")  # the limit is per session
    assert len(limited.list(session="busy")) == 3
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 3601)  # the first three have left the window
    add_to(limited, session="busy")
    assert len(limited.list(session="busy")) == 4


def test_the_total_cap_refuses_every_session(new_location):
    capped = CorrectionStore(new_location("capped"), total_cap=4)
    for number in range(4):
        add_to(capped, session=f"s{number}")
    with pytest.raises(CorrectionRefused, match=r"the corrections database is full \(4 kept\)"):
        add_to(capped, session="fresh")
    capped.delete([capped.list()[0].id])
    add_to(capped, session="fresh")  # an operator's delete makes room
    assert sum(capped.counts().values()) == 4


# --- processes -------------------------------------------------------------------------------------------


def _check_whole(path: Path | str) -> None:
    if isinstance(path, Path):
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    store = CorrectionStore(path, session_limit=10**9, total_cap=10**9)
    listed = store.list()
    assert sum(store.counts().values()) == len(listed)
    for correction in listed:
        assert correction.model_input.shape == (28, 28) and correction.crop.shape == (40, 30)
        assert correction.strokes[0].shape == (20, 2)


def test_a_killed_writer_leaves_the_database_readable(new_location):
    path = new_location()
    rng = np.random.default_rng(3)
    before = 0
    for kill in range(3):
        writer = _writer(path, f"writer-{kill}")
        assert writer.stdout.readline() == "ready\n", writer.stderr.read()
        time.sleep(0.5 + rng.random())  # somewhere in the middle of a write, most likely
        writer.send_signal(signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL
        _check_whole(path)
        count = len(CorrectionStore(path).list())
        assert count > before  # what it had committed is there
        add_to(CorrectionStore(path), session=f"after-{kill}", crop=np.zeros((40, 30), np.uint8), strokes=[np.zeros((20, 2))])
        before = count + 1
        assert len(CorrectionStore(path).list()) == before


def test_two_processes_writing_at_once_lose_nothing(new_location, tmp_path):
    path = new_location()  # empty: both create and migrate its table at once
    count, go = 150, tmp_path / "go"
    writers = [_writer(path, name, count, go) for name in ("left", "right")]
    for writer in writers:
        assert writer.stdout.readline() == "waiting\n", writer.stderr.read()
    go.touch()
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    listed = CorrectionStore(path).list()
    assert len(listed) == 2 * count
    assert len({c.id for c in listed}) == 2 * count
    assert {name: len(CorrectionStore(path).list(session=name)) for name in ("left", "right")} == {"left": count, "right": count}
    sessions = [c.session for c in reversed(listed)]  # in the order they were stored
    assert len([name for name, _ in itertools.groupby(sessions)]) > 2, "the two writers did not write at once"
    _check_whole(path)


# --- unusable files --------------------------------------------------------------------------------------


def _every_method(store: CorrectionStore, tmp_path: Path):
    zeros = np.zeros((28, 28), np.uint8)
    return {
        "add": lambda: store.add(session="s", label=1, predicted=2, confidence=0.5, model_version="v", source="canvas", model_input=zeros),
        "remove": lambda: store.remove(1, session="s"),
        "list": lambda: store.list(label=1),
        "counts": store.counts,
        "model_versions": store.model_versions,
        "accept": lambda: store.accept([1]),
        "relabel": lambda: store.relabel([1], 4),
        "delete": lambda: store.delete([1]),
        "export_counts": store.export_counts,
        "export_npz": lambda: store.export_npz(tmp_path / "out.npz"),
    }


def _real_database(path: Path, rows: int = 30) -> bytes:
    store = CorrectionStore(path, session_limit=10**9)
    rng = np.random.default_rng(4)
    for number in range(rows):
        store.add(session="s", label=number % 10, predicted=0, confidence=0.5, model_version="v", source="photo",
                  model_input=rng.random((28, 28)), crop=rng.integers(0, 256, (64, 48), dtype=np.uint8))
    assert not Path(f"{path}-wal").exists()  # the last connection's close folded the log into the file
    return path.read_bytes()


@pytest.mark.parametrize("damage", ["garbage", "truncated header", "truncated half", "directory"])
def test_an_unusable_file_is_one_line_naming_it_from_every_method(tmp_path, damage):
    path = tmp_path / "broken.sqlite"
    if damage == "garbage":
        path.write_bytes(np.random.default_rng(5).integers(0, 256, 10_000, dtype=np.uint8).tobytes())
    elif damage == "directory":
        path.mkdir()
    else:
        whole = _real_database(tmp_path / "whole.sqlite")
        path.write_bytes(whole[:50] if damage == "truncated header" else whole[: len(whole) // 2])
    store = CorrectionStore(path)
    for name, call in _every_method(store, tmp_path).items():
        with pytest.raises(CorrectionsError, match=r"^the corrections database broken\.sqlite cannot be (used|opened) \(.+\)$") as error:
            call()
        assert "\n" not in str(error.value), name
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes any file whatever its permissions")
def test_an_unreadable_file_is_one_line(tmp_path):
    path = tmp_path / "locked.sqlite"
    _real_database(path, rows=2)
    path.chmod(0)
    with pytest.raises(CorrectionsError, match=r"locked\.sqlite cannot be"):
        CorrectionStore(path).counts()


# --- schema versions -------------------------------------------------------------------------------------


def test_a_version_1_database_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite"
    inputs = [np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8) for seed in (6, 7)]
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_V1)
        for number, image in enumerate(inputs):
            db.execute("INSERT INTO corrections (label, predicted, confidence, model_version, created, source, model_input) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (number + 4, 1, 0.25, "mnist-cnn", 1_700_000_000.0 + number, "photo", _png(image)))
        db.execute("PRAGMA user_version = 1")
    db.close()
    store = CorrectionStore(path)
    old = list(reversed(store.list()))
    assert [(c.label, c.predicted, c.model_version, c.created, c.source) for c in old] == [
        (4, 1, "mnist-cnn", 1_700_000_000.0, "photo"), (5, 1, "mnist-cnn", 1_700_000_001.0, "photo")]
    for correction, image in zip(old, inputs):
        assert (correction.state, correction.session, correction.crop, correction.strokes) == ("new", "", None, None)
        np.testing.assert_array_equal(correction.model_input, image)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
    db.close()
    # The new columns work on the migrated file.
    new = add_to(store, crop=np.ones((5, 6), np.uint8), strokes=[np.ones((3, 2))])
    assert store.accept([old[0].id]) == 1
    assert store.counts() == {"new": 2, "accepted": 1}
    assert store.list(session="session-a")[0].id == new and store.list(session="session-a")[0].crop.shape == (5, 6)


def test_a_database_newer_than_the_app_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    _real_database(path, rows=1)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 3")
    db.close()
    for name, call in _every_method(CorrectionStore(path), tmp_path).items():
        with pytest.raises(CorrectionsError, match=r"future\.sqlite cannot be used \(its schema is version 3, newer than this app's 2\)"):
            call()
    with sqlite3.connect(path) as db:  # and it is left as it was
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        assert db.execute("SELECT COUNT(*) FROM corrections").fetchone() == (1,)
    db.close()


# --- PostgreSQL: a server that is down, then back; old and new schemas --------------------------------


def test_a_server_that_is_down_is_one_line_naming_it_without_its_password(tmp_path):
    url = f"postgresql://mnist:secret@127.0.0.1:{free_port()}/corrections"  # nothing listens there
    for name, call in _every_method(CorrectionStore(url), tmp_path).items():
        with pytest.raises(CorrectionsError, match=r"^the database postgresql://mnist@127\.0\.0\.1:\d+/corrections cannot be reached "
                           r"\(Connection refused\)$") as error:
            call()
        assert "\n" not in str(error.value) and "secret" not in str(error.value), name


def test_the_store_works_again_once_its_server_is_back():
    cluster = Cluster().start()
    try:
        store = CorrectionStore(cluster.new_database())
        first = add_to(store)
        cluster.stop()
        with pytest.raises(CorrectionsError, match="cannot be reached"):
            add_to(store)
        with pytest.raises(CorrectionsError, match="cannot be reached"):
            store.list()
        cluster.start()
        second = add_to(store)  # the connections the server dropped are not reused
        assert [c.id for c in store.list()] == [second, first]
    finally:
        cluster.remove()


def _postgres_at_version_1(url: str, inputs: list[np.ndarray]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA_V1.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                     .replace("REAL", "DOUBLE PRECISION").replace("BLOB", "BYTEA"))
        conn.execute("CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_versions VALUES ('corrections', 1)")
        for number, image in enumerate(inputs):
            conn.execute("INSERT INTO corrections (label, predicted, confidence, model_version, created, source, model_input) "
                         "VALUES (%s, %s, %s, %s, %s, %s, %s)", (number + 4, 1, 0.25, "mnist-cnn", 1_700_000_000.0 + number, "photo", _png(image)))


def test_a_version_1_postgres_database_is_migrated(database_url):
    inputs = [np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8) for seed in (6, 7)]
    _postgres_at_version_1(database_url, inputs)
    store = CorrectionStore(database_url)
    old = list(reversed(store.list()))
    assert [(c.label, c.model_version, c.created, c.state, c.session, c.crop) for c in old] == [
        (4, "mnist-cnn", 1_700_000_000.0, "new", "", None), (5, "mnist-cnn", 1_700_000_001.0, "new", "", None)]
    for correction, image in zip(old, inputs):
        np.testing.assert_array_equal(correction.model_input, image)
    new = add_to(store, crop=np.ones((5, 6), np.uint8), strokes=[np.ones((3, 2))])
    assert new > old[-1].id and store.accept([old[0].id]) == 1 and store.counts() == {"new": 2, "accepted": 1}
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT version FROM schema_versions WHERE component = 'corrections'").fetchone() == (2,)


def test_a_postgres_database_newer_than_the_app_is_refused(database_url, tmp_path):
    add_to(CorrectionStore(database_url))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_versions SET version = 3 WHERE component = 'corrections'")
    for name, call in _every_method(CorrectionStore(database_url), tmp_path).items():
        with pytest.raises(CorrectionsError, match=r"the corrections tables of the database are at version 3, newer than this app's 2"):
            call()
    with psycopg.connect(database_url) as conn:  # and it is left as it was
        assert conn.execute("SELECT COUNT(*) FROM corrections").fetchone() == (1,)


# --- export and the held-out share -----------------------------------------------------------------------


def test_export_is_keras_mnist_layout_with_the_held_out_ones_as_test(store, add, tmp_path):
    rng = np.random.default_rng(8)
    inputs = {}
    for number in range(24):
        image = rng.integers(0, 256, (28, 28), dtype=np.uint8)
        inputs[add(label=number % 10, model_input=image)] = (image, number % 10)
    accepted = sorted(inputs)[::2] + [max(inputs)]  # every other one, and the last
    store.accept(accepted)
    held_out = [i for i in accepted if is_held_out(i)]
    trained = [i for i in accepted if not is_held_out(i)]
    assert held_out and trained  # the ids above give both parts; if not, the test would prove little
    path = tmp_path / "accepted.npz"
    assert store.export_npz(path) == (len(trained), len(held_out)) == store.export_counts()
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    assert sorted(arrays) == ["x_test", "x_train", "y_test", "y_train"]
    for part, ids in (("train", trained), ("test", held_out)):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        assert x.dtype == np.uint8 and y.dtype == np.uint8
        assert x.shape == (len(ids), 28, 28) and y.shape == (len(ids),)
        np.testing.assert_array_equal(x, np.stack([inputs[i][0] for i in ids]))  # oldest first
        np.testing.assert_array_equal(y, [inputs[i][1] for i in ids])
    mnist = load_mnist(path)  # the app's own MNIST reader takes it
    np.testing.assert_array_equal(mnist.x_test, arrays["x_test"])
    # The new ones instead, when asked.
    assert store.export_npz(tmp_path / "new.npz", state="new") == store.export_counts("new") == (
        sum(not is_held_out(i) for i in inputs if i not in accepted), sum(is_held_out(i) for i in inputs if i not in accepted))


def test_an_empty_export_still_has_the_layout(store, tmp_path):
    assert store.export_npz(tmp_path / "empty.npz") == (0, 0) == store.export_counts()
    with np.load(tmp_path / "empty.npz", allow_pickle=False) as archive:
        assert archive["x_train"].shape == (0, 28, 28) and archive["x_train"].dtype == np.uint8
        assert archive["y_test"].shape == (0,) and archive["y_test"].dtype == np.uint8


def test_held_out_is_stable_and_about_its_share(store, add):
    ids = range(1, 10_001)
    first = [is_held_out(i) for i in ids]
    assert first == [is_held_out(i) for i in ids]
    assert abs(sum(first) / len(first) - HELD_OUT_SHARE) < 0.02
    assert 0 < sum(first[:50]) < 50  # both sides among the first ids a database gives
    kept = add()
    assert store.list()[0].held_out == is_held_out(kept)

