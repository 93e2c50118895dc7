"""The shared database (mnist_app/database.py) on a real PostgreSQL server: URLs shown without their password,
versioned migrations run once however many processes open it at once, and connections that survive a restart."""

from __future__ import annotations

import threading

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from postgres import Cluster

from mnist_app import database

_PARTS = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="@:/?#[]%"), min_size=1, max_size=12)


@given(user=_PARTS, password=_PARTS, host=st.sampled_from(["db", "127.0.0.1", "db.example.org"]),
       port=st.one_of(st.none(), st.integers(1, 65535)), name=_PARTS)
def test_a_url_is_described_without_its_password(user, password, host, port, name):
    url = f"postgresql://{user}:{password}@{host}{'' if port is None else f':{port}'}/{name}"
    shown = database.described(url)
    assert shown == f"postgresql://{user}@{host}{'' if port is None else f':{port}'}/{name}"
    assert database.described(shown) == shown  # nothing to hide: unchanged


def test_a_recorded_url_gets_database_urls_password_back(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://mnist:s3cret@db:5432/app")
    assert database.resolved("postgresql://mnist@db:5432/app") == "postgresql://mnist:s3cret@db:5432/app"
    assert database.resolved("postgresql://mnist@elsewhere/app") == "postgresql://mnist@elsewhere/app"  # another database: as it is


@pytest.mark.parametrize("location, url", [("postgresql://u@h/d", True), ("postgres://h/d", True), ("corrections.sqlite", False),
                                           ("postgresql.sqlite", False), ("/runs/postgresql://x", False)])
def test_only_postgresql_urls_are_urls(location, url):
    assert database.is_url(location) == url


def test_the_active_choice_is_one_row(database_url):
    assert database.read_active(database_url) is None
    database.write_active(database_url, "run-1", "2026-12-07T03:00:00+00:00")
    database.write_active(database_url, "run-2", "2026-12-07T03:01:00+00:00")
    assert database.read_active(database_url) == "run-2"
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM active_model").fetchone() == (1,)


def test_many_processes_opening_a_new_database_at_once_migrate_it_once(database_url):
    steps = {1: "CREATE TABLE counted (n INTEGER)", 2: "INSERT INTO counted VALUES (1)", 3: "INSERT INTO counted VALUES (2)"}
    failures, go = [], threading.Barrier(6)

    def open_it():
        try:
            with database.connect(database_url) as conn:
                go.wait()
                database.migrate(conn, "counting", steps)
        except Exception as error:  # noqa: BLE001  (any failure is the test's finding)
            failures.append(repr(error))

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT n FROM counted ORDER BY n").fetchall() == [(1,), (2,)]  # each step once
        assert conn.execute("SELECT version FROM schema_versions WHERE component = 'counting'").fetchone() == (3,)


def test_a_newer_schema_is_refused_and_left_alone(database_url):
    with database.connect(database_url) as conn:
        database.migrate(conn, "future", {1: "CREATE TABLE future_things (n INTEGER)"})
        conn.execute("UPDATE schema_versions SET version = 5 WHERE component = 'future'")
        with pytest.raises(database.DatabaseError, match="the future tables of the database are at version 5, newer than this app's 1"):
            database.migrate(conn, "future", {1: "CREATE TABLE future_things (n INTEGER)"})


def test_a_refused_request_is_one_line_naming_the_database(database_url):
    with pytest.raises(database.DatabaseError, match=r"^the database postgresql://mnist@127\.0\.0\.1:\d+/test_\d+ refused a request \(.*no_such_table") as error:
        with database.connection(database_url) as conn:
            conn.execute("SELECT * FROM no_such_table")
    assert "\n" not in str(error.value)
    assert database.read_active(database_url) is None  # the broken connection was not kept for the next use


def test_connections_kept_between_uses_survive_a_restart():
    cluster = Cluster().start()
    try:
        url = cluster.new_database()
        database.write_active(url, "before", "then")
        cluster.stop()
        with pytest.raises(database.DatabaseError, match="cannot be reached"):
            database.read_active(url)
        cluster.start()
        assert database.read_active(url) == "before"  # the kept connections died with the server: new ones are made
    finally:
        cluster.remove()
