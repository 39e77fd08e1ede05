"""What a failed write means to the one request or execution it belongs to.

A write fails alone (the group commit isolates it, see sqlite.py): its request gets one of these
errors in AWS's shape, and nobody else notices. Two kinds matter:

- the disk is full or failing: a passing condition, answered `ServiceUnavailable` (AWS's 503,
  which SDKs retry by themselves); an execution's own writes are kept and retried instead;
- the data cannot be stored at all (a lone surrogate such as "\\ud800" has no UTF-8 form): the
  request is refused as AWS refuses a value it cannot take, `ValidationException`.
"""

from __future__ import annotations

import sqlite3
import sys

from ..aws_errors import ServiceError, ValidationException

# SQLite's primary result codes for a condition that passes (the disk fills, a lock is held).
_TRANSIENT = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN")


class ServiceUnavailable(ServiceError):
    """AWS's common error for a temporary failure of the server (HTTP 503)."""

    http_status = 503


class DatabaseUnusable(Exception):
    """The database file cannot be opened, read or written: start-up stops with this line."""


def is_transient(error: BaseException) -> bool:
    """Will the same write succeed later (disk space returns, a lock is released)?"""
    name = getattr(error, "sqlite_errorname", "") or ""
    if isinstance(error, sqlite3.OperationalError):
        return name.startswith(_TRANSIENT)
    # PostgreSQL (store/postgres.py): psycopg's OperationalError is the lost connection, a full
    # disk, a server shutting down, a deadlock or serialization failure; looked up, not imported,
    # so an SQLite-only install needs no psycopg.
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(error, psycopg.OperationalError)


def describe(error: BaseException) -> str:
    """One line saying why a write failed, safe to store and to send (no lone surrogates)."""
    if isinstance(error, UnicodeEncodeError):
        text = ("a string contains a lone surrogate (such as \\ud800), which has no UTF-8 form "
                "and cannot be stored")
    else:
        text = str(error) or type(error).__name__
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def for_request(error: BaseException) -> Exception:
    """The API error a request gets when its own write failed."""
    if is_transient(error):
        return ServiceUnavailable(f"The request could not be stored: {describe(error)}. Try again later.")
    if isinstance(error, UnicodeEncodeError) or _refused_value(error):
        return ValidationException(f"The request cannot be stored: {describe(error)}.")
    return error if isinstance(error, Exception) else RuntimeError(describe(error))


def _refused_value(error: BaseException) -> bool:
    """A value PostgreSQL cannot take (its text cannot hold U+0000): psycopg's DataError."""
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(error, psycopg.DataError)
