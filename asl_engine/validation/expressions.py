"""Syntax checks for the strings a definition embeds: JSONPaths, intrinsic calls, JSONata, timestamps.

Each check returns None when the text is acceptable, or a short reason. Results are cached by text:
real definitions repeat the same paths and expressions across many states, and parsing JSONata or
a JSONPath with jsonpath-ng costs far more than a dictionary lookup.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from functools import lru_cache
from collections.abc import Iterator
from typing import Any

from jsonata import Jsonata  # imported eagerly: importing it raises the process recursion limit

from asl_engine.paths import PathSyntaxError, compile_path
from asl_engine.timestamps import parse_nanos

# Jayway (AWS's JSONPath) evaluates script subscripts such as `[(@.length-1)]`; jsonpath-ng does not
# parse them, so a Path is checked with each script subscript replaced by an index.
_SCRIPT_SUBSCRIPT = re.compile(r"\[\([^\[\]]*\)\]")


@contextmanager
def _quiet_parsers() -> Iterator[None]:
    """jsonpath-ng accepts deprecated syntax (unquoted filter words) with a DeprecationWarning; the
    definition is still valid, and the warning must not turn into an error where warnings are."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def is_jsonata_expression(value: Any) -> bool:
    """In JSONata states a string is an expression only when it is wrapped in `{%` ... `%}`."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


@lru_cache(maxsize=4096)
def jsonata_error(text: str) -> str | None:
    """Parse the expression inside `{% %}`; the reason when the jsonata parser rejects it."""
    body = text[2:-2]
    if not body.strip():
        return "the JSONata expression is empty"
    try:
        Jsonata(body)
    except Exception as exc:  # jsonata-python raises JException and, on odd input, plain errors
        return f"invalid JSONata expression: {exc}"
    return None


@lru_cache(maxsize=4096)
def path_error(text: str, reference: bool = False, input_only: bool = False) -> str | None:
    """Check an ASL Path; a Reference Path must also be definite (no wildcards, filters, slices)."""
    try:
        with _quiet_parsers():
            path = compile_path(text)
    except PathSyntaxError:
        if reference or not _SCRIPT_SUBSCRIPT.search(text):
            return "must be a valid JSONPath"
        return path_error(_SCRIPT_SUBSCRIPT.sub("[0]", text))
    if reference and not path.definite:
        return "must be a valid Reference Path"
    if input_only and path.root != "input":
        return "must be a Reference Path on the state input ('$')"
    return None


@lru_cache(maxsize=4096)
def intrinsic_error(text: str) -> str | None:
    """Check an intrinsic call; the parser is imported lazily because it depends on the runtime."""
    if not text.startswith("States."):
        return "is not an intrinsic function call"
    try:
        from asl_engine.intrinsics import IntrinsicSyntaxError, compile_intrinsic
    except ImportError:  # parser not available: accept what looks like a call
        return None
    try:
        with _quiet_parsers():
            compile_intrinsic(text)
    except (IntrinsicSyntaxError, PathSyntaxError) as exc:
        return str(exc)
    return None


def path_or_intrinsic_error(value: Any) -> str | None:
    """What a `.$` key, ErrorPath or CausePath may hold: a JSONPath or an intrinsic call."""
    if not isinstance(value, str):
        return "must be a valid JSONPath or a valid intrinsic function call"
    if value.startswith("$"):
        return path_error(value)
    return intrinsic_error(value)


def is_rfc3339(value: Any) -> bool:
    """AWS requires an uppercase T, a Z or numeric offset, and a real date and time (`timestamps`)."""
    return parse_nanos(value) is not None
