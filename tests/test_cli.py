import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_app.cli import main
from mnist_app.store import read_card

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, env_overrides=None):
    """The CLI in a real subprocess, as a user runs it."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env_overrides or {})}
    return subprocess.run([sys.executable, "-m", "mnist_app", *args], capture_output=True, text=True, cwd=PROJECT, env=env, timeout=300)


def test_help_explains_every_train_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--model", "--epochs", "--batch-size", "--no-augment", "--activate", "--seed", "--limit", "--learning-rate", "--patience"):
        assert option in text


@pytest.mark.parametrize(
    "args, message",
    [(["train", "--epochs", "0"], "'0' must be at least 1"), (["train", "--model", "resnet"], "invalid choice: 'resnet'"),
     (["train", "--batch-size", "many"], "'many' is not a whole number"), (["fly"], "invalid choice: 'fly'"), ([], "required: COMMAND"),
     (["train", "--pen-writers", "x"], "'x' is not a range of writer numbers"), (["predict"], "required: PATH")],
)
def test_wrong_arguments_exit_2_with_a_reason(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_data_file_is_one_line_not_a_traceback(tmp_path):
    result = run_cli("train", "--epochs", "1", env_overrides={"MNIST_PATH": str(tmp_path / "gone.npz")})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'gone.npz'}: no such file (MNIST_PATH must name Keras's mnist.npz)"]


def test_missing_pen_file_is_one_line(mnist, tmp_path, capsys):
    assert main(["train", "--pen", str(tmp_path / "pen.tra")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'pen.tra'}: no such file (--pen takes a pendigits-orig.tra file)\n"


def test_pen_test_writers_are_refused(mnist, tmp_path, capsys):
    held_out = tmp_path / "pendigits-orig.tes"
    held_out.write_text("")
    assert main(["train", "--pen", str(held_out)]) == 1
    assert "pen_path must not be the .tes file" in capsys.readouterr().err


def test_evaluate_missing_model_dir(tmp_path, capsys):
    assert main(["evaluate", "--model", str(tmp_path / "nothing")]) == 1
    assert "nothing: no such model directory" in capsys.readouterr().err


def test_evaluate_json_on_the_shipped_model(mnist, shipped_model_dir):
    result = run_cli("evaluate", "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    # 99.58%: the model that also reads writing conventions and says "not a digit" (README, "Figures").
    assert summary["accuracy"] >= 0.995 and summary["count"] == 10000
    assert summary["loss"] < 0.05
    assert summary["accuracy"] == pytest.approx(read_card(shipped_model_dir)["test"]["accuracy"])


def test_evaluate_table(mnist, shipped_model_dir, capsys):
    assert main(["evaluate"]) == 0
    text = capsys.readouterr().out
    assert "accuracy 0.99" in text and "precision" in text and len(text.splitlines()) == 12


def test_train_writes_a_run_and_activates_it(mnist, runs_dir, capsys):
    args = ["train", "--model", "dense", "--epochs", "2", "--limit", "2000", "--no-augment", "--activate", "always"]
    assert main(args) == 0
    text = capsys.readouterr().out
    [run_dir] = [path for path in runs_dir.iterdir() if path.is_dir() and not path.name.startswith(".")]
    assert text.startswith(f"run {run_dir.name}: training dense for up to 2 epochs in {run_dir}")
    assert "epoch  2/2" in text and f"run {run_dir.name} finished, now the active model" in text
    card = read_card(run_dir)
    assert card["command"] == "python -m mnist_app " + " ".join(args)
    assert card["config"]["augment"] is False and card["test"]["accuracy"] > 0.8
    assert main(["models"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[1].startswith("  mnist-cnn ") and listing[2].startswith("  mnist-dense ")
    assert listing[3].startswith(f"* {run_dir.name} ") and "ready" in listing[3] and "dense" in listing[3]


def test_activate_switches_and_refuses_what_is_not_a_version(mnist, runs_dir, capsys):
    assert main(["activate", "mnist-dense"]) == 0
    assert capsys.readouterr().out.startswith("active model: mnist-dense (dense, test accuracy 97.")
    assert main(["models"]) == 0
    assert "* mnist-dense" in capsys.readouterr().out
    assert main(["activate", "../mnist-cnn"]) == 1
    assert "'../mnist-cnn' is not a model version id" in capsys.readouterr().err
    assert main(["activate", "20990101-000000"]) == 1
    assert "there is no model version '20990101-000000'" in capsys.readouterr().err


def test_evaluate_uses_the_active_model(mnist, runs_dir):
    assert main(["activate", "mnist-dense"]) == 0
    result = run_cli("evaluate", "--json", env_overrides={"RUNS_DIR": str(runs_dir)})
    assert json.loads(result.stdout)["model"].endswith("mnist-dense")


def test_check_says_ok_with_the_model_and_mnist(mnist, shipped_model_dir, capsys):
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    accuracy = read_card(shipped_model_dir)["test"]["accuracy"]
    mnist_path = Path(os.environ["MNIST_PATH"]).resolve()  # as the app names it: symbolic links followed
    assert out == f"ok: model mnist-cnn ({accuracy:.2%}), MNIST from {mnist_path}\n"
    assert "warning" not in err


def test_check_names_a_missing_mnist_file_in_one_line(tmp_path):
    result = run_cli("check", env_overrides={"MNIST_PATH": str(tmp_path / "gone.npz")})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [f"error: MNIST could not be loaded: {tmp_path / 'gone.npz'}: no such file (MNIST_PATH must name Keras's mnist.npz)"]


def test_check_warns_when_a_corrupted_active_model_falls_back(mnist, runs_dir, capsys):
    from mnist_app import store, versions
    from mnist_app.config import Paths
    from mnist_app.model import make_model

    paths = Paths.from_env()
    run_dir = versions.new_run_dir(paths, {"epochs": 1})
    store.write_model_dir(run_dir, make_model("dense"), {"name": "dense", "test": {"accuracy": 0.5}}, {})
    versions.write_run_state(run_dir, "finished")
    versions.activate(paths, run_dir.name)
    (run_dir / store.MODEL_FILE).write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: model mnist-cnn (99.")
    assert err.splitlines()[-1].startswith(f"warning: The active model {run_dir.name} could not be loaded (")
    assert err.splitlines()[-1].endswith("the shipped model mnist-cnn is serving instead.")


def test_check_fails_when_not_even_the_shipped_model_loads(mnist, tmp_path, monkeypatch, capsys):
    from mnist_app import cli, store
    from mnist_app.config import Paths

    broken = Paths(models_dir=tmp_path / "models", runs_dir=tmp_path / "models" / "runs", mnist_path=Paths.from_env().mnist_path)
    broken.default_model_dir.mkdir(parents=True)
    (broken.default_model_dir / store.CARD_FILE).write_text('{"name": "cnn", "test": {"accuracy": 0.99}}')
    (broken.default_model_dir / store.MODEL_FILE).write_bytes(b"garbage")
    monkeypatch.setattr(cli.Paths, "from_env", classmethod(lambda cls: broken))
    assert main(["check"]) == 1
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("error: the shipped model mnist-cnn could not be loaded (")
    assert err.endswith(f"restore {broken.default_model_dir} from the repository (git checkout -- models/)")


def test_check_refuses_a_misspelt_retraining_switch(monkeypatch, capsys):
    monkeypatch.setenv("RETRAINING", "of")
    assert main(["check"]) == 1
    assert capsys.readouterr().err == "error: RETRAINING must be on or off, got 'of'\n"


def test_the_terminal_shows_each_preparation_step_once(capsys):
    from mnist_app.cli import _TerminalProgress
    from mnist_app.progress import Preparation

    show = _TerminalProgress()  # stdout is not a terminal under pytest: one line per step, no counts
    for step in [Preparation("Reading the MNIST digits"), None, Preparation("Drawing 250 training digits from pen strokes", 10, 250),
                 Preparation("Drawing 250 training digits from pen strokes", 250, 250), Preparation("Building the model")]:
        show.preparing(step)
    assert capsys.readouterr().out.splitlines() == [
        "Reading the MNIST digits", "Drawing 250 training digits from pen strokes", "Building the model"]
