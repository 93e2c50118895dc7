"""What only the real server shows: its XSRF check on uploads, and its upload size limit in the browser.

Streamlit 1.67 takes an upload as PUT /_stcore/upload_file/<session>/<file> and answers 403 when the
X-Xsrftoken header is missing or does not match the _streamlit_xsrf cookie. With enableXsrfProtection
off, the same requests from outside the page are accepted (204): the first test then fails.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from browser import metric_value, wait_until_idle

XSRF_COOKIE = "_streamlit_xsrf"  # streamlit.web.server.starlette.starlette_server_config.XSRF_COOKIE_NAME
BOUNDARY = "----an-upload-from-outside-the-page"


def _put(url: str, photo: bytes, cookie: str | None = None, token: str | None = None) -> int:
    """The status of an upload of ``photo`` (one file in a multipart form, as the page sends it) with only
    the headers given: no browser adds any."""
    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"number.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + photo + f"\r\n--{BOUNDARY}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **({"Cookie": cookie} if cookie else {}),
               **({"X-Xsrftoken": token} if token else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="PUT"), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_upload_without_the_xsrf_token_is_refused(page, server_url, number_photo):
    page.goto(f"{server_url}/upload")
    page.get_by_text("Upload a PNG").wait_for()
    # The browser's own upload, to learn a real session's upload address, its XSRF token and cookie.
    with page.expect_request(lambda request: "/_stcore/upload_file/" in request.url and request.method == "PUT") as sent:
        page.locator('input[type="file"]').set_input_files(number_photo[0])
    request = sent.value
    assert request.response().status in (200, 204)
    url, token = request.url, request.headers.get("x-xsrftoken")
    cookie = next((f"{c['name']}={c['value']}" for c in page.context.cookies() if c["name"] == XSRF_COOKIE), None)
    photo = Path(number_photo[0]).read_bytes()

    assert _put(url, photo) == 403  # a script elsewhere: neither cookie nor token
    assert _put(url, photo, cookie=cookie) == 403  # a cross-site form: the cookie rides along, the token cannot
    assert _put(url, photo, token=token) == 403  # a stolen token without its cookie
    assert token and cookie and _put(url, photo, cookie=cookie, token=token) in (200, 204)  # as the page sends it


def test_a_file_over_the_upload_limit_is_refused_with_a_reason_and_the_next_file_replaces_it(page, server_url, number_photo, tmp_path, screenshots):
    big = tmp_path / "big.png"
    big.write_bytes(np.random.default_rng(0).integers(0, 256, 11 * 2**20, dtype=np.uint8).tobytes())  # 11 MiB
    page.goto(f"{server_url}/upload")
    page.get_by_text("Upload a PNG").wait_for()
    page.locator('input[type="file"]').set_input_files(str(big))
    refusal = page.locator('[data-testid="stAlertContentError"]', has_text="big.png")
    refusal.wait_for()
    wait_until_idle(page)
    assert "big.png is 11.0 MB, more than this server takes (10 MB)" in refusal.inner_text()  # maxUploadSize is 10
    page.screenshot(path=screenshots / "upload-too-large.png")
    # The page says it in words, with a fresh chooser: no red chip of the refused file is left beside it.
    assert page.locator('[data-testid="stFileChip"]').count() == 0
    assert not page.get_by_text("Upload a PNG").is_visible()  # no invitation that ignores what just happened
    assert page.locator('[data-testid="stException"]').count() == 0

    page.locator('input[type="file"]').set_input_files(number_photo[0])
    page.locator('[data-testid="stMetric"]', has_text="Read").wait_for()
    wait_until_idle(page)
    assert metric_value(page, "Read") == number_photo[1]
    assert page.locator('[data-testid="stFileChip"]').count() == 1  # the new file alone, with no error
    assert page.locator('[data-testid="stFileChipIconError"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0  # the refusal was said once
    assert page.locator('[data-testid="stException"]').count() == 0
