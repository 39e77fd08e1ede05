"""A real PostgreSQL server for the tests: Debian's binaries, a throw-away cluster on loopback.

Why a real server and not a mock: what the PostgreSQL store promises (a commit before the answer,
savepoints isolating one failed write, row locks) is the database's behaviour, not ours. The
cluster lives in a temporary directory on a free port and is removed at the end of the session;
each asl-engine server under test gets a database of its own (`create_database`).

`ASL_ENGINE_TEST_STORE=postgresql` runs the API tests' servers on it (`fresh_db`); without the
binaries those runs skip, saying why.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from asl_engine.store.postgres import PostgresStore
from asl_engine.store.sqlite import SqliteStore

from serving import free_port

STORE_VARIABLE = "ASL_ENGINE_TEST_STORE"
_names = itertools.count(1)


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<ver>/bin)."""
    found = sorted(Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and shutil.which("initdb"):  # another system's packaging: on the PATH
        found = [Path(str(shutil.which("initdb"))).parent]
    return found[-1] if found else None


def unavailable() -> str | None:
    """Why no server can be started here (the skip reason), or None."""
    if binaries() is None:
        return "PostgreSQL is not installed (apt-get install postgresql; .ci/run does)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb refuses root"
    return None


class PostgresServer:
    """One cluster: `initdb` with trust authentication on loopback, `pg_ctl start`, `stop`."""

    def __init__(self, durable: bool = False) -> None:
        bin_dir = binaries()
        assert bin_dir is not None, unavailable()
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="asl-engine-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root: as root they run as the `postgres` user.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        self.started = False
        # Tests turn fsync off: they kill asl-engine servers, never the database's machine, so
        # what they check does not depend on it. A benchmark keeps PostgreSQL's durable defaults.
        self.durable = durable

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        self._pg_ctl("start")
        self.started = True

    def restart(self) -> None:
        """A fast restart: every client's connection is dropped, as in a failover."""
        self._pg_ctl("restart", "-m", "fast")

    def _pg_ctl(self, *action: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                  "-o", options, "-w", "-t", "60", *action)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "asl") -> str:
        """A new empty database; returns its URL."""
        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        if self.started:
            self.started = False
            subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


_shared: PostgresServer | None = None


def shared_server() -> PostgresServer:
    """The session's one cluster, started on first use and stopped when the process exits."""
    global _shared
    if _shared is None:
        server = PostgresServer()
        atexit.register(server.stop)
        server.start()
        _shared = server
    return _shared


def store_kind() -> str:
    """Which store the API tests' servers run on: `sqlite` (the default) or `postgresql`."""
    return os.environ.get(STORE_VARIABLE, "sqlite").strip().lower() or "sqlite"


def fresh_db(directory: Path, name: str) -> str:
    """A new database for one server under test: an SQLite file in `directory`, or a new
    PostgreSQL database when the tests run on PostgreSQL."""
    if store_kind() == "postgresql":
        return postgres_database()
    return str(directory / name)


def postgres_database() -> str:
    """The URL of a new database on the session's cluster; skips the test where there is none."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    return shared_server().create_database()


STORES = ("sqlite", "postgresql")


def make_store(kind: str, directory: Path) -> SqliteStore:
    """A store of `kind` (one of STORES) on a new database, not yet open."""
    if kind == "postgresql":
        return PostgresStore(postgres_database())
    return SqliteStore(str(directory / "s.db"))


def committed_row(db: str, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
    """One row as another connection sees it (committed data only), from an SQLite file or a
    PostgreSQL database; `sql` uses `?` placeholders."""
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchone()
    with sqlite3.connect(db) as conn:
        row: tuple[object, ...] | None = conn.execute(sql, params).fetchone()
        return row
