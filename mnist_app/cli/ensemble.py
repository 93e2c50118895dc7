"""``python -m mnist_app ensemble``: trained models combined into one that answers the mean of their probabilities."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from mnist_app.config import Paths


def add_ensemble_parser(commands) -> None:
    """Register ``ensemble`` on the CLI's subparsers."""
    ensemble = commands.add_parser(
        "ensemble", help="combine trained models (the same recipe, other seeds) into one that answers the mean of their probabilities")
    ensemble.add_argument("versions", nargs="+", metavar="VERSION",
                          help="at least two model versions as `models` lists them (mnist-cnn, 20261207-102620...)")
    ensemble.add_argument("--out", type=Path, default=None,
                          help="the directory to write (default: a new version in the runs folder, named by the time)")
    ensemble.add_argument("--activate", action="store_true", help="make the ensemble the active model (a new version only)")
    ensemble.set_defaults(run=run_ensemble)


def run_ensemble(args: argparse.Namespace, argv: list[str]) -> int:
    from mnist_app.models import versions

    paths = Paths.from_env()
    if len(args.versions) < 2:
        raise ValueError("an ensemble needs at least two model versions")
    if args.activate and args.out is not None:
        raise ValueError("--activate makes a new version active; a directory named by --out is not one")
    members = []
    for version_id in args.versions:
        version = versions.find_version(paths, version_id)  # ValueError naming an unknown or malformed id
        if not version.usable:
            raise ValueError(f"model version {version.id!r} cannot be used: it is {version.state}")
        if version.path in members:
            raise ValueError(f"model version {version.id!r} is named twice: the same model twice adds nothing")
        members.append(version.path)
    out_dir = args.out if args.out is not None else _new_version_dir(paths)
    print(f"combining {len(members)} models into {out_dir}", flush=True)

    from mnist_app.training.ensemble import combine  # TensorFlow: only once the arguments are known to be good

    result = combine(members, out_dir, command=shlex.join(["python", "-m", "mnist_app", *argv]))
    test, calibration = result.card["test"], result.card.get("calibration") or {}
    alone = ", ".join(f"{member['test']['accuracy']:.2%}" for member in result.card["members"])
    print(f"test accuracy {test['accuracy']:.4f}, loss {test['loss']:.4f}, {test['errors']} errors "
          f"(its {len(result.card['members'])} members alone: {alone}); temperature {calibration.get('temperature', 1.0)}")
    if args.activate:
        versions.activate(paths, out_dir.name)
        print(f"active model: {out_dir.name}")
    return 0


def _new_version_dir(paths: Paths) -> Path:
    """A directory in the runs folder that no version has; the ensemble is written into it in one rename."""
    from mnist_app.models.versions import run_dir_names

    for candidate in run_dir_names(paths):
        if not candidate.exists():
            return candidate
    raise RuntimeError(f"could not name a new version in {paths.runs_dir}")
