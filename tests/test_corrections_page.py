"""The Corrections page under AppTest: behind the retraining switch and password, the samples with their
filters, accepting, relabelling and deleting, and the export."""

import numpy as np
import pytest

from mnist_app.config import Paths
from mnist_app.corrections import CorrectionStore
from tests.apptest import app


@pytest.fixture
def store():
    return CorrectionStore(Paths.from_env().corrections_file)


def add(store, label: int, predicted: int = 1, version: str = "mnist-cnn") -> int:
    rng = np.random.default_rng(label)
    return store.add(session="s", label=label, predicted=predicted, confidence=0.9, model_version=version, source="canvas",
                     model_input=rng.integers(0, 255, (28, 28), dtype=np.uint8))


def select(test, rows: list[int]):
    """Select table rows as a click on their boxes does (AppTest cannot click a dataframe)."""
    [key] = [key for key in test.session_state if str(key).startswith("corrections_table_")]
    test.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return test


def test_with_a_password_the_review_is_locked(store, monkeypatch):
    monkeypatch.setenv("RETRAIN_PASSWORD", "secret")
    add(store, 7)
    test = app("corrections")
    assert not test.exception and not test.get("dataframe")
    assert test.text_input(key="training_password")  # the same unlock as retraining
    test.text_input(key="training_password").set_value("secret")
    test.button(key="training_unlock").click().run()
    assert len(test.get("dataframe")) == 1


def test_switched_off_nobody_reviews(store, monkeypatch):
    monkeypatch.setenv("RETRAINING", "off")
    add(store, 7)
    test = app("corrections")
    assert not test.get("dataframe") and "switched off" in test.info[0].value


def test_an_empty_database_says_how_corrections_arrive():
    test = app("corrections")
    assert "No corrections yet" in test.info[0].value


def test_the_table_filters_and_accepts(store):
    for label in (3, 3, 5):
        add(store, label)
    test = app("corrections")
    assert test.main.metric[0].value == "3" and test.main.metric[1].value == "0"
    test.selectbox(key="corrections_label").set_value(3).run()
    [table] = test.get("dataframe")
    assert sorted(table.value["label"]) == [3, 3]
    assert test.button(key="corrections_accept").disabled  # nothing selected yet
    select(test, [0, 1]).run()
    test.button(key="corrections_accept").click().run()
    assert store.counts() == {"new": 1, "accepted": 2}
    assert [t.value for t in test.toast] == ["2 accepted: the next retrain learns from them."]  # on the run after


def test_once_the_rows_change_nothing_stays_selected(store):
    # Rows are selected by number: the same numbers, after an action, would be other corrections.
    for label in (1, 2, 3):
        add(store, label)
    test = app("corrections")  # the new ones
    select(test, [0]).run()
    test.button(key="corrections_accept").click().run()
    assert not test.exception and len(test.get("dataframe")[0].value) == 2
    assert test.button(key="corrections_accept").disabled
    select(test, [0, 1]).run()
    test.button(key="corrections_accept").click().run()  # the last new ones: none is left to show
    assert not test.exception and store.counts() == {"new": 0, "accepted": 3}


def test_rows_changed_by_someone_else_before_the_click_change_nothing(store):
    _, second = add(store, 3), add(store, 4)
    test = app("corrections")
    select(test, [1]).run()  # the first correction
    store.delete([second])  # another operator, meanwhile: row 1 is no longer there, row 0 is the first
    test.button(key="corrections_accept").click().run()  # a click on a button that is now disabled
    assert store.counts() == {"new": 1, "accepted": 0} and not test.exception
    assert test.button(key="corrections_accept").disabled  # nothing is selected: the visitor selects again


def test_relabel_and_delete(store):
    first, _ = add(store, 3), add(store, 4)
    test = app("corrections")
    select(test, [1]).run()  # newest first: the second row is the first correction
    test.selectbox(key="corrections_relabel_to").set_value(8)
    test.button(key="corrections_relabel").click().run()
    assert [c.label for c in store.list()] == [4, 8] and [t.value for t in test.toast] == ["1 relabelled as 8."]
    select(test, [0]).run()
    test.button(key="corrections_delete").click().run()
    assert [c.id for c in store.list()] == [first]


def test_the_export_is_keras_mnist_layout(store):
    ids = [add(store, label % 10) for label in range(12)]
    store.accept(ids)
    test = app("corrections")
    [button] = test.get("download_button")
    assert "Export the 12 accepted" in button.proto.label  # the file itself: tests/test_corrections.py
    trained, held_out = store.export_counts()
    assert f"the {trained} trained on" in button.proto.help and f"the {held_out} held out" in button.proto.help


def test_the_export_is_made_only_when_asked_for(store, monkeypatch):
    store.accept([add(store, 3)])

    def too_soon(*args, **kwargs):
        raise AssertionError("the export was made by a run of the page")

    monkeypatch.setattr(CorrectionStore, "export_npz", too_soon)
    test = app("corrections")
    assert not test.exception and len(test.get("download_button")) == 1  # the browser test presses it
