"""``python -m mnist_app train``: a training run in the worker the retrain button uses, its progress on the terminal."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from pathlib import Path

from mnist_app import database
from mnist_app.cli.arguments import CommandFailed, non_negative_int, positive_int, writer_range
from mnist_app.config import ARCHITECTURE_NAMES, Paths, TrainConfig
from mnist_app.training.data import pen_digits_file

DEFAULTS = TrainConfig()
_PEN_FROM_ENV = ""  # what --pen without a file stands for: the pen-drawn digits Paths.from_env names
_UJI_FROM_ENV = ""  # what --uji without a file stands for: UJIPEN_PATH's file
_CORRECTIONS_FROM_ENV = ""  # what --corrections without a path stands for: Paths.from_env().corrections_location


def add_train_parser(commands) -> None:
    """Register ``train`` on the CLI's subparsers; its options are named after TrainConfig's fields."""
    train = commands.add_parser("train", help="train a model and write its directory (weights, card, evaluation)")
    train.add_argument("--model", choices=ARCHITECTURE_NAMES, default=DEFAULTS.model, help="architecture (default: %(default)s)")
    train.add_argument("--epochs", type=positive_int, default=DEFAULTS.epochs, help="most epochs; early stopping may end sooner (default: %(default)s)")
    train.add_argument("--batch-size", type=positive_int, default=DEFAULTS.batch_size, help="images per step (default: %(default)s)")
    train.add_argument("--learning-rate", type=float, default=DEFAULTS.learning_rate, help="peak learning rate of Adam (default: %(default)s)")
    train.add_argument("--patience", type=positive_int, default=DEFAULTS.patience, help="epochs without a better validation loss before stopping (default: %(default)s)")
    train.add_argument("--no-augment", dest="augment", action="store_false", help="train on the plain images, without random distortions")
    train.add_argument("--seed", type=int, default=DEFAULTS.seed, help="random seed for weights, split and augmentation (default: %(default)s)")
    train.add_argument("--pen", dest="pen_path", metavar="FILE", nargs="?", const=_PEN_FROM_ENV, default=None,
                       help="also train on the pen-drawn digits of this pendigits-orig.tra file, drawn like users draw; "
                       "--pen alone takes PENDIGITS_PATH's file, or else UCI's, downloaded once into Keras's cache")
    train.add_argument("--pen-renders", type=positive_int, default=DEFAULTS.pen_renders, help="differently drawn copies of each pen-drawn digit (default: %(default)s)")
    train.add_argument("--convention-renders", type=non_negative_int, default=DEFAULTS.convention_renders,
                       help="extra drawings of each pen-drawn digit in a writing convention: slashed 0, crossed 7... (default: %(default)s)")
    train.add_argument("--non-digits", type=non_negative_int, default=DEFAULTS.non_digits,
                       help="drawings of things that are not digits to train against, 0 for none (default: %(default)s)")
    train.add_argument("--pen-writers", type=writer_range, default=None, metavar="FIRST-LAST",
                       help="only these writers of --pen, e.g. 1-24, keeping the rest for tuning (default: all)")
    train.add_argument("--uji", dest="uji_path", metavar="FILE", nargs="?", const=_UJI_FROM_ENV, default=None,
                       help="also train on the pen-drawn digits of UJI Pen Characters' training writers (its digits-only copy or "
                       "UCI's ujipenchars2.txt), drawn like users draw; --uji alone takes UJIPEN_PATH's file")
    train.add_argument("--uji-writers", type=writer_range, default=None, metavar="RANGES", help="only these of its training writers, e.g. 1-9,17-53 (default: all 40)")
    train.add_argument("--limit", dest="train_limit", type=positive_int, default=None, help="use only the first N training images, for a quick run")
    train.add_argument("--corrections", dest="corrections_path", metavar="PATH", nargs="?", const=_CORRECTIONS_FROM_ENV, default=None,
                       help="also learn from the accepted corrections users sent (the held-out share is only measured); "
                       "--corrections alone takes CORRECTIONS_PATH's database, else corrections.sqlite in the runs folder")
    train.add_argument("--correction-renders", type=positive_int, default=DEFAULTS.correction_renders,
                       help="training images made from each accepted correction (default: %(default)s)")
    train.add_argument("--activate", choices=["never", "if_better", "always"], default="never",
                       help="make the new model the active one: never, if_better (higher test accuracy than the active one) or always (default: %(default)s)")
    train.set_defaults(run=run_train)


def run_train(args: argparse.Namespace, argv: list[str]) -> int:
    """Check the inputs, start the worker the retrain button starts, and show its progress until it ends."""
    from mnist_app.jobs.trainer import Trainer  # the same worker process as the app's retrain button

    config = _config(args)
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
        raise CommandFailed(f"run {status.run_id} {status.stage}: {status.error}")
    test = status.card["test"]
    print(f"test accuracy {test['accuracy']:.4f}, loss {test['loss']:.4f}, {test['errors']} errors; "
          f"{status.card['train_seconds']:.0f} s of training; run {status.run_id} {status.stage}"
          f"{', now the active model' if status.activated else ''}")
    return 0


def _config(args: argparse.Namespace) -> TrainConfig:
    """The run's TrainConfig: every option whose name is a field of it, the data files checked and resolved.

    Inputs are checked here, before the worker starts and imports TensorFlow, so that a mistake is
    answered at once and in one line (TensorFlow prints start-up notes on stderr that no setting silences).
    """
    from mnist_app.training.data import load_mnist

    load_mnist()
    fields = {field.name for field in dataclasses.fields(TrainConfig)}
    options = {name: value for name, value in vars(args).items() if name in fields}
    options["pen_path"] = _pen_file(args.pen_path)
    options["uji_path"], options["uji_writers"] = _uji_file(args.uji_path, args.uji_writers)
    options["corrections_path"] = _corrections_file(args.corrections_path)
    return TrainConfig(**options)


def _corrections_file(argument: str | None) -> str | None:
    """--corrections' database (a file, or a postgresql:// URL); alone, the one Paths.from_env names. A file
    that is not there is refused here (a run would otherwise create an empty database and learn nothing). A
    URL is recorded without its password (the worker takes it from DATABASE_URL)."""
    if argument is None:
        return None
    location = Paths.from_env().corrections_location if argument == _CORRECTIONS_FROM_ENV else argument
    if not database.is_url(location) and not Path(location).is_file():
        raise FileNotFoundError(f"{location}: no such corrections database (--corrections takes the file the app keeps them in)")
    return database.described(str(location))


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
    from mnist_app.handwriting.ujipen import read_ujipen

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
