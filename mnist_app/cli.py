"""Command line: ``python -m mnist_app train|models|activate|evaluate|predict|check|corrections``.

Errors a user can cause (bad arguments, a missing data or model file) end with a one-line reason on
stderr and a non-zero exit status, never a traceback.

The commands that change what the server serves (train, activate) are for the server's operator, who
has a shell on it: they are not behind the Training page's switch and password (config.RetrainAccess).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

from mnist_app.cli_corrections import add_corrections_parser, positive_int
from mnist_app.config import Paths, TrainConfig
from mnist_app.corrections import CorrectionsError
from mnist_app.data import DataError, pen_digits_file
from mnist_app.jobs import TrainerBusy

DEFAULTS = TrainConfig()
_PEN_FROM_ENV = ""  # what --pen without a file stands for: the pen-drawn digits Paths.from_env names
_UJI_FROM_ENV = ""  # what --uji without a file stands for: UJIPEN_PATH's file
_CORRECTIONS_FROM_ENV = ""  # what --corrections without a path stands for: Paths.from_env().corrections_file


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported
    try:
        return args.run(args, argv)
    except (DataError, FileNotFoundError, ValueError, TrainerBusy, _JobEnded, _NotReady, CorrectionsError) as error:
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

    train = commands.add_parser("train", help="train a model and write its directory (weights, card, evaluation)")
    train.add_argument("--model", choices=["cnn", "dense"], default=DEFAULTS.model, help="architecture (default: %(default)s)")
    train.add_argument("--epochs", type=positive_int, default=DEFAULTS.epochs, help="most epochs; early stopping may end sooner (default: %(default)s)")
    train.add_argument("--batch-size", type=positive_int, default=DEFAULTS.batch_size, help="images per step (default: %(default)s)")
    train.add_argument("--learning-rate", type=float, default=DEFAULTS.learning_rate, help="peak learning rate of Adam (default: %(default)s)")
    train.add_argument("--patience", type=positive_int, default=DEFAULTS.patience, help="epochs without a better validation loss before stopping (default: %(default)s)")
    train.add_argument("--no-augment", action="store_true", help="train on the plain images, without random distortions")
    train.add_argument("--seed", type=int, default=DEFAULTS.seed, help="random seed for weights, split and augmentation (default: %(default)s)")
    train.add_argument("--pen", metavar="FILE", nargs="?", const=_PEN_FROM_ENV, default=None,
                       help="also train on the pen-drawn digits of this pendigits-orig.tra file, drawn like users draw; "
                       "--pen alone takes PENDIGITS_PATH's file, or else UCI's, downloaded once into Keras's cache")
    train.add_argument("--pen-renders", type=positive_int, default=DEFAULTS.pen_renders, help="differently drawn copies of each pen-drawn digit (default: %(default)s)")
    train.add_argument("--convention-renders", type=_non_negative_int, default=DEFAULTS.convention_renders, help="extra drawings of each pen-drawn digit in a writing convention: slashed 0, crossed 7... (default: %(default)s)")
    train.add_argument("--non-digits", type=_non_negative_int, default=DEFAULTS.non_digits, help="drawings of things that are not digits to train against, 0 for none (default: %(default)s)")
    train.add_argument("--pen-writers", type=_writer_range, default=None, metavar="FIRST-LAST", help="only these writers of --pen, e.g. 1-24, keeping the rest for tuning (default: all)")
    train.add_argument("--uji", metavar="FILE", nargs="?", const=_UJI_FROM_ENV, default=None,
                       help="also train on the pen-drawn digits of UJI Pen Characters' training writers (its digits-only copy or "
                       "UCI's ujipenchars2.txt), drawn like users draw; --uji alone takes UJIPEN_PATH's file")
    train.add_argument("--uji-writers", type=_writer_range, default=None, metavar="RANGES", help="only these of its training writers, e.g. 1-9,17-53 (default: all 40)")
    train.add_argument("--limit", type=positive_int, default=None, help="use only the first N training images, for a quick run")
    train.add_argument("--corrections", metavar="PATH", nargs="?", const=_CORRECTIONS_FROM_ENV, default=None,
                       help="also learn from the accepted corrections users sent (the held-out share is only measured); "
                       "--corrections alone takes CORRECTIONS_PATH's database, else corrections.sqlite in the runs folder")
    train.add_argument("--correction-renders", type=positive_int, default=DEFAULTS.correction_renders,
                       help="training images made from each accepted correction (default: %(default)s)")
    train.add_argument("--activate", choices=["never", "if_better", "always"], default="never",
                       help="make the new model the active one: never, if_better (higher test accuracy than the active one) or always (default: %(default)s)")
    train.set_defaults(run=run_train)

    models = commands.add_parser("models", help="list the model versions: shipped ones and runs, the active one marked *")
    models.set_defaults(run=run_models)

    activate = commands.add_parser("activate", help="make a model version the one the app and the CLI use")
    activate.add_argument("id", help="a version id as `models` lists it, e.g. mnist-cnn or 20261121-101503")
    activate.set_defaults(run=run_activate)

    evaluate = commands.add_parser("evaluate", help="measure a model on the MNIST test set")
    evaluate.add_argument("--model", type=Path, default=None, help="model directory (default: the active model)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object with accuracy, loss and errors")
    evaluate.set_defaults(run=run_evaluate)

    predict = commands.add_parser("predict", help="read the digits in image files (png, jpg, webp, bmp, gif)")
    predict.add_argument("paths", nargs="+", metavar="PATH", help="image files; one that cannot be read does not stop the rest")
    predict.add_argument("--single", action="store_true", help="treat all ink in an image as one digit (as the drawing page does)")
    predict.add_argument("--json", action="store_true", help="one JSON object per line and PATH: path, text, digits, and error when unreadable")
    predict.add_argument("--model", type=Path, default=None, help="model directory (default: the active model)")
    predict.set_defaults(run=run_predict)

    check = commands.add_parser("check", help="check that the app can serve: the active model loads, MNIST reads, the settings are valid (make run runs it first)")
    check.set_defaults(run=run_check)

    add_corrections_parser(commands)  # corrections list|export|accept|delete|relabel (mnist_app/cli_corrections.py)
    return parser


def _non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


def _writer_range(text: str) -> tuple[int, ...]:
    """Writer numbers from ranges and single numbers separated by commas: "1-24", "1-9,17-53", "3"."""
    writers: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.partition("-")
            writers.extend(range(int(first), int(last or first) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a range of writer numbers like 1-24") from None
    writers = tuple(sorted(set(writers)))
    if not writers:
        raise argparse.ArgumentTypeError(f"{text!r} names no writer")
    return writers


def run_train(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app.data import load_mnist

    # Inputs are checked here, before the worker starts and imports TensorFlow, so that a mistake is
    # answered at once and in one line (TensorFlow prints start-up notes on stderr that no setting silences).
    load_mnist()
    pen = _pen_file(args.pen)
    uji, uji_writers = _uji_file(args.uji, args.uji_writers)
    config = TrainConfig(
        model=args.model,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        augment=not args.no_augment,
        seed=args.seed,
        train_limit=args.limit,
        pen_path=pen,
        pen_renders=args.pen_renders,
        convention_renders=args.convention_renders,
        non_digits=args.non_digits,
        pen_writers=args.pen_writers,
        uji_path=uji,
        uji_writers=uji_writers,
        corrections_path=_corrections_file(args.corrections),
        correction_renders=args.correction_renders,
    )
    from mnist_app.jobs import Trainer  # the same worker process as the app's retrain button

    paths = Paths.from_env()
    trainer = Trainer(paths)
    status = trainer.start(config, activate=args.activate, command=shlex.join(["python", "-m", "mnist_app", *argv]))
    print(f"run {status.run_id}: training {config.model} for up to {config.epochs} epochs in {paths.runs_dir / status.run_id}", flush=True)
    show = _TerminalProgress()
    try:
        while (status := trainer.wait(timeout=0.25)).running:
            show.preparing(status.preparation if status.stage == "preparing" else None)
            show(status.progress)
    except KeyboardInterrupt:
        print("\nstopping after this batch; the best finished epoch will be saved", file=sys.stderr, flush=True)
        trainer.stop()
        status = trainer.wait()
    show(status.progress)
    if status.card is None:
        raise _JobEnded(f"run {status.run_id} {status.stage}: {status.error}")
    test = status.card["test"]
    print(f"test accuracy {test['accuracy']:.4f}, loss {test['loss']:.4f}, {test['errors']} errors; "
          f"{status.card['train_seconds']:.0f} s of training; run {status.run_id} {status.stage}"
          f"{', now the active model' if status.activated else ''}")
    return 0


def _corrections_file(argument: str | None) -> str | None:
    """--corrections' database; alone, the one Paths.from_env names. A file that is not there is refused
    here (a run would otherwise create an empty database and learn nothing)."""
    if argument is None:
        return None
    path = Paths.from_env().corrections_file if argument == _CORRECTIONS_FROM_ENV else Path(argument)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such corrections database (--corrections takes the file the app keeps them in)")
    return str(path)


def _pen_file(argument: str | None) -> str | None:
    """--pen's file; --pen alone: PENDIGITS_PATH's, or else UCI's, downloaded here (once) so that a failure ends at once."""
    if argument is None:
        return None
    if argument != _PEN_FROM_ENV:
        if not Path(argument).is_file():
            raise FileNotFoundError(f"{argument}: no such file (--pen takes a pendigits-orig.tra file)")
        return argument
    path = Paths.from_env().pen_path
    if path is None:
        raise ValueError("--pen alone takes the pen-drawn digits from PENDIGITS_PATH, which is none; name a file after --pen")
    return str(pen_digits_file(path))


