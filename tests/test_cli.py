import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_app.cli.main import main
from mnist_app.models.store import read_card

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


def test_train_with_corrections_needs_an_existing_database(mnist, tmp_path, runs_dir, capsys):
    assert main(["train", "--corrections", str(tmp_path / "none.sqlite")]) == 1
    assert capsys.readouterr().err == (f"error: {tmp_path / 'none.sqlite'}: no such corrections database "
                                       "(--corrections takes the file the app keeps them in)\n")
    assert main(["train", "--corrections"]) == 1  # alone: the runs folder's database, not there either
    assert f"{runs_dir / 'corrections.sqlite'}: no such corrections database" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists() and not (runs_dir / "corrections.sqlite").exists()


def test_pen_test_writers_are_refused(mnist, tmp_path, capsys):
    held_out = tmp_path / "pendigits-orig.tes"
    held_out.write_text("")
    assert main(["train", "--pen", str(held_out)]) == 1
    assert "pen_path must not be the .tes file" in capsys.readouterr().err


def test_evaluate_missing_model_dir(tmp_path, capsys):
    assert main(["evaluate", "--model", str(tmp_path / "nothing")]) == 1
    assert "nothing: no such model directory" in capsys.readouterr().err


@pytest.mark.slow  # a real model over all 10,000 MNIST test images, in a process of its own
def test_evaluate_json_on_the_shipped_model(mnist, shipped_model_dir):
    result = run_cli("evaluate", "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    # 99.71%: the ensemble of three networks that also read writing conventions and say "not a digit" (docs/figures.md).
    assert summary["accuracy"] >= 0.997 and summary["count"] == 10000
    assert summary["loss"] < 0.05
    assert summary["accuracy"] == pytest.approx(read_card(shipped_model_dir)["test"]["accuracy"])


def test_evaluate_table(mnist, shipped_model_dir, capsys):
    assert main(["evaluate"]) == 0
    text = capsys.readouterr().out
    assert "accuracy 0.99" in text and "precision" in text and len(text.splitlines()) == 12


@pytest.mark.slow  # the CLI starts a real training worker, which trains on real MNIST
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


@pytest.mark.slow  # a real model over all 10,000 MNIST test images, in a process of its own
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
    from mnist_app.config import Paths
    from mnist_app.models import store, versions
    from mnist_app.models.model import make_model

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
    from mnist_app.config import Paths
    from mnist_app.models import store

    broken = Paths(models_dir=tmp_path / "models", runs_dir=tmp_path / "models" / "runs", mnist_path=Paths.from_env().mnist_path)
    broken.default_model_dir.mkdir(parents=True)
    (broken.default_model_dir / store.CARD_FILE).write_text('{"name": "cnn", "test": {"accuracy": 0.99}}')
    (broken.default_model_dir / store.MODEL_FILE).write_bytes(b"garbage")
    monkeypatch.setattr(Paths, "from_env", classmethod(lambda cls: broken))
    assert main(["check"]) == 1
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("error: the shipped model mnist-cnn could not be loaded (")
    assert err.endswith(f"restore {broken.default_model_dir} from the repository (git checkout -- models/)")


def test_check_refuses_a_misspelt_retraining_switch(monkeypatch, capsys):
    monkeypatch.setenv("RETRAINING", "of")
    assert main(["check"]) == 1
    assert capsys.readouterr().err == "error: RETRAINING must be on or off, got 'of'\n"


def test_the_terminal_shows_each_preparation_step_once(capsys):
    from mnist_app.cli.train import _TerminalProgress
    from mnist_app.training.progress import Preparation

    show = _TerminalProgress()  # stdout is not a terminal under pytest: one line per step, no counts
    for step in [Preparation("Reading the MNIST digits"), None, Preparation("Drawing 250 training digits from pen strokes", 10, 250),
                 Preparation("Drawing 250 training digits from pen strokes", 250, 250), Preparation("Building the model")]:
        show.preparing(step)
    assert capsys.readouterr().out.splitlines() == [
        "Reading the MNIST digits", "Drawing 250 training digits from pen strokes", "Building the model"]


# --- corrections list|export|accept|delete|relabel -------------------------------------------------------


@pytest.fixture
def corrections_db(runs_dir, monkeypatch):
    """The default corrections database (in the runs folder) with six corrections: labels 0-5, read as 7
    (the one labelled 2 as no digit), model versions v1 and v2 in turn; returns the store and the images."""
    import numpy as np

    from mnist_app.corrections import CorrectionStore

    monkeypatch.delenv("CORRECTIONS_PATH", raising=False)
    store = CorrectionStore(runs_dir / "corrections.sqlite")
    rng = np.random.default_rng(0)
    images = {}
    for label in range(6):
        image = rng.integers(0, 256, (28, 28), dtype=np.uint8)
        images[store.add(session="s", label=label, predicted=-1 if label == 2 else 7, confidence=0.43,
                         model_version=f"v{label % 2 + 1}", source="photo", model_input=image)] = image
    return store, images


def test_corrections_list_is_a_table_newest_first_with_counts(corrections_db, capsys):
    import time

    from mnist_app.corrections import is_held_out

    store, images = corrections_db
    store.accept([1, 2])
    assert main(["corrections", "list"]) == 0
    header, *rows, summary = capsys.readouterr().out.splitlines()
    assert header.split() == ["id", "state", "label", "read", "as", "confidence", "model", "version", "source", "created", "held", "out"]
    assert [row.split()[0] for row in rows] == ["6", "5", "4", "3", "2", "1"]
    assert rows[3].split()[:7] == ["3", "new", "2", "none", "43.0%", "v1", "photo"]
    assert rows[4].split()[:5] == ["2", "accepted", "1", "7", "43.0%"]
    marked = [int(row.split()[0]) for row in rows if row.endswith("  yes")]
    assert marked == [i for i in range(6, 0, -1) if is_held_out(i)] and marked  # ids 1-6 hold at least one
    newest = store.list()[0]
    assert time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest.created)) in rows[0]  # local time
    assert summary == f"6 shown; 4 new and 2 accepted in {store.location}"


