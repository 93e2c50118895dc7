"""The pen-drawn digits through Keras's downloader: checked, cached, overridden by PENDIGITS_PATH. No network:
the archive is a zip made here, served from a file:// address, around a .Z file made by Unix compress."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path

import keras
import pytest

from mnist_app.cli.main import main
from mnist_app.config import Paths, pen_download_path
from mnist_app.handwriting.pendigits import read_pendigits
from mnist_app.training import data
from mnist_app.training.data import PEN_DIGITS, DataError, pen_digits_file

# 60 made-up digits in pendigits-orig.tra's format (3 writers, 88 strokes), compressed by ncompress 5.0's
# `compress -c` (16-bit codes, block mode); `gzip -dc` gives the same bytes.
SAMPLE = Path(__file__).parent / "data" / "pendigits-sample.tra.Z"
SAMPLE_SHA256 = "15dd888c9c45475cdc803e8eb28594c1173793dbecca44965f478d93f43af77c"


@pytest.fixture
def keras_home(tmp_path, monkeypatch) -> Path:
    """An empty Keras cache for this test alone, and no PENDIGITS_PATH (the other tests say "none")."""
    home = tmp_path / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("PENDIGITS_PATH", raising=False)
    return home


@pytest.fixture
def make_source(tmp_path):
    """Factory: a Download served from a local zip holding ``members`` (name -> bytes), checksums right unless given."""

    def make(members: dict[str, bytes] | None = None, **changes) -> data.Download:
        members = {PEN_DIGITS.member: SAMPLE.read_bytes(), "pendigits-orig.names": b"notes"} if members is None else members
        archive = tmp_path / "served" / "pendigits.zip"
        archive.parent.mkdir(exist_ok=True)
        with zipfile.ZipFile(archive, "w") as bundle:
            for name, content in members.items():
                bundle.writestr(name, content)
        fields = {"url": archive.as_uri(), "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
                  "extracted_sha256": SAMPLE_SHA256, **changes}
        return dataclasses.replace(PEN_DIGITS, **fields)

    return make


@pytest.fixture
def fetches(monkeypatch) -> list[str]:
    """The addresses keras.utils.get_file is asked for, while it still does its work."""
    calls: list[str] = []
    real_get_file = keras.utils.get_file

    def counting_get_file(*args, **kwargs):
        calls.append(kwargs["origin"])
        return real_get_file(*args, **kwargs)

    monkeypatch.setattr(keras.utils, "get_file", counting_get_file)
    return calls


def test_without_pendigits_path_the_pen_digits_are_the_download_in_keras_cache(keras_home):
    expected = keras_home.resolve() / "datasets" / "pendigits" / "pendigits-orig.tra"
    assert pen_download_path() == expected
    assert Paths.from_env().pen_path == expected


def test_pendigits_path_overrides_and_none_means_mnist_alone(keras_home, tmp_path, monkeypatch):
    own = tmp_path / "mine" / "pendigits-orig.tra"
    monkeypatch.setenv("PENDIGITS_PATH", str(own))
    assert Paths.from_env().pen_path == own
    monkeypatch.setenv("PENDIGITS_PATH", " None ")
    assert Paths.from_env().pen_path is None


def test_the_real_address_is_uci_zip_with_both_checksums():
    assert PEN_DIGITS.url.startswith("https://archive.ics.uci.edu/static/public/81/")
    assert PEN_DIGITS.member == "pendigits-orig.tra.Z"
    # The .tra checksum is that of the copy the shipped model learned from, when it is here to check.
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "pendigits" / "pendigits-orig.tra"
    if shared.is_file():
        assert hashlib.sha256(shared.read_bytes()).hexdigest() == PEN_DIGITS.extracted_sha256


def test_the_download_is_fetched_checked_decompressed_and_kept(keras_home, make_source, fetches):
    path = pen_digits_file(pen_download_path(), make_source())
    assert path == keras_home.resolve() / "datasets" / "pendigits" / "pendigits-orig.tra"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SAMPLE_SHA256
    digits = read_pendigits(path)
    assert len(digits) == 60 and [digit.label for digit in digits[:10]] == list(range(10))
    assert {digit.writer for digit in digits} == {1, 2, 3} and sum(len(digit.strokes) for digit in digits) == 88
    assert len(fetches) == 1
    assert sorted(item.name for item in path.parent.iterdir()) == ["pendigits-orig.tra", "pendigits.zip"]  # no temporary left


def test_the_cached_copy_is_used_without_fetching_again(keras_home, make_source, fetches):
    source = make_source()
    first = pen_digits_file(pen_download_path(), source)
    Path(source.url.removeprefix("file://")).unlink()  # the address is gone: only the cache can answer
    assert pen_digits_file(pen_download_path(), source) == first
    assert len(fetches) == 1


def test_a_damaged_cached_copy_is_fetched_again(keras_home, make_source, fetches):
    source = make_source()
    path = pen_digits_file(pen_download_path(), source)
    path.write_text(path.read_text()[:1000])  # cut short
    assert hashlib.sha256(pen_digits_file(pen_download_path(), source).read_bytes()).hexdigest() == SAMPLE_SHA256
    assert len(fetches) == 2


def test_an_archive_with_the_wrong_checksum_is_refused_and_deleted(keras_home, make_source):
    source = make_source(sha256="0" * 64)
    with pytest.raises(DataError, match=r"sent a file whose SHA-256 is not 0{64}, so it was deleted; .*PENDIGITS_PATH"):
        pen_digits_file(pen_download_path(), source)
    assert list(pen_download_path().parent.iterdir()) == []


def test_a_decompressed_file_with_the_wrong_checksum_is_refused_and_deleted(keras_home, make_source):
    source = make_source(extracted_sha256="f" * 64)
    with pytest.raises(DataError, match=r"pendigits-orig.tra.Z from file://.* is not the expected pendigits-orig.tra .*deleted"):
        pen_digits_file(pen_download_path(), source)
    assert list(pen_download_path().parent.iterdir()) == []


@pytest.mark.parametrize(
    "members, fault",
    [({"pendigits.tra": b"1,2,3"}, "no readable pendigits-orig.tra.Z"),  # the member is missing
     ({PEN_DIGITS.member: b"plain text, not compressed"}, "no readable pendigits-orig.tra.Z")],
)
def test_an_archive_without_a_readable_member_is_refused(keras_home, make_source, members, fault):
    with pytest.raises(DataError, match=fault):
        pen_digits_file(pen_download_path(), make_source(members))
    assert not pen_download_path().exists()


def test_an_unreachable_address_says_what_to_do(keras_home, make_source, tmp_path):
    source = make_source(url=(tmp_path / "nowhere.zip").as_uri())
    with pytest.raises(DataError, match=r"could not be downloaded from file://.*nowhere.zip .*PENDIGITS_PATH=none to train on MNIST alone"):
        pen_digits_file(pen_download_path(), source)
    assert not pen_download_path().exists()


def test_pendigits_path_file_is_used_as_it_is_and_never_fetched(keras_home, tmp_path, monkeypatch, fetches):
    own = tmp_path / "pendigits-orig.tra"
    own.write_text("not even checked: the operator's own file")
    monkeypatch.setenv("PENDIGITS_PATH", str(own))
    assert pen_digits_file(Paths.from_env().pen_path) == own
    assert fetches == []


def test_a_missing_pendigits_path_file_is_named(keras_home, tmp_path, fetches):
    with pytest.raises(DataError, match=r"nothing.tra: no such file \(PENDIGITS_PATH must name a pendigits-orig.tra"):
        pen_digits_file(tmp_path / "nothing.tra")
    assert fetches == []


def test_cli_pen_alone_downloads_before_training_and_names_a_failure(mnist, keras_home, make_source, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "PEN_DIGITS", make_source(url=(tmp_path / "nowhere.zip").as_uri()))
    assert main(["train", "--pen", "--pen-writers", "1-24"]) == 1
    assert capsys.readouterr().err.startswith("error: the pen-drawn digits could not be downloaded from file://")
    monkeypatch.setenv("PENDIGITS_PATH", "none")
    assert main(["train", "--pen"]) == 1
    assert "--pen alone takes the pen-drawn digits from PENDIGITS_PATH, which is none" in capsys.readouterr().err
