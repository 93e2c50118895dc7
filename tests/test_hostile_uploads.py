"""Broken and hostile uploads through the Upload page (AppTest): each gets a clear message and no exception,
the page goes on reading photos in the same session, and a file's name is only shown, never used as a path.
(A file over Streamlit's upload limit never reaches the page: tests/e2e/test_browser.py.)"""

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from bad_inputs import bad_images, png_bytes
from streamlit.testing.v1 import AppTest

from mnist_app.handwriting.pendigits import write_on_paper
from ui.navigation import page_file

PROJECT = Path(__file__).resolve().parent.parent
# Names a browser may send (paths, quotes, control characters, other scripts, markdown, great length),
# and how the page shows them: on one line, inside a code span, the middle of a long one left out.
HOSTILE_NAMES = {
    "../../etc/passwd.png": "../../etc/passwd.png",
    "..\\x.png": "..\\x.png",
    "/tmp/written-by-an-upload.png": "/tmp/written-by-an-upload.png",
    'say "cheese" it\'s.png': 'say "cheese" it\'s.png',
    "two\nlines\r\tand a bell\a.png": "two lines  and a bell .png",
    "數字の写真 – é ü ✓ 🙂.png": "數字の写真 – é ü ✓ 🙂.png",
    "back`tick`.png": "back'tick'.png",
    "[a](https://e.com) ![](https://e.com/i.png) $x$ <b>.png": "[a](https://e.com) ![](https://e.com/i.png) $x$ <b>.png",
    "a" * 296 + ".png": "a" * 40 + "…" + "a" * 15 + ".png",
}


@pytest.fixture(scope="module")
def good_photo(training_writers) -> tuple[bytes, str]:
    """A photo of a four-digit number (as tests/test_pages.py makes it), and the number."""
    digits = training_writers[200:204]
    photo, _ = write_on_paper(digits, np.random.default_rng(8))
    return png_bytes(photo), "".join(str(digit.label) for digit in digits)


def upload_page() -> AppTest:
    test = AppTest.from_file(str(PROJECT / "tests" / "app_entry.py"), default_timeout=60)
    test.switch_page(page_file("upload")).run()
    assert not test.exception, [e.message for e in test.exception]
    return test


def send(test: AppTest, name: str, data: bytes) -> AppTest:
    test.get("file_uploader")[0].upload(name, data, "image/png")
    test.run()
    assert not test.exception, (name, [e.message for e in test.exception])
    return test


def reads(test: AppTest, number: str) -> bool:
    return not test.error and [metric.value for metric in test.main.metric] == [number]


def test_each_bad_file_is_explained_and_the_page_reads_a_photo_afterwards(mnist, good_photo):
    test = upload_page()
    for name, (data, message) in bad_images().items():
        send(test, name, data)
        if message is not None:
            assert len(test.error) == 1 and test.error[0].value.startswith(f"Cannot read `{name}`: "), name
            assert message in test.error[0].value, name
        else:  # it is an image: read, with nothing found in it or something, but never an error
            assert not test.error and (test.warning or test.main.metric), name
    assert reads(send(test, "number.png", good_photo[0]), good_photo[1])


def _listing() -> set[str]:
    """Every path in the project (without the virtual environment, caches and test output) and beside it."""
    skip = {".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis", "test-artifacts"}
    found = set()
    for folder, subfolders, files in os.walk(PROJECT):
        subfolders[:] = [name for name in subfolders if name not in skip]
        found.update(os.path.join(folder, name) for name in files + subfolders)
    for around in (PROJECT.parent, Path("/"), Path("/etc"), Path("/tmp"), Path.home()):
        found.update(str(path) for path in around.iterdir() if path.name.endswith(".png") or "upload" in path.name)
    return found


def test_hostile_file_names_are_shown_as_text_and_never_used_as_paths(mnist, good_photo, tmp_path, monkeypatch):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))  # any temporary file this process makes lands here
    test = send(upload_page(), "warm-up.png", good_photo[0])  # the model is loaded and every import done
    before = _listing()
    for name, expected in HOSTILE_NAMES.items():
        send(test, name, good_photo[0])
        assert reads(test, good_photo[1]), name
        [caption] = [caption for image in test.get("image") for caption in image.captions if caption.startswith("`")]
        shown = caption.strip("`")
        assert "`" not in shown and shown.isprintable() and len(shown) <= 60, name
        assert shown == expected, name
        send(test, name, b"not an image")
        assert test.error[0].value.startswith(f"Cannot read {caption}: not an image"), name
    assert _listing() == before
    assert list(private_tmp.iterdir()) == []


def test_a_burst_of_uploads_leaves_the_page_working(mnist, good_photo):
    zoo = [(name, data) for name, (data, _) in bad_images().items()]
    test = upload_page()
    for number in range(50):
        name, data = ("number.png", good_photo[0]) if number % 4 == 0 else zoo[number % len(zoo)]
        send(test, f"{number}-{name}", data)
        if name == "number.png":
            assert reads(test, good_photo[1]), number
    assert reads(send(test, "last.png", good_photo[0]), good_photo[1])
