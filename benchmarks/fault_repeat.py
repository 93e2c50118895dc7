"""Run the retrain's fault tests many times over, to catch what fails only now and then (races, timing).

    python benchmarks/fault_repeat.py [--rounds 20]

Each round runs, in a fresh pytest process, the tests of a retrain that goes wrong: two starts at once,
another process training, Stop after an epoch and before the first one, a save that fails (disk full),
a corrupted or malformed active model, a broken shipped model, readers racing an activation, an
interrupted run, a model file carrying code. Prints each round's outcome and the count of clean rounds.
The kill test (the server killed during a retrain) is benchmarks/kill_test.py.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
FAULT_TESTS = " or ".join([
    "concurrent_starts", "another_process_training", "stop_after_an_epoch", "stop_before_the_first_epoch",
    "failed_save", "bad_active_file", "corrupted_active_model", "broken_shipped_model",
    "readers_never_see", "interrupted_run", "with_code",
])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-m", "pytest", "-q", "-k", FAULT_TESTS,
               "tests/test_jobs.py", "tests/test_versions.py", "tests/test_security.py"]
    clean = 0
    for round_number in range(1, args.rounds + 1):
        started = time.perf_counter()
        result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
        summary = (result.stdout.strip().splitlines() or ["no output"])[-1]
        clean += result.returncode == 0
        print(f"round {round_number}: {summary} ({time.perf_counter() - started:.0f} s)", flush=True)
        if result.returncode != 0:
            print(result.stdout[-3000:], flush=True)
    print(f"{clean} of {args.rounds} rounds passed every fault test")


if __name__ == "__main__":
    main()
