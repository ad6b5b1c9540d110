"""A PostgreSQL server for the tests that need one: the one `SCRAPER_TEST_DATABASE` names (CI starts one: .ci/run),
else a throwaway cluster started here with Debian's `initdb` and `pg_ctl` in a temporary directory, on a Unix socket
only. Without either, those tests skip, saying why, except under CI=true, where they fail."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "SCRAPER_TEST_DATABASE"


def _binaries() -> Path | None:
    """The directory of initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def _as_user() -> list[str]:
    """initdb refuses to run as root: run it as `postgres` then (Debian's package creates that user)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root and there is no `postgres` user to run PostgreSQL as") from None
    return ["runuser", "-u", "postgres", "--"]


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a PostgreSQL cluster in a temporary directory; yield its URL; stop and remove it."""
    binaries = _binaries()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    prefix = _as_user()
    home = Path(tempfile.mkdtemp(prefix="newsnorm-pg-"))
    if prefix:
        shutil.chown(home, "postgres")
    data, sockets = home / "data", home
    user = "postgres" if prefix else pwd.getpwuid(os.geteuid()).pw_name
    try:
        subprocess.run([*prefix, str(binaries / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                        "--encoding=UTF8", "--locale=C"], check=True, capture_output=True, timeout=120)
        options = f"-c listen_addresses='' -c unix_socket_directories={sockets} -c fsync=off -c max_connections=200"
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                        str(home / "log"), "-w", "-t", "60", "start"], check=True, capture_output=True, timeout=90)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(home, ignore_errors=True)
        detail = exc.stderr.decode(errors="replace") if isinstance(exc, subprocess.CalledProcessError) else exc
        raise RuntimeError(f"could not start a PostgreSQL cluster: {detail}") from None
    try:
        yield f"postgresql://{user}@/postgres?host={sockets}"
    finally:
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(home, ignore_errors=True)


def unavailable(reason: str) -> None:
    """Skip a test that needs PostgreSQL, or (CI=true) fail it: CI must run them."""
    message = f"PostgreSQL tests need a server: {reason} (set {ENV}, or install Debian's postgresql)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def fresh_database(server: str, name: str) -> str:
    """A new, empty database on the server, for one test; its URL."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    if "?" in server:
        base, _, query = server.partition("?")
        return f"{base.rsplit('/', 1)[0]}/{name}?{query}"
    return f"{server.rsplit('/', 1)[0]}/{name}"
