import io
import json

import numpy as np
import pytest
from at_once import AtOnce, run_in_threads
from bad_inputs import bad_images, bomb_png, png_bytes
from PIL import Image

from mnist_app import threads
from mnist_app.reading import images, pictures
from mnist_app.reading.images import MAX_PIXELS, ImageError, annotate, read_image, read_picture
from mnist_app.reading.pictures import Picture


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


def test_read_picture_refuses_the_same_files_with_the_same_words_and_leaves_small_ones_as_they_are(bad_files):
    for name, (path, message) in bad_files.items():
        if message is None:
            picture = read_picture(path)
            np.testing.assert_array_equal(picture.pixels, read_image(path), err_msg=name)
            assert picture.original_size == picture.pixels.shape[1::-1] and picture.scale == (1.0, 1.0), name
        else:
            with pytest.raises(ImageError, match=message):
                read_picture(path)
    with pytest.raises(ImageError, match=r"is 8000x5001 pixels; at most 40 megapixels are accepted"):
        read_picture(bomb_png(8000, 5001))


def jpeg_bytes(image: Image.Image, orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("orientation, upright", [(1, (4000, 3000)), (3, (4000, 3000)), (6, (3000, 4000)), (8, (3000, 4000))])
def test_a_large_jpeg_is_decoded_at_half_its_size_and_turned_upright(orientation, upright, monkeypatch):
    stored = Image.new("RGB", (4000, 3000), (250, 250, 250))  # as the camera stored it
    stored.paste((20, 20, 20), (1000, 600, 1400, 1000))  # a dark square, 400 pixels wide
    data = jpeg_bytes(stored, orientation)  # 6: "rotate 90 degrees clockwise to display"
    full = read_image(data)
    assert full.shape == (upright[1], upright[0], 3)

    def no_resampling(*args, **kwargs):
        raise AssertionError("the JPEG decoder should have done all the shrinking")

    monkeypatch.setattr(Image.Image, "reduce", no_resampling)
    monkeypatch.setattr(Image.Image, "resize", no_resampling)
    picture = read_picture(data)
    assert picture.pixels.shape == (upright[1] // 2, upright[0] // 2, 3) and picture.original_size == upright
    rows, columns = np.nonzero(full[..., 0] < 128)
    square = (columns.min(), rows.min(), np.ptp(columns) + 1, np.ptp(rows) + 1)  # where it shows, upright
    assert square == {1: (1000, 600, 400, 400), 3: (2600, 2000, 400, 400), 6: (2000, 1000, 400, 400), 8: (600, 2600, 400, 400)}[orientation]
    rows, columns = np.nonzero(picture.pixels[..., 0] < 128)
    np.testing.assert_allclose((columns.min(), rows.min(), np.ptp(columns) + 1, np.ptp(rows) + 1), np.array(square) / 2, atol=1)
    np.testing.assert_allclose(picture.pixels, pictures.shrink(full), atol=40)  # the same picture, only smaller
    assert np.abs(picture.pixels.astype(int) - pictures.shrink(full)).mean() < 1


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16"])
def test_a_large_png_is_shrunk_in_any_mode_as_read_image_reads_it(mode):
    width, height = 4200, 2100  # 8.8 megapixels: a factor of 2
    values = np.full((height, width), 200, np.uint8)
    values[500:900, 1000:1300] = 30
    if mode == "I;16":
        image = Image.fromarray(values.astype(np.uint16) * 257)  # 16 bits per pixel, white 51400
    elif mode == "P":
        image = Image.fromarray(values).convert("P")
    else:
        image = Image.fromarray(values).convert(mode)
    data = png_bytes(np.asarray(image)) if mode != "P" else _saved(image)
    picture = read_picture(data)
    full = read_image(data)
    assert picture.pixels.shape == (1050, 2100, full.shape[2]) and picture.original_size == (width, height)
    assert picture.pixels.dtype == np.uint8
    np.testing.assert_array_equal(picture.pixels, pictures.shrink(full))  # whole blocks of equal pixels


def _saved(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_annotate_draws_a_pictures_boxes_where_they_fall_on_its_pixels():
    picture = Picture(np.full((1500, 2000, 3), 255, np.uint8), (4000, 3000))
    drawn = annotate(picture, [(1000, 600, 400, 300)], ["7"])
    assert drawn.shape == (1500, 2000, 3)
    assert drawn[300 + 75, 500].tolist() == list(images.ACCENT_RGB)  # the left edge, at half the original's x
    assert drawn[300 + 75, 1000].tolist() == [255, 255, 255]  # where the box would be drawn unscaled: nothing


def test_at_most_so_many_large_files_are_decoded_at_once(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(threads, "_workers", ThreadPoolExecutor(max_workers=2))
    counted = AtOnce(images._shrunk)
    monkeypatch.setattr(images, "_shrunk", counted)
    data = png_bytes(np.full((1000, 1500), 255, np.uint8))  # 1.5 megapixels: large, within the budget
    run_in_threads(read_picture, (data,), 6)
    assert counted.most == 2


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
    from mnist_app.cli.main import main

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
    from mnist_app.cli.main import main

    number = np.hstack([digit_image(mnist, index, scale=6) for index in (1, 2, 0)])  # 2, 1, 7
    path = tmp_path / "number.png"
    path.write_bytes(png_bytes(number))
    assert main(["predict", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: 217 ")


def test_predict_json_says_how_sure_and_what_is_no_digit(tmp_path, capsys):
    import cv2

    from mnist_app.cli.main import main

    dash = np.zeros((280, 280), np.uint8)
    cv2.line(dash, (60, 140), (220, 150), 255, 18, cv2.LINE_AA)
    (tmp_path / "dash.png").write_bytes(png_bytes(dash))
    assert main(["predict", "--json", "--single", str(tmp_path / "dash.png")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == "" and record["digits"] == []  # a dash is no digit
    assert len(record["not_digits"]) == 1 and record["not_digits"][0]["box"][2] > 150
    assert set(record) == {"path", "text", "digits", "not_digits"}


def test_predict_json_gives_each_digit_its_uncertain_flag_and_line(mnist, tmp_path, capsys):
    from mnist_app.cli.main import main
    from mnist_app.reading.recognize import UNCERTAIN_BELOW

    number = np.hstack([digit_image(mnist, index, scale=6) for index in (1, 2, 0)])  # 2, 1, 7
    (tmp_path / "number.png").write_bytes(png_bytes(number))
    assert main(["predict", "--json", str(tmp_path / "number.png")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == "217"
    for digit in record["digits"]:
        assert digit["uncertain"] == (digit["confidence"] < UNCERTAIN_BELOW) and digit["line"] == 0


def test_predict_cli_gives_a_large_images_boxes_in_its_own_pixels(mnist, tmp_path, capsys):
    from mnist_app.cli.main import main

    page = np.full((3000, 4200), 255, np.uint8)  # 12.6 megapixels, read at half the size
    seven = np.kron(mnist.x_test[0], np.ones((20, 20), np.uint8))
    page[1200:1760, 2500:3060] = 255 - seven
    rows, columns = np.nonzero(seven > 127)
    (tmp_path / "large.png").write_bytes(png_bytes(page))
    assert main(["predict", "--json", "--single", str(tmp_path / "large.png")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == "7"
    expected = [2500 + columns.min(), 1200 + rows.min(), np.ptp(columns) + 1, np.ptp(rows) + 1]
    np.testing.assert_allclose(record["digits"][0]["box"], expected, atol=20)  # within an MNIST pixel (20 here)
