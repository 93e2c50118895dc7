"""``python -m mnist_app models|activate|evaluate|check``: the model versions, and whether the app can serve."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from mnist_app.cli.arguments import CommandFailed
from mnist_app.config import Paths
from mnist_app.training.data import DataError


def add_model_parsers(commands) -> None:
    """Register ``models``, ``activate``, ``evaluate`` and ``check`` on the CLI's subparsers."""
    models = commands.add_parser("models", help="list the model versions: shipped ones and runs, the active one marked *")
    models.set_defaults(run=run_models)

    activate = commands.add_parser("activate", help="make a model version the one the app and the CLI use")
    activate.add_argument("id", help="a version id as `models` lists it, e.g. mnist-cnn or 20261121-101503")
    activate.set_defaults(run=run_activate)

    evaluate = commands.add_parser("evaluate", help="measure a model on the MNIST test set")
    evaluate.add_argument("--model", type=Path, default=None, help="model directory (default: the active model)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object with accuracy, loss and errors")
    evaluate.set_defaults(run=run_evaluate)

    check = commands.add_parser("check", help="check that the app can serve: the active model loads, MNIST reads, the settings are valid (make run runs it first)")
    check.set_defaults(run=run_check)


def run_models(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app.models import versions

    paths = Paths.from_env()
    active = versions.active_version(paths)
    if active.problem:
        print(f"warning: {active.problem}", file=sys.stderr)
    print(f"  {'id':<18} {'state':<12} {'created':<20} {'model':<12} {'accuracy':>8} {'epochs':>6}")
    for version in versions.list_versions(paths):
        card = version.card or {}
        marker = "*" if version.id == active.version.id else " "
        accuracy = f"{card['test']['accuracy']:.2%}" if card else ""
        print(f"{marker} {version.id:<18} {version.state:<12} {card.get('created', '')[:19]:<20} {card.get('name', ''):<12} "
              f"{accuracy:>8} {card.get('epochs_run', ''):>6}")
    return 0


def run_activate(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app.models import versions

    version = versions.activate(Paths.from_env(), args.id)
    print(f"active model: {version.id} ({version.card['name']}, test accuracy {version.card['test']['accuracy']:.2%})")
    return 0


def model_dir(args: argparse.Namespace) -> Path:
    """The directory named by --model, or else the active version's."""
    if args.model is not None:
        return args.model
    from mnist_app.models import versions

    active = versions.active_version(Paths.from_env())
    if active.problem:
        print(f"warning: {active.problem}", file=sys.stderr)
    return active.version.path


def run_evaluate(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app.models.model import Predictor
    from mnist_app.models.store import load_model_dir
    from mnist_app.training.data import load_mnist
    from mnist_app.training.evaluate import evaluate

    directory = model_dir(args)
    model = load_model_dir(directory)
    data = load_mnist()
    started = time.perf_counter()
    result = evaluate(Predictor(model), data.x_test, data.y_test)
    summary = {
        "model": str(directory),
        "accuracy": result["accuracy"],
        "loss": result["loss"],
        "errors": len(result["misclassified"]),
        "count": result["count"],
        "seconds": round(time.perf_counter() - started, 2),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{summary['model']}: accuracy {summary['accuracy']:.4f}, loss {summary['loss']:.4f}, "
              f"{summary['errors']} of {summary['count']} wrong ({summary['seconds']} s)")
        print(" digit  precision  recall     f1  support")
        for row in result["per_class"]:
            print(f"{row['digit']:>6}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:5.4f}  {row['support']:7d}")
    return 0


def run_check(args: argparse.Namespace, argv: list[str]) -> int:
    """What the app needs at start-up, loaded as the app loads it; one line says ok, or what is wrong."""
    from mnist_app import database
    from mnist_app.config import RetrainAccess
    from mnist_app.models import versions
    from mnist_app.training.data import load_mnist

    RetrainAccess.from_env()  # a misspelt RETRAINING is a ValueError that names it
    paths = Paths.from_env()
    if paths.database_url:  # a wrong DATABASE_URL is told at start-up, not at the first correction
        database.read_active(paths.database_url)  # DatabaseError: one line naming it and why
    # MNIST first: it needs no TensorFlow, so a missing file is answered at once and in one line.
    try:
        load_mnist()
    except DataError as error:  # MNIST_PATH's file is missing or malformed; the message names it and the fault
        raise CommandFailed(f"MNIST could not be loaded: {error}") from None
    except Exception as error:  # noqa: BLE001  (Keras's download failed, for want of internet most likely)
        raise CommandFailed(f"MNIST could not be downloaded ({error}); set MNIST_PATH to a local copy of Keras's mnist.npz") from None
    from mnist_app.reading.recognize import load_predictor  # the app's own loader (it imports TensorFlow)

    try:
        version, _, problem = versions.load_active(paths, load_predictor)
    except Exception as error:  # noqa: BLE001  (the shipped model itself does not load: nothing can serve)
        raise CommandFailed(f"the shipped model {paths.shipped_model} could not be loaded ({type(error).__name__}: {error}); "
                        f"restore {paths.default_model_dir} from the repository (git checkout -- models/)") from None
    if not version.usable:
        raise CommandFailed(f"the model {version.id} cannot be used ({version.detail}); restore {version.path} from the repository")
    source = paths.mnist_path or "Keras's download cache (~/.keras/datasets)"
    shared = f", shared database {database.described(paths.database_url)}" if paths.database_url else ""
    print(f"ok: model {version.id} ({version.card['test']['accuracy']:.2%}), MNIST from {source}{shared}")
    if problem:
        print(f"warning: {problem}", file=sys.stderr)
    return 0