@pytest.mark.parametrize("args, ids", [(["--state", "accepted"], ["2", "1"]), (["--label", "4"], ["5"]),
                                       (["--version", "v2"], ["6", "4", "2"]), (["--limit", "2"], ["6", "5"]),
                                       (["--state", "new", "--version", "v1", "--limit", "1"], ["5"])])
def test_corrections_list_filters(corrections_db, capsys, args, ids):
    corrections_db[0].accept([1, 2])
    assert main(["corrections", "list", *args]) == 0
    _, *rows, summary = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in rows] == ids
    assert summary.startswith(f"{len(ids)} shown; 4 new and 2 accepted")


def test_corrections_list_without_a_database_creates_none(runs_dir, monkeypatch, capsys):
    monkeypatch.delenv("CORRECTIONS_PATH", raising=False)
    assert main(["corrections", "list"]) == 0
    assert capsys.readouterr().out == f"no corrections stored yet ({runs_dir / 'corrections.sqlite'} does not exist)\n"
    assert not (runs_dir / "corrections.sqlite").exists()


def test_corrections_db_option_and_environment_name_the_file(corrections_db, tmp_path, monkeypatch, capsys):
    store, _ = corrections_db
    moved = tmp_path / "elsewhere.sqlite"
    store.location.rename(moved)
    assert main(["corrections", "list", "--db", str(moved)]) == 0
    assert capsys.readouterr().out.endswith(f"6 shown; 6 new and 0 accepted in {moved}\n")
    monkeypatch.setenv("CORRECTIONS_PATH", str(moved))
    assert main(["corrections", "accept", "3"]) == 0
    assert capsys.readouterr().out == "accepted 1 correction\n"
    assert main(["corrections", "list", "--state", "accepted"]) == 0
    assert capsys.readouterr().out.endswith(f"1 shown; 5 new and 1 accepted in {moved}\n")


def test_corrections_accept_relabel_delete(corrections_db, capsys):
    store, _ = corrections_db
    assert main(["corrections", "accept", "1", "2", "2"]) == 0
    assert capsys.readouterr().out == "accepted 2 corrections\n"
    assert main(["corrections", "relabel", "9", "1", "3"]) == 0
    assert capsys.readouterr().out == "relabelled 2 corrections as 9\n"
    assert main(["corrections", "delete", "6"]) == 0
    assert capsys.readouterr().out == "deleted 1 correction\n"
    assert {c.id: (c.state, c.label) for c in store.list()} == {
        1: ("accepted", 9), 2: ("accepted", 1), 3: ("new", 9), 4: ("new", 3), 5: ("new", 4)}


