"""The SQL database under the state store: SQLite (a file, the embedded default) or PostgreSQL (a server many
processes share), chosen by the store's address.

The state store writes one SQL dialect, the part SQLite and PostgreSQL share: `?` placeholders (and `:name` ones),
`INSERT ... ON CONFLICT (...) DO NOTHING / DO UPDATE`, `RETURNING`, partial and expression indexes, `coalesce`,
`CASE`. This module runs it on either: for PostgreSQL the placeholders become psycopg's (`%s`, `%(name)s`) and the
schema's types theirs (64-bit integers, `bytea`, text compared byte by byte as SQLite does, so that ISO 8601
times sort as times). Transactions are explicit (`begin`, `commit`, `rollback`); outside them every statement
commits by itself.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import psycopg

Params = Sequence[Any] | Mapping[str, Any]
log = logging.getLogger(__name__)

POSTGRES_SCHEMES = ("postgresql", "postgres")
# What either driver raises: a state store catches these and says what it could not do.
DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)


class Rows(Protocol):
    """What a statement gives back: its rows (with `fetchone`, `fetchall` or by iteration) and how many rows it
    changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"
    errors: tuple[type[Exception], ...]  # what its driver raises
    where: str  # for messages: a file's path, or a server's address without credentials

    def execute(self, sql: str, params: Params = ()) -> Rows: ...

    def executemany(self, sql: str, rows: Iterable[Params]) -> int: ...

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    @property
    def in_transaction(self) -> bool: ...

    def create(self, schema: str) -> None: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


def is_server_address(address: str | Path) -> bool:
    """Whether a state store's address names a PostgreSQL server rather than a SQLite file."""
    return isinstance(address, str) and urlsplit(address).scheme in POSTGRES_SCHEMES


def public_address(url: str) -> str:
    """A server address fit for logs and messages: no password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


class SqliteDatabase:
    """A SQLite file in WAL mode, written by one process (its state store holds a lock for that)."""

    dialect = "sqlite"
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)

    def execute(self, sql: str, params: Params = ()) -> Rows:
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        return self._db.executemany(sql, rows).rowcount

    def begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        self._db.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def create(self, schema: str) -> None:
        self._db.executescript(schema)

    def ping(self) -> None:
        self._db.execute("SELECT 1")

    def close(self) -> None:
        self._db.close()


# `?` and `:name` placeholders outside quoted strings (a `::` cast is no placeholder).
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|(?<!:):([A-Za-z_]\w*)|\?|%")
_TYPES = ((re.compile(r"\bINTEGER\b"), "BIGINT"), (re.compile(r"\bBLOB\b"), "BYTEA"),
          (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'), (re.compile(r"\)\s*WITHOUT ROWID"), ")"))


def to_psycopg(sql: str) -> str:
    """A statement with SQLite's placeholders written with psycopg's (`?` → `%s`, `:name` → `%(name)s`; a
    literal `%` doubled)."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith("'"):
            return text.replace("%", "%%")
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return f"%({match.group(1)})s"

    return _PLACEHOLDER.sub(replace, sql)


def postgres_schema(schema: str) -> str:
    """A schema written for SQLite with PostgreSQL's types: integers of 64 bits (SQLite's are), `bytea`, and
    text compared byte by byte (SQLite's BINARY collation), whatever the server's locale."""
    for pattern, replacement in _TYPES:
        schema = pattern.sub(replacement, schema)
    return schema


class PostgresDatabase:
    """A PostgreSQL server, shared by any number of processes (psycopg 3, one connection, autocommit outside
    `begin`/`commit`).

    A connection the server dropped (a restart, a failover, an idle timeout) is replaced at the next statement
    outside a transaction: the statement that met the loss fails, the ones after it run on a new connection. Session
    locks taken with `hold_lock` are taken again on it; when another process took one meanwhile, the database is
    `lost` for good: every statement fails, saying so, for its owner to close it and start again."""

    dialect = "postgresql"

    def __init__(self, url: str, *, application: str = "newsnorm") -> None:
        self.where = public_address(url)
        self.errors: tuple[type[Exception], ...] = (psycopg.Error,)
        self._url, self._application = url, application
        self._db = self._connect()
        self._sql: dict[str, str] = {}
        self._locks: list[int] = []  # session locks held (hold_lock), taken again on a new connection
        self._began = False  # inside begin() ... commit()/rollback(): never reconnected there
        self.lost: str | None = None  # why the session's locks could not be taken again
        self.reconnections = 0

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._url, autocommit=True, application_name=self._application, connect_timeout=10)

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, a new one when the server dropped the last (outside a transaction)."""
        if self.lost is not None:
            raise psycopg.OperationalError(self.lost)
        if (self._db.closed or self._db.broken) and not self._began:
            self._db.close()
            self._db = self._connect()
            self.reconnections += 1
            log.warning("%s: the connection was lost; connected again", self.where,
                        extra={"event": "database_reconnected"})
            for key in self._locks:
                held = self._db.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if not held or not held[0]:
                    self.lost = (f"the connection was lost and lock {key}, which this process held, is another "
                                 "process's now")
                    self._db.close()
                    raise psycopg.OperationalError(self.lost)
        return self._db

    def ping(self) -> None:
        """One round trip, outside a transaction: a connection the server dropped since is replaced now rather than
        failing the next statement (a poll's first)."""
        try:
            self._live().execute("SELECT 1")
        except psycopg.OperationalError:
            if self.lost is not None or self._began or not (self._db.closed or self._db.broken):
                raise
            self._live().execute("SELECT 1")

    def hold_lock(self, key: int) -> bool:
        """Take a session advisory lock if it is free (True), held until close(), and again after a reconnection."""
        held = self._live().execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if held and held[0]:
            self._locks.append(key)
            return True
        return False

    def _translate(self, sql: str) -> str:
        translated = self._sql.get(sql)
        if translated is None:
            translated = self._sql[sql] = to_psycopg(sql)
        return translated

    def execute(self, sql: str, params: Params = ()) -> Rows:
        return self._live().execute(self._translate(sql), params or None)

    def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        batch = list(rows)
        if not batch:
            return 0
        with self._live().cursor() as cursor:
            cursor.executemany(self._translate(sql), batch)
            return cursor.rowcount

    def begin(self) -> None:
        self._live().execute("BEGIN")
        self._began = True

    def commit(self) -> None:
        self._db.execute("COMMIT")
        self._began = False

    def rollback(self) -> None:
        self._began = False
        if self._db.closed or self._db.broken:
            return  # the server ended the transaction with the connection
        self._db.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        return self._began or self._db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def create(self, schema: str) -> None:
        """Create what is missing, in one transaction, one server-wide lock held: two processes starting at once
        must not both create a table."""
        self.begin()
        try:
            self._db.execute("SELECT pg_advisory_xact_lock(7326001)")
            self._db.execute(postgres_schema(schema))
            self.commit()
        except BaseException:
            if self.in_transaction:
                self.rollback()
            raise

    def close(self) -> None:
        self._db.close()


def open_database(address: str | Path) -> Database:
    """The database a state store's address names: a PostgreSQL URL (`postgresql://user@host/db`), else a SQLite
    file (created with its directory)."""
    if is_server_address(address):
        return PostgresDatabase(str(address))
    path = Path(address)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteDatabase(path)
