"""Time and test accuracy of the app's default retrain, run through the same job code as the button.

    python benchmarks/retrain_default.py [--set epochs=3 --set batch_size=64 ...] [--cold]

Prints the stages as they begin, one line per epoch, then the totals. The run is written to RUNS_DIR
(default models/runs) like any other; --cold first deletes the cached pen-digit training set, so that
the time includes drawing it, as the first retrain on a new machine does.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_app.config import Paths  # noqa: E402
from mnist_app.jobs.trainer import Trainer, default_config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="change a TrainConfig field")
    parser.add_argument("--cold", action="store_true", help="delete the cached pen-digit training set first")
    args = parser.parse_args()
    paths = Paths.from_env()
    changes = {key: ast.literal_eval(value) for key, value in (item.split("=", 1) for item in args.set)}
    config = default_config(paths, **changes)
    if args.cold:
        shutil.rmtree(paths.runs_dir / ".cache", ignore_errors=True)
    print(f"config: {config}", flush=True)

    trainer = Trainer(paths)
    started = time.perf_counter()
    status = trainer.start(config, command="benchmarks/retrain_default.py")
    stage, epochs_shown = None, 0
    while status.running:
        status = trainer.wait(timeout=0.5)
        if status.stage != stage:
            stage = status.stage
            print(f"{time.perf_counter() - started:6.1f} s  {stage}", flush=True)
        history = status.progress.history if status.progress else ()
        for row in history[epochs_shown:]:
            print(f"{time.perf_counter() - started:6.1f} s  epoch {row['epoch']}: val_accuracy {row['val_accuracy']:.4f} ({row['seconds']:.0f} s)", flush=True)
        epochs_shown = len(history)
    total = time.perf_counter() - started
    if status.card is None:
        print(f"run {status.run_id} {status.stage}: {status.error}")
        sys.exit(1)
    test = status.card["test"]
    print(f"run {status.run_id}: test accuracy {test['accuracy']:.4f} ({test['errors']} errors), loss {test['loss']:.4f}; "
          f"{status.card['train_seconds']:.0f} s training, {total:.0f} s from start to saved version")


if __name__ == "__main__":
    main()
