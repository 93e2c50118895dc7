"""The real app in a real browser: draw with the mouse, clear, upload a photo, open every page."""

from __future__ import annotations

import numpy as np
import pytest
from browser import draw_digit, metric_value, wait_until_idle

from mnist_app.handwriting.pendigits import PenDigit, write_on_paper

# Each page's URL path, and a text near its end: once it shows, the page has drawn.
PAGES = {
    "draw": ("", "Draw a digit on the black square"),
    "upload": ("upload", "Upload a PNG"),
    "dataset": ("dataset", "The average test image of each digit"),
    "training": ("training", "Make active"),
    "evaluation": ("evaluation", "Look closer at"),
    "inside": ("inside", "Every model on this input"),
    "corrections": ("corrections", "Digits that visitors said the model read wrong"),
}


@pytest.fixture(scope="module")
def writers(test_writers):
    return test_writers


def first_of(writers, label: int) -> PenDigit:
    return next(digit for digit in writers if digit.label == label and len(digit.strokes) == 1)


def test_draw_a_seven_then_a_three_then_clear(page, server_url, writers, screenshots):
    page.goto(server_url)
    page.get_by_text("Draw a digit on the black square").wait_for()
    assert metric_value(page, "Prediction") is None
    draw_digit(page, first_of(writers, 7).strokes)
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
    assert metric_value(page, "Prediction") == "7"
    # The 10 probabilities and "what the model sees" come with it (the first chart loads plotly: ~2 s).
    page.locator('[data-testid="stPlotlyChart"] .main-svg .bars').first.wait_for()
    assert page.locator('[data-testid="stPlotlyChart"] .main-svg .bars path').count() == 10
    page.get_by_text("What the model sees").wait_for()
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.screenshot(path=screenshots / "draw-seven.png", full_page=True)

    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Draw a digit on the black square").wait_for()
    wait_until_idle(page)  # the cleared canvas is a new one: let it mount before drawing on it
    assert metric_value(page, "Prediction") is None

    draw_digit(page, first_of(writers, 3).strokes)
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
    assert metric_value(page, "Prediction") == "3"


def test_a_dash_is_no_digit_and_a_slashed_zero_is_a_zero(page, server_url, writers, screenshots):
    from mnist_app.handwriting.conventions import apply_convention

    page.goto(server_url)
    page.get_by_text("Draw a digit on the black square").wait_for()
    draw_digit(page, (np.array([[0, 100], [400, 110]], np.float32),), height=6)  # a dash, 240 px long
    page.get_by_text("That does not look like a digit").wait_for()
    assert metric_value(page, "Prediction") == "?"
    page.locator('[data-testid="stPlotlyChart"] .main-svg .bars').first.wait_for()  # every bar low
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.screenshot(path=screenshots / "draw-not-a-digit.png", full_page=True)

    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Draw a digit on the black square").wait_for()
    wait_until_idle(page)
    zero = next(d for d in writers if d.label == 0 and len(d.strokes) == 1)
    draw_digit(page, apply_convention("slashed zero", zero.strokes, np.random.default_rng(0)))
    page.locator('[data-testid="stMetric"]', has_text="Prediction").wait_for()
    assert metric_value(page, "Prediction") == "0"


def test_upload_a_photo_of_a_number(page, server_url, writers, tmp_path, screenshots):
    import cv2

    digits = [d for d in writers if d.writer == 3][:5]
    photo, _ = write_on_paper(digits, np.random.default_rng(21))
    path = tmp_path / "number.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    page.goto(f"{server_url}/upload")
    page.locator('input[type="file"]').set_input_files(str(path))
    page.locator('[data-testid="stMetric"]', has_text="Read").wait_for()
    wait_until_idle(page)
    assert metric_value(page, "Read") == "".join(str(d.label) for d in digits)
    page.locator('[data-testid="stImage"]').first.wait_for()
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.screenshot(path=screenshots / "upload.png", full_page=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_opens_without_exception(page, server_url, name, screenshots):
    path, last_text = PAGES[name]
    page.goto(f"{server_url}/{path}")
    page.get_by_text(last_text).first.wait_for()
    wait_until_idle(page)
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.wait_for_timeout(1000)  # let the charts finish their transitions before the screenshot
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=screenshots / f"page-{name}.png", full_page=True)


def fake_camera_video(photo: np.ndarray, path, size: tuple[int, int] = (640, 480)) -> None:
    """Write ``photo`` (H, W, 3) RGB as a short Y4M video, which Chromium plays as its fake camera."""
    import cv2

    width, height = size
    scale = min(width / photo.shape[1], height / photo.shape[0])
    fitted = cv2.resize(photo, (int(photo.shape[1] * scale), int(photo.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), fitted[0, 0], dtype=np.uint8)  # the paper's colour around the photo
    top, left = (height - fitted.shape[0]) // 2, (width - fitted.shape[1]) // 2
    frame[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    planes = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes()  # Y, then U and V at half resolution
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            video.write(b"FRAME\n" + planes)


def test_take_a_camera_photo_of_a_number(playwright_chromium, server_url, writers, tmp_path, screenshots):
    digits = [d for d in writers if d.writer == 5][:3]
    photo, _ = write_on_paper(digits, np.random.default_rng(5))
    video = tmp_path / "camera.y4m"
    fake_camera_video(photo, video)
    browser = playwright_chromium(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server_url}/upload")
    page.get_by_text("Use the camera").click()
    # The button shows before the camera's first frame; a photo taken then is blank. A person waits for
    # the preview, and so does the test.
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stCameraInputWebcamStyledBox] video')]"
                           ".some(video => video.readyState >= 2 && video.videoWidth > 0)")
    page.get_by_role("button", name="Take Photo").click()
    page.locator('[data-testid="stMetric"]', has_text="Read").wait_for()
    wait_until_idle(page)
    assert metric_value(page, "Read") == "".join(str(d.label) for d in digits)
    page.screenshot(path=screenshots / "upload-camera.png", full_page=True)
    context.close()
