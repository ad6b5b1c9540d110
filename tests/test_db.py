"""The two databases under the state store run the same SQL the same way (scraper/db.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.db import Database, is_server_address, open_database, postgres_schema, public_address, to_psycopg

SCHEMA = """
CREATE TABLE IF NOT EXISTS t (
    k    TEXT PRIMARY KEY,  -- a key; '?' in a comment is no placeholder
    n    INTEGER NOT NULL DEFAULT 0,
    at   TEXT,
    blob BLOB
);
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    address = str(tmp_path / "s.sqlite") if request.param == "sqlite" else request.getfixturevalue("pg_database")
    database = open_database(address)
    database.create(SCHEMA)
    yield database
    database.close()


def test_placeholders_and_types_are_translated_for_postgresql() -> None:
    assert to_psycopg("SELECT * FROM t WHERE k = ? AND at >= :since AND x::text = 'a?%' LIKE 'x%'") == (
        "SELECT * FROM t WHERE k = %s AND at >= %(since)s AND x::text = 'a?%%' LIKE 'x%%'")
    assert "BIGINT" in postgres_schema("n INTEGER") and "BYTEA" in postgres_schema("b BLOB")
    assert 'COLLATE "C"' in postgres_schema("k TEXT PRIMARY KEY")
    assert is_server_address("postgresql://u@h/db") and not is_server_address("state.sqlite")
    assert public_address("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"


def test_one_dialect_runs_on_both(db: Database) -> None:
    db.executemany("INSERT INTO t (k, n, at, blob) VALUES (?, ?, ?, ?) ON CONFLICT (k) DO NOTHING",
                   [("a", 1, "2026-12-05T09:59:59Z", b"\x00\xff"), ("b", 2, "2026-12-05T10:00:00Z", None),
                    ("a", 9, None, None)])
    db.execute("INSERT INTO t (k, n) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET n = t.n + excluded.n", ("b", 5))
    assert db.execute("SELECT n FROM t WHERE k = ?", ("a",)).fetchone()[0] == 1
    assert db.execute("SELECT n FROM t WHERE k = :key", {"key": "b"}).fetchone()[0] == 7
    assert bytes(db.execute("SELECT blob FROM t WHERE k = 'a'").fetchone()[0]) == b"\x00\xff"
    # ISO 8601 times sort as times (byte order), whatever the server's locale.
    assert [row[0] for row in db.execute("SELECT k FROM t WHERE at >= ? ORDER BY at DESC", ("2026-12-05T10",))] == ["b"]
    assert db.execute("SELECT sum(CASE WHEN n > 3 THEN 1 ELSE 0 END) FROM t").fetchone()[0] == 1
    gone = db.execute("DELETE FROM t WHERE k = ? RETURNING n", ("b",)).fetchone()
    assert gone[0] == 7
    assert db.execute("UPDATE t SET n = n + 1").rowcount == 1


def test_transactions_and_errors(db: Database) -> None:
    db.begin()
    db.execute("INSERT INTO t (k) VALUES (?)", ("x",))
    assert db.in_transaction
    db.rollback()
    assert not db.in_transaction
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    db.execute("INSERT INTO t (k) VALUES (?)", ("y",))
    with pytest.raises(db.errors):
        db.execute("INSERT INTO t (k) VALUES (?)", ("y",))
    db.begin()
    db.execute("INSERT INTO t (k) VALUES (?)", ("z",))
    db.commit()
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 2
