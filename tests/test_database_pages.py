"""Every page with the shared database (DATABASE_URL) under AppTest: each works through it, says plainly what
cannot work while it is down (never a traceback), and is back to normal once the database is back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from postgres import Cluster

from mnist_app.corrections import CorrectionStore
from tests.apptest import app
from ui.navigation import PAGES

PAGE_NAMES = [Path(path).stem for path, _, _ in PAGES]


@pytest.fixture(scope="module")
def cluster():
    """A cluster of this module's own, which its tests stop and start."""
    reason = Cluster.missing()
    if reason:
        pytest.skip(reason)
    cluster = Cluster().start()
    yield cluster
    cluster.remove()


@pytest.fixture
def shared(cluster, monkeypatch, mnist) -> str:
    url = cluster.new_database()
    monkeypatch.setenv("DATABASE_URL", url)
    CorrectionStore(url).add(session="s", label=4, predicted=9, confidence=0.8, model_version="mnist-cnn", source="canvas",
                             model_input=np.zeros((28, 28), np.uint8))
    return url


def _messages(test) -> list[str]:
    return [element.value for element in [*test.warning, *test.error]]


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_a_page_says_plainly_while_the_database_is_down_and_works_once_it_is_back(cluster, shared, page):
    assert not any("database" in message for message in _messages(app(page)))  # app() fails on any exception
    cluster.stop()
    try:
        down = app(page)
        assert any("cannot be reached" in message and "postgresql://" in message for message in _messages(down)), _messages(down)
    finally:
        cluster.start()
    assert not any("database" in message for message in _messages(app(page)))


def test_the_corrections_page_lists_what_the_database_holds(shared):
    test = app("corrections")
    [table] = test.dataframe
    assert len(table.value) == 1
