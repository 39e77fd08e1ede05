"""Payload templates (Parameters, ItemSelector, ResultSelector, JSONPath Assign), compiled once.

A template is JSON whose keys ending in `.$` take their value from a path or an intrinsic call.
Compilation turns it into a small tree: constant parts are kept as they are (never copied, since
no execution mutates a value), dynamic parts become `Path` or `Intrinsic` objects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from .errors import RUNTIME, DefinitionError, StatesError
from .intrinsics import IntrinsicSyntaxError, compile_intrinsic
from .json_text import to_json as to_json  # re-exported: most modules import it from here
from .paths import Path, PathNotFound, PathSyntaxError, Scope, compile_path

Json = Any


@dataclass(frozen=True, slots=True)
class _Dynamic:
    """A `key.$` value: a path or an intrinsic call."""

    key: str  # the field name as written, with `.$`
    source: Any  # Path | Intrinsic

    def evaluate(self, scope: Scope) -> Json:
        try:
            if isinstance(self.source, Path):
                return self.source.select(scope)
            return self.source.evaluate(scope)
        except PathNotFound as exc:  # VariableNotFound too: AWS words both the same way
            raise StatesError(
                RUNTIME,
                f"The JSONPath '{exc.path}' specified for the field '{self.key}' could not be found "
                f"in the input '{to_json(scope.input)}'",
                in_state=True,
            ) from None


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled payload template; `evaluate` builds a fresh value for each run."""

    node: Any  # dict[str, node] as tuple of pairs, list, constant, or _Dynamic
    constant: bool

    def evaluate(self, scope: Scope) -> Json:
        return self.node if self.constant else _build(self.node, scope)


@dataclass(frozen=True, slots=True)
class _Object:
    items: tuple[tuple[str, Any, bool], ...]  # (key, node, is_constant)


@dataclass(frozen=True, slots=True)
class _Array:
    items: tuple[tuple[Any, bool], ...]


def _build(node: Any, scope: Scope) -> Json:
    if isinstance(node, _Object):
        return {
            key: (value if constant else _build(value, scope)) for key, value, constant in node.items
        }
    if isinstance(node, _Dynamic):
        return node.evaluate(scope)
    if isinstance(node, _Array):
        return [value if constant else _build(value, scope) for value, constant in node.items]
    return node


def compile_template(value: Json, location: str) -> Template:
    """Compile a payload template; raises DefinitionError for a bad path or intrinsic."""
    node, constant = _compile(value, location)
    return Template(node, constant)


def _compile(value: Json, location: str) -> tuple[Any, bool]:
    if isinstance(value, dict):
        items = []
        all_constant = True
        for key, item in value.items():
            if key.endswith(".$"):
                items.append((key[:-2], _compile_dynamic(key, item, f"{location}/{key}"), False))
                all_constant = False
            else:
                node, constant = _compile(item, f"{location}/{key}")
                items.append((key, node, constant))
                all_constant = all_constant and constant
        if all_constant:
            return {key: node for key, node, _ in items}, True
        return _Object(tuple(items)), False
    if isinstance(value, list):
        compiled = [_compile(item, f"{location}/{index}") for index, item in enumerate(value)]
        if all(constant for _, constant in compiled):
            return [node for node, _ in compiled], True
        return _Array(tuple(compiled)), False
    return value, True


def _compile_dynamic(key: str, text: Json, location: str) -> _Dynamic:
    if not isinstance(text, str):
        raise DefinitionError(
            "SCHEMA_VALIDATION_FAILED", f"The value for the field '{key}' must be a STRING", location
        )
    try:
        if text.startswith("States."):
            return _Dynamic(key, compile_intrinsic(text))
        return _Dynamic(key, compile_path(text))
    except (PathSyntaxError, IntrinsicSyntaxError) as exc:
        raise DefinitionError(
            "SCHEMA_VALIDATION_FAILED",
            f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call",
            location,
        ) from exc



MAX_JSON_DEPTH = 512
"""Deepest JSON nesting accepted from a client. AWS documents no bound; ours keeps every recursive
walk of a value (paths, JSONata, encoding) far inside Python's recursion limit."""

_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER = b"0" * 19
_SURROGATE_HINT = re.compile(r"[\ud800-\udfff]|\\u[dD][89abcdefABCDEF]")
_TOO_DEEP = f"JSON nesting depth exceeds the maximum of {MAX_JSON_DEPTH}"


class JsonRejected(ValueError):
    """Text that is not JSON as AWS accepts it; str() says why, in the words of a JSON parser."""


class LoneSurrogate(JsonRejected):
    """A string holds half of a UTF-16 surrogate pair: not Unicode text, so it has no UTF-8 form."""


def parse_json(text: str) -> Json:
    """Parse JSON from a client, refusing what AWS's parser refuses and Python's accepts: `NaN`,
    `Infinity`, numbers beyond a double (`1e400`), unpaired surrogates (`"\\ud800"`) and nesting
    deeper than MAX_JSON_DEPTH. Raises JsonRejected (a ValueError, as json.loads does).

    orjson reads the text first, in a twentieth of the time (a StartExecution's input, a
    SendTaskSuccess's output, a request body): what it accepts, the standard library reads to the
    same value, and what it refuses is read again below, whose words the error carries. A text
    with a run of 19 digits skips it: orjson reads an integer beyond 64 bits, or below -2**63, as
    a float (found by bytes.translate and `in`, a fifth of a regular expression's time). Depth is
    checked on the value read, not on the text: brackets inside strings (a definition or an input
    in a request body) cost nothing, where scanning the text for them held the event loop 134 ms
    for a 2 MB StartExecution body that orjson reads in 0.7 ms (16 ms now, all of it included)."""
    if _LONG_NUMBER not in text.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_ZERO):
        try:
            value = orjson.loads(text)  # nests up to 1,024 deep: check_depth below
        except orjson.JSONDecodeError:
            pass
        else:
            check_depth(text, value)
            return value
    try:
        value = json.loads(text, parse_constant=_non_numeric, parse_float=_finite)
    except RecursionError:
        raise JsonRejected(_TOO_DEEP) from None
    check_depth(text, value)
    if _SURROGATE_HINT.search(text):
        check_unicode(value)
    return value


def check_depth(text: str, value: Json) -> None:
    """Refuse `value`, read from `text`, when it nests deeper than MAX_JSON_DEPTH. Costs two counts
    of the text when it has too few brackets to nest that deep; else one visit of each array and
    object, level by level (no recursion, whatever the depth)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise JsonRejected(_TOO_DEEP)
        inner: list[Json] = []
        for node in level:
            inner += [item for item in (node.values() if isinstance(node, dict) else node)
                      if isinstance(item, (dict, list))]
        level = inner


def check_unicode(value: Json) -> None:
    """Raise LoneSurrogate when any string (key or value) in `value` has no UTF-8 form."""
    try:
        to_json(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LoneSurrogate(
            f"Invalid UTF-8: unpaired surrogate U+{ord(exc.object[exc.start]):04X} in a string"
        ) from None


def _non_numeric(token: str) -> Any:
    raise JsonRejected(f"Non-standard token '{token}': NaN and Infinity are not JSON numbers")


def _finite(token: str) -> float:
    number = float(token)
    if number in (float("inf"), float("-inf")):
        raise JsonRejected(f"Numeric value ({token}) out of range of a double")
    return number
