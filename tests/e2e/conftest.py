"""Fixtures for the browser tests: the running app, and Debian's Chromium driven by Playwright.

Browser tests skip with a reason when Chromium or Playwright is missing, except under CI (CI=true),
where `make test` installs them and the tests must run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, PROJECT, running_app

SCREENSHOTS = PROJECT / "test-artifacts" / "screenshots"
E2E = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects: `pytest -m "not browser"` leaves every test here out
def pytest_collection_modifyitems(config, items):
    """Every test here drives a real Chromium: each is marked browser (pytest.ini), with no marker to forget."""
    for item in items:
        if E2E in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI the browser tests must run (make test installs Chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server_url():
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def playwright_chromium():
    """A function that launches Debian's Chromium with extra arguments; every browser closes at the end."""
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-test.txt)")
    with sync_playwright() as playwright:
        launched = []

        def launch(extra_args: list[str] = ()):
            launched.append(playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True))
            return launched[-1]

        yield launch
        for browser in launched:
            browser.close()


@pytest.fixture(scope="session")
def browser(playwright_chromium):
    return playwright_chromium()


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)  # generous: CI machines are slow, and the first run imports TensorFlow
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def number_photo(test_writers, tmp_path_factory) -> tuple[str, str]:
    """A photo of a three-digit number, as a JPEG file, and the number."""
    import cv2
    import numpy as np

    from mnist_app.handwriting.pendigits import write_on_paper

    digits = [d for d in test_writers if d.writer == 7][:3]
    photo, _ = write_on_paper(digits, np.random.default_rng(13))
    path = tmp_path_factory.mktemp("photos") / "number.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    return str(path), "".join(str(d.label) for d in digits)
