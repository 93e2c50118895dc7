"""The Corrections page's time per run as the corrections pile up: an operator selects rows, and every
click is a run of the page.

    python benchmarks/corrections_page.py [--corrections 2000] [--runs 10]

A temporary database of N corrections (each as the Draw page stores one: the 28x28 input, the crop, the
pen strokes), half of them accepted. Times (median and 95th percentile) of one run of the page under
AppTest after a new row selection, with the table filtered to the new ones (the page's default), and of
the accepted ones' export by itself (CorrectionStore.export_npz, which the page makes only when its button
is pressed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import numpy as np  # noqa: E402
from timing import timed  # noqa: E402

from mnist_app.corrections import CorrectionStore  # noqa: E402


def filled_store(path: Path, count: int) -> CorrectionStore:
    rng = np.random.default_rng(0)
    store = CorrectionStore(path, session_limit=10**9)
    ids = [store.add(session=f"s{i % 50}", label=i % 10, predicted=(i + 1) % 10, confidence=0.6, model_version="mnist-cnn",
                     source="canvas", model_input=rng.integers(0, 256, (28, 28), dtype=np.uint8),
                     crop=rng.integers(0, 256, (120, 90), dtype=np.uint8), strokes=[rng.random((40, 2), np.float32) * 280])
           for i in range(count)]
    store.accept(ids[::2])
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as folder:
        os.environ["CORRECTIONS_PATH"] = str(Path(folder) / "corrections.sqlite")
        os.environ["RUNS_DIR"] = str(Path(folder) / "runs")
        store = filled_store(Path(os.environ["CORRECTIONS_PATH"]), args.corrections)
        test = AppTest.from_file(str(PROJECT / "tests" / "app_entry.py"), default_timeout=120).run()
        test.switch_page(str(PROJECT / "pages" / "corrections.py")).run()
        assert not test.exception, test.exception

        def select_a_row():
            [key] = [key for key in test.session_state if str(key).startswith("corrections_table_")]
            test.session_state[key] = {"selection": {"rows": [len(test.session_state) % 5], "columns": [], "cells": []}}
            test.run()

        select_a_row()  # warm-up
        counts = store.counts()
        print(f"{args.corrections:,} corrections ({counts['new']:,} new, {counts['accepted']:,} accepted), {args.runs} runs each")
        print(f"{'':<44}{'median ms':>10}{'p95 ms':>9}")
        for name, function in (("page run after a row selection (AppTest)", select_a_row),
                               ("the export by itself (export_npz)", lambda: store.export_npz(Path(folder) / "out.npz"))):
            median, p95 = timed(lambda _: function(), range(args.runs), warm_up=0)
            print(f"{name:<44}{median:>10.1f}{p95:>9.1f}")


if __name__ == "__main__":
    main()