def _uji_file(argument: str | None, writers: tuple[int, ...] | None) -> tuple[str | None, tuple[int, ...] | None]:
    """--uji's file (--uji alone: UJIPEN_PATH's) and the training writers of it that --uji-writers names.

    The file is read here, so that a wrong one is answered at once; numbers of its test writers are
    dropped, so that the card lists only the writers the run learned from (1-9,17-53 names 34 of them).
    """
    from mnist_app.ujipen import read_ujipen

    if argument is None:
        if writers is not None:
            raise ValueError("--uji-writers chooses writers of --uji's file; name the file with --uji")
        return None, None
    path = Paths.from_env().uji_path if argument == _UJI_FROM_ENV else Path(argument)
    if path is None:
        raise ValueError("--uji alone takes the file UJIPEN_PATH names, which is not set; name a file after --uji")
    training = {digit.writer for digit in read_ujipen(path, split="trn")}  # FileNotFoundError, or UjiPenError naming the line
    if writers is None:
        return str(path), None
    chosen = tuple(writer for writer in writers if writer in training)
    if not chosen:
        raise ValueError(f"--uji-writers names none of the file's training writers ({', '.join(map(str, sorted(training)))})")
    return str(path), chosen


class _JobEnded(RuntimeError):
    """A training run ended without a model (stopped before its first epoch, or failed)."""


