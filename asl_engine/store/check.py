"""Is this database file one the server can run on? Checked once, before anything is served.

Why before serving: a file that is not a database, is truncated, or has a damaged page would
otherwise fail half-way through start-up (or worse, be served and lose data later). SQLite's
`PRAGMA quick_check` reads every page (O(N), no index cross-check), which takes about a second
per gigabyte; `ASL_ENGINE_SKIP_DB_CHECK=1` or `serve --skip-db-check` skips it for huge files.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3

from .errors import DatabaseUnusable, describe


def hold_database(path: str) -> int | None:
    """Take the file for this server alone, or raise `DatabaseUnusable`; returns the descriptor
    that holds it (None for ":memory:"), to keep open as long as the process lives.

    Why: two servers on one SQLite file both ran every execution (each Task called twice, an
    activity task handed out twice, the later writer's history silently kept); several servers
    need PostgreSQL (README, "Several servers"). An exclusive flock(2) on the file itself, which
    SQLite's own POSIX locks neither see nor disturb, is let go when the process ends, however it
    ends. Opening the file for writing also tells a read-only file system or an immutable file,
    which the permission check above cannot tell for root."""
    if path == ":memory:":
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DatabaseUnusable(f"cannot use the database file {path}: it is not writable ({exc.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise DatabaseUnusable(
            f"cannot use the database file {path}: another asl-engine server is using it (one SQLite file "
            "serves one server; several servers share a PostgreSQL database)") from None
    return fd


def check_database(path: str, quick_check: bool = True) -> None:
    """Raise `DatabaseUnusable` with one line saying what is wrong with the file at `path`."""
    if path == ":memory:":
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise DatabaseUnusable(f"cannot use the database file {path}: the directory {directory} does not exist")
    exists = os.path.exists(path)
    if not os.access(path if exists else directory, os.W_OK) and os.geteuid() != 0:
        raise DatabaseUnusable(f"cannot use the database file {path}: it is not writable")
    if not exists:
        return  # a new file: migrations create it
    try:
        conn = sqlite3.connect(path)
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"cannot open the database file {path}: {describe(exc)}") from None
    try:
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header: "file is not a database"
        if quick_check:
            problems = [" ".join(str(row[0]).split()) for row in conn.execute("PRAGMA quick_check(3)").fetchall()]
            if problems != ["ok"]:
                raise DatabaseUnusable(
                    f"the database file {path} is damaged (SQLite quick_check: {'; '.join(problems)}); "
                    "restore a backup, or start with --skip-db-check (ASL_ENGINE_SKIP_DB_CHECK=1) to serve it anyway")
    except sqlite3.Error as exc:
        raise DatabaseUnusable(f"the database file {path} is not a usable SQLite database: {describe(exc)}") from None
    finally:
        conn.close()
