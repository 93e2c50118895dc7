"""Command line for the corrections users sent: ``python -m mnist_app corrections list|export|accept|delete|relabel``.

An operator's review from a shell: list the stored digits, accept, relabel or delete them, and export the
accepted ones in Keras's MNIST layout. The database is
``Paths.from_env().corrections_location`` (DATABASE_URL's PostgreSQL database, else CORRECTIONS_PATH, else
corrections.sqlite in the runs folder), or the file or postgresql:// URL ``--db`` names. A database that cannot be used (mnist_app.corrections.CorrectionsError) ends
with its one-line reason, as every other error of the CLI does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mnist_app import database
from mnist_app.cli.arguments import positive_int
from mnist_app.config import Paths
from mnist_app.corrections import STATES, CorrectionStore


def add_corrections_parser(commands) -> None:
    """Register ``corrections`` and its subcommands on the CLI's subparsers."""
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--db", type=_location, default=None, metavar="PATH|URL",
                          help="the corrections database, a SQLite file or a postgresql:// URL (default: DATABASE_URL, else "
                               "CORRECTIONS_PATH, else corrections.sqlite in the runs folder)")
    corrections = commands.add_parser("corrections", help="review the digits users corrected: list, accept, relabel, delete, export")
    actions = corrections.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[database], help="the stored corrections, newest first, and how many there are in each state")
    listing.add_argument("--state", choices=STATES, default=None, help="only those in this state (default: both)")
    listing.add_argument("--label", type=_digit, default=None, metavar="DIGIT", help="only those labelled this digit")
    listing.add_argument("--version", default=None, metavar="VERSION", help="only those the model version VERSION read wrong")
    listing.add_argument("--limit", type=positive_int, default=None, metavar="N", help="at most the N newest")
    listing.set_defaults(run=run_list)

    export = actions.add_parser("export", parents=[database],
                                help="write corrections as an .npz in Keras's MNIST layout, the held-out ones as the test part")
    export.add_argument("out", type=Path, metavar="OUT.npz", help="the file to write (replaced if it is there)")
    export.add_argument("--state", choices=STATES, default="accepted", help="which to export (default: %(default)s)")
    export.set_defaults(run=run_export)

    accept = actions.add_parser("accept", parents=[database], help="accept corrections, so that a retrain learns from them")
    accept.add_argument("ids", nargs="+", type=positive_int, metavar="ID", help="ids as `corrections list` shows them")
    accept.set_defaults(run=run_accept)

    delete = actions.add_parser("delete", parents=[database], help="delete corrections for good")
    delete.add_argument("ids", nargs="+", type=positive_int, metavar="ID", help="ids as `corrections list` shows them")
    delete.set_defaults(run=run_delete)

    relabel = actions.add_parser("relabel", parents=[database], help="give corrections another label")
    relabel.add_argument("digit", type=_digit, metavar="DIGIT", help="the label, 0-9")
    relabel.add_argument("ids", nargs="+", type=positive_int, metavar="ID", help="ids as `corrections list` shows them")
    relabel.set_defaults(run=run_relabel)


def _digit(text: str) -> int:
    if text.strip() not in tuple("0123456789"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a digit 0-9")
    return int(text)


def _location(text: str) -> str | Path:
    return text if database.is_url(text) else Path(text)


def _database_location(args: argparse.Namespace) -> str | Path:
    return args.db or Paths.from_env().corrections_location


def _no_file(location: str | Path) -> bool:
    return isinstance(location, Path) and not location.exists()


def _database(args: argparse.Namespace) -> CorrectionStore:
    """The store at --db or the configured one. A missing file is refused rather than created empty, so that
    a mistyped path is not mistaken for a database without corrections."""
    location = _database_location(args)
    if _no_file(location):
        raise FileNotFoundError(f"{location}: no such corrections database (none stored yet, or --db / CORRECTIONS_PATH names another file)")
    return CorrectionStore(location)


def run_list(args: argparse.Namespace, argv: list[str]) -> int:
    location = _database_location(args)
    if _no_file(location):  # a server that has not stored any yet
        print(f"no corrections stored yet ({location} does not exist)")
        return 0
    store = _database(args)
    shown = store.list(state=args.state, label=args.label, model_version=args.version, limit=args.limit)
    counts = store.counts()
    if shown:
        print(f"{'id':>6}  {'state':<8}  {'label':>5}  {'read as':>7}  {'confidence':>10}  {'model version':<18}  "
              f"{'source':<6}  {'created':<19}  held out")
    for correction in shown:
        read_as = "none" if correction.predicted < 0 else str(correction.predicted)  # -1: "not a digit"
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(correction.created))
        print(f"{correction.id:>6}  {correction.state:<8}  {correction.label:>5}  {read_as:>7}  {correction.confidence:>10.1%}  "
              f"{correction.model_version:<18}  {correction.source:<6}  {created:<19}  {'yes' if correction.held_out else ''}")
    print(f"{len(shown)} shown; {counts['new']} new and {counts['accepted']} accepted in {database.described(str(location))}")
    return 0


def run_export(args: argparse.Namespace, argv: list[str]) -> int:
    store = _database(args)
    store.counts()  # an unusable database is reported before the output file is touched
    try:
        trained, held_out = store.export_npz(args.out, state=args.state)
    except OSError as error:
        raise ValueError(f"{args.out}: cannot be written ({error.strerror or error})") from None
    print(f"{args.out}: {trained} {args.state} corrections to train on (x_train) and {held_out} held out (x_test)")
    return 0


def _each(args: argparse.Namespace, change, done: str) -> int:
    """``change(store, [id])`` for each id given, one write each; says how many were changed and which ids are not there."""
    store = _database(args)
    ids = list(dict.fromkeys(args.ids))  # each once, in the order given
    missing = [correction_id for correction_id in ids if change(store, [correction_id]) == 0]
    changed = len(ids) - len(missing)
    print(f"{done.format(count=changed, s='' if changed == 1 else 's')}")
    if missing:
        print(f"error: no correction with id {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    return 0


def run_accept(args: argparse.Namespace, argv: list[str]) -> int:
    return _each(args, lambda store, ids: store.accept(ids), "accepted {count} correction{s}")


def run_delete(args: argparse.Namespace, argv: list[str]) -> int:
    return _each(args, lambda store, ids: store.delete(ids), "deleted {count} correction{s}")


def run_relabel(args: argparse.Namespace, argv: list[str]) -> int:
    return _each(args, lambda store, ids: store.relabel(ids, args.digit), f"relabelled {{count}} correction{{s}} as {args.digit}")
