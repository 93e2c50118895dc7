"""Command line: ``python -m mnist_app train|ensemble|models|activate|evaluate|predict|check|corrections``.

Errors a user can cause (bad arguments, a missing data or model file) end with a one-line reason on
stderr and a non-zero exit status, never a traceback.

The commands that change what the server serves (train, activate) are for the server's operator, who
has a shell on it: they are not behind the Training page's switch and password (config.RetrainAccess).
"""

from __future__ import annotations

import argparse
import os
import sys

from mnist_app.cli.arguments import CommandFailed
from mnist_app.cli.corrections import add_corrections_parser
from mnist_app.cli.ensemble import add_ensemble_parser
from mnist_app.cli.models import add_model_parsers
from mnist_app.cli.predict import add_predict_parser
from mnist_app.cli.train import add_train_parser
from mnist_app.database import DatabaseError
from mnist_app.jobs.trainer import TrainerBusy
from mnist_app.training.data import DataError

# The errors a user can cause: each ends the command with its one-line message and exit status 1.
USER_ERRORS = (DataError, FileNotFoundError, ValueError, TrainerBusy, CommandFailed, DatabaseError)  # DatabaseError: CorrectionsError too


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported
    try:
        return args.run(args, argv)
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_app",
        description="Train, evaluate and use the handwritten-digit models. "
        "MNIST is read from the .npz named by MNIST_PATH when it is set, else downloaded by Keras.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_train_parser(commands)  # train (cli/train.py)
    add_ensemble_parser(commands)  # ensemble (cli/ensemble.py)
    add_predict_parser(commands)  # predict (cli/predict.py)
    add_model_parsers(commands)  # models, activate, evaluate, check (cli/models.py)
    add_corrections_parser(commands)  # corrections list|export|accept|delete|relabel (cli/corrections.py)
    return parser