@pytest.mark.parametrize("action", [["accept"], ["delete"], ["relabel", "0"]])
def test_corrections_an_id_that_is_not_there_is_named_and_the_rest_done(corrections_db, capsys, action):
    store, _ = corrections_db
    assert main(["corrections", *action, "4", "99", "98"]) == 1
    out, err = capsys.readouterr()
    assert out.endswith(" 1 correction\n" if action[0] != "relabel" else " 1 correction as 0\n")
    assert err == "error: no correction with id 99, 98\n"
    four = {c.id: c for c in store.list()}.get(4)
    if action[0] == "delete":
        assert four is None
    else:
        assert (four.state, four.label) == (("accepted", 3) if action[0] == "accept" else ("new", 0))


def test_corrections_export_writes_keras_layout(corrections_db, tmp_path, capsys):
    import numpy as np

    from mnist_app.corrections import is_held_out
    from mnist_app.training.data import load_mnist

    store, images = corrections_db
    store.accept(images)
    out = tmp_path / "accepted.npz"
    assert main(["corrections", "export", str(out)]) == 0
    held_out = [i for i in sorted(images) if is_held_out(i)]
    trained = [i for i in sorted(images) if not is_held_out(i)]
    assert held_out and trained  # ids 1-6 give both parts
    assert capsys.readouterr().out == f"{out}: {len(trained)} accepted corrections to train on (x_train) and {len(held_out)} held out (x_test)\n"
    exported = load_mnist(out)
    np.testing.assert_array_equal(exported.x_train, np.stack([images[i] for i in trained]))
    np.testing.assert_array_equal(exported.y_test, [i - 1 for i in held_out])  # labels 0-5 in id order
    assert main(["corrections", "export", str(tmp_path / "new.npz"), "--state", "new"]) == 0
    assert capsys.readouterr().out.endswith(": 0 new corrections to train on (x_train) and 0 held out (x_test)\n")


