"""Files that other processes read while they are written: every write goes to a temporary file beside
the target and is renamed over it, so a reader sees the old file or the new one, whole, never half of one.

Model files, the active-version pointer, a run's state and progress, and the caches of drawn digits are
all written this way; several app servers and a training worker read them at any moment.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


@contextlib.contextmanager
def replaced_atomically(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends, rename it over ``path`` (readable by all).

    The temporary file is removed if the block raises. ``suffix`` keeps an extension that a writer needs
    (Keras saves only to a name ending in ``.keras``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the servers and the worker may run as others
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_json_atomically(path: str | Path, record: dict[str, Any]) -> None:
    """Write ``record`` as indented JSON, flushed to disk before it replaces ``path``."""
    with replaced_atomically(path) as temporary, open(temporary, "w") as handle:
        handle.write(json.dumps(record, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def write_bytes_atomically(path: str | Path, content: bytes) -> None:
    with replaced_atomically(path) as temporary:
        temporary.write_bytes(content)


def save_arrays_atomically(path: str | Path, **arrays: np.ndarray) -> None:
    """``np.savez`` of the arrays to ``path`` (a cache of drawn digits, say), whole or not at all."""
    with replaced_atomically(path) as temporary, open(temporary, "wb") as handle:
        np.savez(handle, **arrays)


def read_json_or_empty(path: str | Path) -> dict[str, Any]:
    """The JSON object in ``path``; {} when the file is missing, unreadable or not an object."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}
