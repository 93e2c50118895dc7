"""`predict --json`: one line of plain JSON per path, in order, whatever each image holds.

A NumPy bool in a reading once stopped a batch at the first drawing that looked like a number, and every
later file got no line. These tests send every kind of reading through the JSON output, and generated
batches of drawings through the whole command.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mnist_app.cli.main import main
from mnist_app.reading import recognize

DIGIT_FIELDS = {"digit": int, "confidence": float, "uncertain": bool, "box": list, "line": int}
MARK_FIELDS = {"box": list, "confidence": float}


@pytest.fixture(scope="module")
def predictor(shipped_model_dir):
    return recognize.load_predictor(shipped_model_dir)


@pytest.fixture
def shipped_predictor(predictor, monkeypatch):
    """predict loads the model once per call; the tests share one loaded copy."""
    monkeypatch.setattr(recognize, "load_predictor", lambda model_dir: predictor)
    return predictor


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def mnist_row(mnist, indices, scale: int = 6, paper: bool = False) -> np.ndarray:
    """MNIST test digits side by side, enlarged: white on black as on the canvas, or dark on paper."""
    row = np.pad(np.hstack([np.kron(mnist.x_test[index], np.ones((scale, scale), np.uint8)) for index in indices]), 30)
    return 255 - row if paper else row


def check_record(record: dict, path: str) -> None:
    """The documented fields, each of its plain JSON type (bool is not taken for int, nor int for float)."""
    assert record["path"] == path
    assert set(record) <= {"path", "text", "digits", "not_digits", "number", "error"}
    assert isinstance(record["text"], str)
    for items, fields in ((record["digits"], DIGIT_FIELDS), (record["not_digits"], MARK_FIELDS)):
        for item in items:
            assert set(item) == set(fields)
            for name, kind in fields.items():
                assert type(item[name]) is kind, (name, item)
            assert len(item["box"]) == 4 and all(type(value) is int for value in item["box"])
    assert type(record.get("number", "")) is str and type(record.get("error", "")) is str


def run_predict(paths: list[str], capsys, *options: str) -> tuple[int, list[dict]]:
    code = main(["predict", "--json", *options, *paths])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(paths)
    records = [json.loads(line) for line in lines]
    for record, path in zip(records, paths):
        check_record(record, path)
    return code, records


def test_every_kind_of_reading_prints_its_line(mnist, shipped_predictor, tmp_path, capsys):
    dash = np.zeros((280, 280), np.uint8)
    cv2.line(dash, (60, 140), (220, 150), 255, 18, cv2.LINE_AA)
    two_lines = np.vstack([mnist_row(mnist, (1, 2), paper=True), mnist_row(mnist, (0, 3), paper=True)])  # 21 / 70
    files = {
        "digit.png": png(mnist_row(mnist, (0,))),  # a 7
        "number-hint.png": png(mnist_row(mnist, (2, 5))),  # 11 in one-digit mode: a 1, flagged, "looks like 11"
        "number-no-digit.png": png(mnist_row(mnist, (1, 2, 0))),  # 217: no digit, "looks like 217"
        "dash.png": png(dash),  # not a digit
        "empty.png": png(np.zeros((280, 280), np.uint8)),
        "two-lines.png": png(two_lines),
        "broken.png": b"\x89PNG\r\n\x1a\n not really",
    }
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    code, records = run_predict(paths, capsys, "--single")
    by_name = {Path(record["path"]).name: record for record in records}
    assert code == 1  # the broken file
    assert by_name["digit.png"]["text"] == "7"
    assert by_name["number-hint.png"]["number"] == "11" and by_name["number-hint.png"]["digits"][0]["uncertain"] is True
    assert by_name["number-no-digit.png"]["number"] == "217" and by_name["number-no-digit.png"]["digits"] == []
    assert by_name["dash.png"]["digits"] == [] and len(by_name["dash.png"]["not_digits"]) == 1
    assert by_name["empty.png"] == {"path": str(tmp_path / "empty.png"), "text": "", "digits": [], "not_digits": []}
    assert "error" in by_name["broken.png"] and by_name["broken.png"]["text"] == ""
    code, records = run_predict([str(tmp_path / "two-lines.png")], capsys)  # number mode: a line of text per line of writing
    assert code == 0 and records[0]["text"] == "21\n70"
    assert [digit["line"] for digit in records[0]["digits"]] == [0, 0, 1, 1]


def test_an_image_that_breaks_reading_gets_an_error_line_and_the_others_their_readings(mnist, shipped_predictor, tmp_path, capsys, monkeypatch):
    real_plan = recognize._plan

    def plan(image, single):
        if image.pixels.shape[1] == 333:
            raise RuntimeError("boom")
        return real_plan(image, single)

    monkeypatch.setattr(recognize, "_plan", plan)
    paths = []
    for name, image in (("a.png", mnist_row(mnist, (0,))), ("bad.png", np.zeros((100, 333), np.uint8)), ("c.png", mnist_row(mnist, (1,)))):
        (tmp_path / name).write_bytes(png(image))
        paths.append(str(tmp_path / name))
    code, records = run_predict(paths, capsys, "--single")
    assert code == 1
    assert [record["text"] for record in records] == ["7", "", "2"]
    assert records[1]["error"] == "could not be read (RuntimeError: boom)"


@st.composite
def drawings(draw) -> dict:
    """What to draw on a canvas or a paper photo: random strokes, MNIST test digits in a row, both, or nothing."""
    width = draw(st.sampled_from([280, 560, 840]))
    strokes = [(draw(st.lists(st.tuples(st.integers(0, width - 1), st.integers(0, 279)), min_size=1, max_size=6)),
                draw(st.integers(1, 40))) for _ in range(draw(st.integers(0, 5)))]
    return {"width": width, "strokes": strokes, "digits": draw(st.lists(st.integers(0, 9999), max_size=4)),
            "scale": draw(st.integers(2, 8)), "place": (draw(st.floats(0, 1)), draw(st.floats(0, 1))), "paper": draw(st.booleans())}


def drawn(recipe: dict, mnist) -> np.ndarray:
    """(280, width) uint8: the recipe's strokes and digits, white on black, or dark on paper."""
    image = np.zeros((280, recipe["width"]), np.uint8)
    for points, thickness in recipe["strokes"]:
        cv2.polylines(image, [np.array(points, np.int32).reshape(-1, 1, 2)], False, 255, thickness, cv2.LINE_AA)
    if recipe["digits"]:
        scale = recipe["scale"]
        row = np.hstack([np.kron(mnist.x_test[index], np.ones((scale, scale), np.uint8)) for index in recipe["digits"]])
        row = row[:, : image.shape[1]]
        top = round(recipe["place"][1] * (image.shape[0] - row.shape[0]))
        left = round(recipe["place"][0] * (image.shape[1] - row.shape[1]))
        image[top : top + row.shape[0], left : left + row.shape[1]] |= row
    return 255 - image if recipe["paper"] else image


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(drawings(), min_size=1, max_size=6), single=st.booleans())
def test_any_batch_of_drawings_gets_one_parseable_line_per_path_in_order(mnist, shipped_predictor, capsys, batch, single):
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, recipe in enumerate(batch):
            path = Path(folder) / f"{number}.png"
            path.write_bytes(png(drawn(recipe, mnist)))
            paths.append(str(path))
        code, records = run_predict(paths, capsys, *(["--single"] if single else []))
    assert code == 0
    for record in records:
        assert "error" not in record
        assert record["text"].replace("\n", "") == "".join(str(digit["digit"]) for digit in record["digits"])