def run_models(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app import versions

    paths = Paths.from_env()
    active = versions.active_version(paths)
    if active.problem:
        print(f"warning: {active.problem}", file=sys.stderr)
    print(f"  {'id':<18} {'state':<12} {'created':<20} {'model':<6} {'accuracy':>8} {'epochs':>6}")
    for version in versions.list_versions(paths):
        card = version.card or {}
        marker = "*" if version.id == active.version.id else " "
        accuracy = f"{card['test']['accuracy']:.2%}" if card else ""
        print(f"{marker} {version.id:<18} {version.state:<12} {card.get('created', '')[:19]:<20} {card.get('name', ''):<6} "
              f"{accuracy:>8} {card.get('epochs_run', ''):>6}")
    return 0


def run_activate(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app import versions

    version = versions.activate(Paths.from_env(), args.id)
    print(f"active model: {version.id} ({version.card['name']}, test accuracy {version.card['test']['accuracy']:.2%})")
    return 0


def _model_dir(args: argparse.Namespace) -> Path:
    """The directory named by --model, or else the active version's."""
    if args.model is not None:
        return args.model
    from mnist_app import versions

    active = versions.active_version(Paths.from_env())
    if active.problem:
        print(f"warning: {active.problem}", file=sys.stderr)
    return active.version.path


def run_evaluate(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app.data import load_mnist
    from mnist_app.evaluate import evaluate
    from mnist_app.model import Predictor
    from mnist_app.store import load_model_dir

    model_dir = _model_dir(args)
    model = load_model_dir(model_dir)
    data = load_mnist()
    started = time.perf_counter()
    result = evaluate(Predictor(model), data.x_test, data.y_test)
    summary = {
        "model": str(model_dir),
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


def run_predict(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app.images import ImageError, read_picture
    from mnist_app.recognize import load_predictor

    predictor = load_predictor(_model_dir(args))
    failed = False
    for start in range(0, len(args.paths), PREDICT_CHUNK):
        paths = args.paths[start : start + PREDICT_CHUNK]
        images, errors = {}, {}
        for path in paths:
            try:
                images[path] = read_picture(path)  # at the resolution reading needs; boxes come in the file's pixels
            except ImageError as error:
                errors[path] = str(error)
        readings = _read_each(images, predictor, args.single, errors)
        for path in paths:
            failed |= path in errors
            _print_reading(path, readings.get(path), errors.get(path), args.json)
    return 1 if failed else 0


def _read_each(images: dict, predictor, single: bool, errors: dict[str, str]) -> dict:
    """The readings of ``images`` (path -> Picture), read together. Should that fail, each is read alone, and
    one that still fails gets its error in ``errors``: every path gets its line, whatever one image does."""
    from mnist_app.recognize import recognize_many

    try:
        return dict(zip(images, recognize_many(list(images.values()), predictor, single=single)))
    except Exception:  # noqa: BLE001  (one bad image must not cost the others their answers)
        readings = {}
        for path, image in images.items():
            try:
                readings[path] = recognize_many([image], predictor, single=single)[0]
            except Exception as error:  # noqa: BLE001
                errors[path] = f"could not be read ({type(error).__name__}: {error})"
        return readings


PREDICT_CHUNK = 16  # files decoded and held in memory at once (each at most resolution.ANALYSIS_MAX_PIXELS)


class _NotReady(RuntimeError):
    """The app could not serve: the message says what is wrong and what to do."""


def run_check(args: argparse.Namespace, argv: list[str]) -> int:
    """What the app needs at start-up, loaded as the app loads it; one line says ok, or what is wrong."""
    from mnist_app import versions
    from mnist_app.config import RetrainAccess
    from mnist_app.data import load_mnist

    RetrainAccess.from_env()  # a misspelt RETRAINING is a ValueError that names it
    paths = Paths.from_env()
    # MNIST first: it needs no TensorFlow, so a missing file is answered at once and in one line.
    try:
        load_mnist()
    except DataError as error:  # MNIST_PATH's file is missing or malformed; the message names it and the fault
        raise _NotReady(f"MNIST could not be loaded: {error}") from None
    except Exception as error:  # noqa: BLE001  (Keras's download failed, for want of internet most likely)
        raise _NotReady(f"MNIST could not be downloaded ({error}); set MNIST_PATH to a local copy of Keras's mnist.npz") from None
    from mnist_app.recognize import load_predictor  # the app's own loader (it imports TensorFlow)

    try:
        version, _, problem = versions.load_active(paths, load_predictor)
    except Exception as error:  # noqa: BLE001  (the shipped model itself does not load: nothing can serve)
        raise _NotReady(f"the shipped model {paths.shipped_model} could not be loaded ({type(error).__name__}: {error}); "
                        f"restore {paths.default_model_dir} from the repository (git checkout -- models/)") from None
    if not version.usable:
        raise _NotReady(f"the model {version.id} cannot be used ({version.detail}); restore {version.path} from the repository")
    source = paths.mnist_path or "Keras's download cache (~/.keras/datasets)"
    print(f"ok: model {version.id} ({version.card['test']['accuracy']:.2%}), MNIST from {source}")
    if problem:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def _print_reading(path: str, reading, error: str | None, as_json: bool) -> None:
    if as_json:
        record = {"path": path, "text": "", "digits": [], "not_digits": []}
        if reading is not None:
            record.update(reading.as_dict())
        if error is not None:
            record["error"] = error
        print(json.dumps(record), flush=True)
    elif error is not None:
        print(f"{path}: error: {error}", flush=True)
    elif reading.empty:
        print(f"{path}: {'not a digit' if reading.not_digits else 'no digit found'}"
              f"{f' (it looks like the number {reading.number.text})' if reading.number else ''}", flush=True)
    else:
        details = ", ".join(f"{d.digit} {d.confidence:.0%}{' (uncertain)' if d.uncertain else ''}" for d in reading.digits)
        hint = f"  (it looks like the number {reading.number.text})" if reading.number else ""
        print(f"{path}: {' / '.join(reading.lines)}    [{details}]{hint}", flush=True)


class _TerminalProgress:
    """One line per finished epoch; on a terminal, also a line rewritten in place while an epoch runs."""

    def __init__(self) -> None:
        self.live = sys.stdout.isatty()
        self.epochs_shown = 0
        self.step_shown = None

    def preparing(self, preparation) -> None:
        """Each step of the data's preparation once ("Drawing 18,000 training digits from pen strokes"),
        with its count rewritten in place on a terminal."""
        if preparation is None:
            return
        if preparation.step != self.step_shown:
            if not self.live:
                print(preparation.step, flush=True)
            else:  # the earlier step's line stays; this one is rewritten as its count grows
                print(("\n" if self.step_shown else "") + preparation.step, end="", flush=True)
            self.step_shown = preparation.step
        if self.live and preparation.total:
            print(f"\r{preparation.step}: {preparation.done:,} of {preparation.total:,}", end="", flush=True)

    def __call__(self, progress) -> None:
        if progress is None:
            return
        if self.live and self.step_shown:  # training has begun: the last preparation line stays
            print(flush=True)
            self.step_shown = None
        for row in progress.history[self.epochs_shown :]:
            print(f"\repoch {row['epoch']:>2}/{progress.epochs}  loss {row['loss']:.4f}  acc {row['accuracy']:.4f}  "
                  f"val_loss {row['val_loss']:.4f}  val_acc {row['val_accuracy']:.4f}  "
                  f"lr {row['learning_rate']:.2e}  {row['seconds']:.0f} s", flush=True)
        self.epochs_shown = len(progress.history)
        if self.live and not progress.epoch_done:
            print(f"\repoch {progress.epoch:>2}/{progress.epochs}  batch {progress.batch}/{progress.batches}  "
                  f"loss {progress.logs.get('loss', float('nan')):.4f}", end="", flush=True)
