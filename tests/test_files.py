"""Atomic writes: a reader sees the old file or the new one, whole, never half of one, and never a temporary."""

from __future__ import annotations

import json
import os
import stat
import threading

import numpy as np
import pytest

from mnist_app.files import read_json_or_empty, replaced_atomically, save_arrays_atomically, write_bytes_atomically, write_json_atomically

OLD = {"state": "running", "note": "the old record, longer than the new one " * 20}
NEW = {"state": "done"}


def write_json(path, value):
    write_json_atomically(path, value)


def write_bytes(path, value):
    write_bytes_atomically(path, value)


def save_arrays(path, value):
    save_arrays_atomically(path, **value)


# Each writer with a value it writes.
WRITERS = {"json": (write_json, NEW), "bytes": (write_bytes, b"new bytes"), "arrays": (save_arrays, {"images": np.arange(6, dtype=np.uint8).reshape(2, 3)})}


def beside(path):
    """Every entry of the folder of ``path``: the target and nothing else once a write is over."""
    return sorted(entry.name for entry in path.parent.iterdir())


@pytest.mark.parametrize("writer, value", list(WRITERS.values()), ids=list(WRITERS))
def test_a_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path, writer, value):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(OLD))  # longer than any new content: a write in place would leave its tail
    writer(path, value)
    assert beside(path) == ["record.json"]
    if isinstance(value, dict) and "images" in value:
        with np.load(path) as loaded:
            np.testing.assert_array_equal(loaded["images"], value["images"])
    elif isinstance(value, bytes):
        assert path.read_bytes() == value
    else:
        assert json.loads(path.read_text()) == value


def test_json_is_indented_and_ends_with_a_newline(tmp_path):
    path = tmp_path / "record.json"
    write_json_atomically(path, {"a": [1, 2], "b": "é"})
    assert path.read_text() == json.dumps({"a": [1, 2], "b": "é"}, indent=2) + "\n"


def test_the_temporary_is_a_hidden_file_beside_the_target_with_the_suffix_asked(tmp_path):
    path = tmp_path / "model.keras"
    with replaced_atomically(path, suffix=".keras") as temporary:
        assert temporary.parent == path.parent  # the same file system: os.replace is atomic only there
        assert temporary.name.startswith(".model.keras.") and temporary.name.endswith(".keras")
        assert temporary.is_file() and not path.exists()  # the target appears only when the block ends
        temporary.write_bytes(b"weights")
    assert path.read_bytes() == b"weights" and beside(path) == ["model.keras"]


@pytest.mark.parametrize("error, match", [(RuntimeError, "the disk is full"), (KeyboardInterrupt, "stopped")])
def test_when_the_block_raises_the_old_file_is_untouched_and_the_temporary_removed(tmp_path, error, match):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(OLD))
    with pytest.raises(error, match=match), replaced_atomically(path) as temporary:
        temporary.write_text('{"state": "do')  # half way through the new record
        raise error(match)
    assert json.loads(path.read_text()) == OLD
    assert beside(path) == ["record.json"]


@pytest.mark.parametrize(
    "writer, value, error, match",
    [
        (write_json, {"ok": 1, "not json": object()}, TypeError, "not JSON serializable"),
        (write_bytes, "a str, not bytes", TypeError, "bytes-like object"),
        # the first array is in the archive already when the second cannot be pickled
        (save_arrays, {"ok": np.zeros(3), "broken": np.array([threading.Lock()], dtype=object)}, TypeError, "cannot pickle"),
    ],
    ids=["json", "bytes", "arrays"],
)
def test_a_writer_that_fails_half_way_keeps_the_old_file(tmp_path, writer, value, error, match):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(OLD))
    with pytest.raises(error, match=match):
        writer(path, value)
    assert json.loads(path.read_text()) == OLD
    assert beside(path) == ["record.json"]


@pytest.mark.parametrize("writer, value", list(WRITERS.values()), ids=list(WRITERS))
def test_the_file_is_readable_by_others_though_mkstemp_makes_it_private(tmp_path, writer, value):
    path = tmp_path / "record.json"
    mask = os.umask(0o077)  # as strict as a service's umask may be: the mode is set, not left to it
    try:
        writer(path, value)
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_missing_parent_folders_are_created(tmp_path):
    path = tmp_path / "runs" / "20240101-000000" / "state.json"
    write_json_atomically(path, NEW)
    assert read_json_or_empty(path) == NEW and beside(path) == ["state.json"]


@pytest.mark.parametrize(
    "content",
    [None, b"", b'{"state": "runn', b"not json at all", b"[1, 2, 3]", b'"a string"', b"42", b"null", b"\xff\xfe\x00{}"],
    ids=["missing", "empty", "half-written", "not-json", "a-list", "a-string", "a-number", "null", "not-utf8"],
)
def test_read_json_or_empty_gives_an_empty_record_for_anything_but_an_object(tmp_path, content):
    path = tmp_path / "record.json"
    if content is not None:
        path.write_bytes(content)
    assert read_json_or_empty(path) == {}


def test_read_json_or_empty_gives_an_empty_record_for_a_folder(tmp_path):
    assert read_json_or_empty(tmp_path) == {}


def test_read_json_or_empty_reads_what_write_json_atomically_wrote(tmp_path):
    record = {"state": "done", "accuracy": 0.9931, "writers": [1, 2, 3], "nested": {"a": None, "b": True}}
    write_json_atomically(tmp_path / "record.json", record)
    assert read_json_or_empty(str(tmp_path / "record.json")) == record  # a str path as well as a Path


def test_arrays_round_trip_through_save_arrays_atomically(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"images": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), "labels": np.arange(5, dtype=np.int64),
              "weights": rng.random(5).astype(np.float32)}
    path = tmp_path / "cache" / "digits.npz"
    save_arrays_atomically(path, **arrays)
    with np.load(path, allow_pickle=False) as loaded:
        assert sorted(loaded.files) == sorted(arrays)
        for name, array in arrays.items():
            assert loaded[name].dtype == array.dtype
            np.testing.assert_array_equal(loaded[name], array)
    assert beside(path) == ["digits.npz"]  # np.savez to a handle: no ".npz" added to the temporary's name


def test_a_reader_never_sees_a_partial_file_while_a_writer_rewrites_it(tmp_path):
    path = tmp_path / "progress.json"
    # Records of very different sizes: a write in place would show a truncated or half-written file.
    records = [{"epoch": index, "history": list(range(index % 7 * 2000))} for index in range(200)]
    write_json_atomically(path, records[0])
    seen, failures, done = [], [], threading.Event()

    def read_in_a_loop():
        while not done.is_set():
            try:
                seen.append(json.loads(path.read_text())["epoch"])
            except (OSError, ValueError, KeyError) as error:
                failures.append(repr(error))

    reader = threading.Thread(target=read_in_a_loop)
    reader.start()
    try:
        for record in records:
            write_json_atomically(path, record)
    finally:
        done.set()
        reader.join()
    assert failures == []
    assert len(seen) > 0 and set(seen) <= set(range(len(records)))
    assert seen == sorted(seen)  # and never an older record after a newer one
    assert json.loads(path.read_text()) == records[-1] and beside(path) == ["progress.json"]
