import io
import json

import numpy as np
import pytest
from PIL import Image

from bad_inputs import bad_images, bomb_png, png_bytes
from mnist_app.images import MAX_PIXELS, ImageError, read_image


def digit_image(mnist, index=0, scale=8) -> np.ndarray:
    """An MNIST test digit, enlarged, dark on white paper."""
    big = np.kron(mnist.x_test[index], np.ones((scale, scale), np.uint8))
    return 255 - np.pad(big, 40)


@pytest.fixture
def bad_files(tmp_path):
    """The bad-input zoo (bad_inputs.py), as files: name -> (path, what the reader must say, or None for 'reads fine')."""
    paths = {}
    for name, (data, message) in bad_images().items():
        (tmp_path / name).write_bytes(data)
        paths[name] = (tmp_path / name, message)
    return paths


def test_each_bad_file_gives_a_clear_error_or_an_image(bad_files):
    for name, (path, message) in bad_files.items():
        if message is None:
            image = read_image(path)
            assert image.dtype == np.uint8 and image.ndim == 3, name
        else:
            with pytest.raises(ImageError, match=message):
                read_image(path)


def test_sixteen_bit_and_cmyk_and_gif_are_converted(bad_files):
    assert read_image(bad_files["sixteen.png"][0])[0, 0].tolist() == [233, 233, 233]  # 60000 / 65535 * 255
    assert read_image(bad_files["cmyk.jpg"][0]).shape == (80, 80, 3)
    assert read_image(bad_files["animated.gif"][0]).mean() > 250  # the first (white) frame


def test_exif_orientation_is_applied():
    image = Image.new("RGB", (40, 20), (255, 255, 255))
    image.putpixel((0, 0), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", exif=exif)
    assert read_image(buffer.getvalue()).shape == (40, 20, 3)


def test_an_image_just_over_the_limit_is_refused_before_decoding():
    with pytest.raises(ImageError, match=r"is 8000x5001 pixels; at most 40 megapixels are accepted"):
        read_image(bomb_png(8000, 5001))


def test_limits_are_sane():
    assert MAX_PIXELS >= 12_000_000  # a phone photo fits
    with pytest.raises(ImageError, match="no such file"):
        read_image("/nonexistent/photo.png")


def test_transparent_png_keeps_its_alpha():
    rgba = np.zeros((30, 30, 4), np.uint8)
    rgba[5:25, 14:16] = 255
    assert read_image(png_bytes(rgba)).shape == (30, 30, 4)


def test_predict_cli_reads_every_file_and_reports_each(bad_files, mnist, tmp_path, capsys):
    from mnist_app.cli import main

    seven = tmp_path / "seven.png"
    seven.write_bytes(png_bytes(digit_image(mnist, 0)))  # MNIST test image 0 is a 7
    names = ["seven.png", *bad_files]
    paths = [str(seven), *(str(path) for path, _ in bad_files.values())]
    assert main(["predict", "--json", "--single", *paths]) == 1  # some files could not be read
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [record["path"] for record in records] == paths
    by_name = dict(zip(names, records))
    assert by_name["seven.png"]["text"] == "7" and "error" not in by_name["seven.png"]
    assert by_name["seven.png"]["digits"][0]["digit"] == 7 and len(by_name["seven.png"]["digits"][0]["box"]) == 4
    for name, (_, message) in bad_files.items():
        if message is None:
            assert "error" not in by_name[name], name
        else:
            assert message.split(";")[0] in by_name[name]["error"] and by_name[name]["text"] == "", name
    for name in ("blank.png", "tiny.png", "strip.png", "animated.gif", "cmyk.jpg"):
        assert by_name[name]["text"] == "", name


def test_predict_cli_reads_a_number_and_prints_a_table(mnist, tmp_path, capsys):
    from mnist_app.cli import main

    number = np.hstack([digit_image(mnist, index, scale=6) for index in (1, 2, 0)])  # 2, 1, 7
    path = tmp_path / "number.png"
    path.write_bytes(png_bytes(number))
    assert main(["predict", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: 217 ")


def test_predict_json_says_how_sure_and_what_is_no_digit(tmp_path, capsys):
    import cv2

    from mnist_app.cli import main

    dash = np.zeros((280, 280), np.uint8)
    cv2.line(dash, (60, 140), (220, 150), 255, 18, cv2.LINE_AA)
    (tmp_path / "dash.png").write_bytes(png_bytes(dash))
    assert main(["predict", "--json", "--single", str(tmp_path / "dash.png")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == "" and record["digits"] == []  # a dash is no digit
    assert len(record["not_digits"]) == 1 and record["not_digits"][0]["box"][2] > 150
    assert set(record) == {"path", "text", "digits", "not_digits"}


def test_predict_json_gives_each_digit_its_uncertain_flag_and_line(mnist, tmp_path, capsys):
    from mnist_app.cli import main
    from mnist_app.recognize import UNCERTAIN_BELOW

    number = np.hstack([digit_image(mnist, index, scale=6) for index in (1, 2, 0)])  # 2, 1, 7
    (tmp_path / "number.png").write_bytes(png_bytes(number))
    assert main(["predict", "--json", str(tmp_path / "number.png")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == "217"
    for digit in record["digits"]:
        assert digit["uncertain"] == (digit["confidence"] < UNCERTAIN_BELOW) and digit["line"] == 0