def test_corrections_export_to_an_unwritable_place_is_one_line(corrections_db, tmp_path, capsys):
    assert main(["corrections", "export", str(tmp_path / "no" / "such" / "dir.npz")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'no' / 'such' / 'dir.npz'}: cannot be written (No such file or directory)\n"
    assert main(["corrections", "export", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path}: cannot be written (Is a directory)\n"


@pytest.mark.parametrize(
    "args, message",
    [(["corrections"], "required: ACTION"), (["corrections", "purge"], "invalid choice: 'purge'"),
     (["corrections", "relabel", "12", "1"], "argument DIGIT: '12' is not a digit 0-9"),
     (["corrections", "relabel", "x", "1"], "argument DIGIT: 'x' is not a digit 0-9"),
     (["corrections", "relabel", "3"], "required: ID"), (["corrections", "accept"], "required: ID"),
     (["corrections", "accept", "one"], "argument ID: 'one' is not a whole number"),
     (["corrections", "delete", "0"], "argument ID: '0' must be at least 1"),
     (["corrections", "list", "--state", "old"], "invalid choice: 'old'"),
     (["corrections", "list", "--label", "10"], "argument --label: '10' is not a digit 0-9"),
     (["corrections", "list", "--limit", "0"], "argument --limit: '0' must be at least 1"),
     (["corrections", "export"], "required: OUT.npz")],
)
def test_corrections_wrong_arguments_exit_2_with_a_reason(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("args", [["list"], ["export", "OUT"], ["accept", "1"], ["delete", "1"], ["relabel", "1", "1"]])
def test_corrections_an_unusable_database_is_one_line(tmp_path, capsys, args):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    args = [str(tmp_path / "out.npz") if arg == "OUT" else arg for arg in args]
    assert main(["corrections", *args, "--db", str(junk)]) == 1
    assert capsys.readouterr().err == "error: the corrections database junk.sqlite cannot be used (file is not a database)\n"
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.parametrize("args", [["export", "OUT"], ["accept", "1"], ["delete", "1"], ["relabel", "1", "1"]])
def test_corrections_a_missing_database_is_refused_not_created(tmp_path, capsys, args):
    missing = tmp_path / "typo.sqlite"
    args = [str(tmp_path / "out.npz") if arg == "OUT" else arg for arg in args]
    assert main(["corrections", *args, "--db", str(missing)]) == 1
    assert capsys.readouterr().err == f"error: {missing}: no such corrections database (none stored yet, or --db / CORRECTIONS_PATH names another file)\n"
    assert not missing.exists() and not (tmp_path / "out.npz").exists()


def test_corrections_errors_are_no_traceback_in_a_real_process(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"garbage" * 1000)
    result = run_cli("corrections", "list", "--db", str(junk))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["error: the corrections database junk.sqlite cannot be used (file is not a database)"]


def test_uji_option_checks_its_file_and_keeps_only_training_writers(mnist, tmp_path, capsys):
    from mnist_app.cli.train import _uji_file
    from mnist_app.config import UJI_TRAINING_WRITERS
    from tests.conftest import UJIPEN

    assert main(["train", "--uji", str(tmp_path / "uji.txt")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'uji.txt'}: no such file\n"
    (tmp_path / "broken.txt").write_text("WORD 7 trn_UJI_W01-01\n  NUMSTROKES 1\n  POINTS 2 # 5 5\n")
    assert main(["train", "--uji", str(tmp_path / "broken.txt")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'broken.txt'}, line 3: POINTS says 2 points but the line holds 1\n"
    assert main(["train", "--uji-writers", "1-9"]) == 1
    assert "name the file with --uji" in capsys.readouterr().err
    if not UJIPEN.is_file():
        pytest.skip(f"{UJIPEN} not found")
    assert _uji_file(str(UJIPEN), (1, 2, 3, 4, 5, 6, 7, 8, 9, *range(17, 54))) == (str(UJIPEN), UJI_TRAINING_WRITERS)
    with pytest.raises(ValueError, match="names none of the file's training writers"):
        _uji_file(str(UJIPEN), (12, 13))  # test writers only


# --- with the shared database (DATABASE_URL) ---------------------------------------------------------------


@pytest.mark.parametrize("args", [["models"], ["activate", "mnist-dense"], ["corrections", "list"], ["corrections", "accept", "1"]])
def test_a_shared_database_that_cannot_be_reached_is_one_line(monkeypatch, capsys, args):
    from postgres import free_port

    monkeypatch.setenv("DATABASE_URL", f"postgresql://mnist:secret@127.0.0.1:{free_port()}/gone")
    code = main(args)
    out, err = capsys.readouterr()
    if args == ["models"]:  # the listing goes on with the shipped model, and warns
        assert code == 0 and err.startswith("warning: The database postgresql://mnist@127.0.0.1:") and "mnist-cnn keeps serving" in err
    else:
        assert code == 1
        assert err.startswith("error: the database postgresql://mnist@127.0.0.1:") and err.endswith("/gone cannot be reached (Connection refused)\n")
    assert "secret" not in out + err


def test_check_refuses_a_shared_database_that_cannot_be_reached(mnist):
    from postgres import free_port

    port = free_port()
    result = run_cli("check", env_overrides={"DATABASE_URL": f"postgresql://mnist@127.0.0.1:{port}/gone"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: the database postgresql://mnist@127.0.0.1:{port}/gone cannot be reached (Connection refused)"]


def test_the_cli_works_on_the_shared_database(database_url, monkeypatch, capsys, mnist):
    import numpy as np

    from mnist_app.corrections import CorrectionStore

    monkeypatch.setenv("DATABASE_URL", database_url)
    store = CorrectionStore(database_url)
    first = store.add(session="s", label=4, predicted=9, confidence=0.8, model_version="mnist-cnn", source="canvas", model_input=np.zeros((28, 28), np.uint8))
    assert main(["corrections", "accept", str(first)]) == 0 and store.counts() == {"new": 0, "accepted": 1}
    assert main(["corrections", "list"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"1 shown; 0 new and 1 accepted in {database_url}")
    assert main(["activate", "mnist-dense"]) == 0 and main(["models"]) == 0
    assert "* mnist-dense" in capsys.readouterr().out
    result = run_cli("check", env_overrides={"DATABASE_URL": database_url})
    assert result.returncode == 0 and result.stdout.strip().endswith(f"shared database {database_url}"), result.stderr
