"""The bodies of the 18 intrinsic functions, as plain functions of their evaluated arguments.

`asl_engine.intrinsics` parses calls and evaluates arguments; each function here receives the list
of argument values and either returns the result or raises `Invalid`, which the caller reports as
AWS does: `States.Runtime` with the cause `Invalid arguments in States.<Name>`.

AWS truncates non-integer numbers in ArrayRange, ArrayPartition, ArrayGetItem and MathRandom, but
rounds them half-up in MathAdd (Java `Math.round`; recorded in the conformance cases
`intrinsic_functions_test_math_operations ... test_math_add`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import uuid
from dataclasses import dataclass

from .errors import DATA_LIMIT_EXCEEDED, StatesError
from .json_read import check_depth
from .json_text import to_json
from .limits import MAX_PAYLOAD_BYTES, surely_exceeds
from typing import Any, Callable, Iterable

MAX_INPUT_CHARS = 10_000  # Base64Encode/Base64Decode/Hash input limit (AWS guide)
MAX_RANGE_ITEMS = 1000  # ArrayRange result limit (AWS guide)
INT32 = range(-(2**31), 2**31)  # MathAdd operands and sum (AWS rejects 2147483647 + 1)


class Invalid(Exception):
    """Raised by a function body; the call site names the function in AWS's cause."""


@dataclass(frozen=True, slots=True)
class FormatTemplate:
    """A literal States.Format template, split where unescaped `{}` stand (None: malformed)."""

    texts: tuple[str, ...] | None


# ---------------------------------------------------------------------------------- argument checks


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _truncated(value: Any) -> int:
    if not _is_number(value) or not math.isfinite(value):
        raise Invalid()
    return int(value)


def _java_round(value: Any) -> int:
    if not _is_number(value) or not math.isfinite(value):
        raise Invalid()
    return math.floor(value + 0.5) if isinstance(value, float) else value


def _string(value: Any, limit: int | None = None) -> str:
    if not isinstance(value, str) or (limit is not None and len(value) > limit):
        raise Invalid()
    return value


def _array(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid()
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid()
    return value


def _json_key(value: Any) -> Any:
    """A hashable stand-in with JSON equality: `true` is not `1`, object key order is ignored."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if _is_number(value):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(_json_key(item) for item in value))
    return ("object", frozenset((key, _json_key(item)) for key, item in value.items()))


# ---------------------------------------------------------------------------------------- functions


def split_template(chars: Iterable[tuple[str, bool]]) -> tuple[str, ...] | None:
    """Texts between `{}` placeholders; None when a brace stands alone, which AWS refuses."""
    texts: list[str] = []
    current: list[str] = []
    pending_open = False
    for char, escaped in chars:
        if pending_open:
            if escaped or char != "}":
                return None
            texts.append("".join(current))
            current, pending_open = [], False
        elif not escaped and char == "{":
            pending_open = True
        elif not escaped and char == "}":
            return None
        else:
            current.append(char)
    if pending_open:
        return None
    texts.append("".join(current))
    return tuple(texts)


def _format_value(value: Any) -> str:
    """How AWS (Java) prints a value into a template: objects as `{k=v, ...}`, strings bare."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_format_value(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def states_format(args: list[Any]) -> str:
    template, values = args[0], args[1:]
    if isinstance(template, FormatTemplate):
        texts = template.texts
    else:
        texts = split_template((char, False) for char in _string(template))
    if texts is None or len(texts) != len(values) + 1:
        raise Invalid()
    parts = [texts[0]]
    size = len(texts[0])
    for value, text in zip(values, texts[1:]):
        if surely_exceeds(value, MAX_PAYLOAD_BYTES - size):  # before it is written: see _too_large
            raise _too_large("States.Format")
        part = _format_value(value)
        size += len(part) + len(text)
        if size > MAX_PAYLOAD_BYTES:
            raise _too_large("States.Format")
        parts += [part, text]
    return "".join(parts)


def string_to_json(args: list[Any]) -> Any:
    text = _string(args[0])
    if not text.strip():
        return None  # AWS returns null for "" and " " (conformance case test_string_to_json resp_1)
    try:
        value = json.loads(text, parse_constant=_reject_constant)
        check_depth(text, value)  # bounded as a client's JSON is: a 20,000-deep text was a RecursionError
    except (ValueError, RecursionError):
        raise Invalid() from None
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def json_to_string(args: list[Any]) -> str:
    if surely_exceeds(args[0]):
        raise _too_large("States.JsonToString")
    return to_json(args[0])


def _too_large(function: str) -> StatesError:
    """A text no state could hold (256 KiB), refused before it is built: States.Format of one
    200 KB field six thousand times built 1.2 GB before the state's output was refused."""
    return StatesError(DATA_LIMIT_EXCEEDED, f"The intrinsic function {function} returned a result with a size "
                                            "exceeding the maximum number of bytes service limit.")


def array(args: list[Any]) -> list[Any]:
    return list(args)


def array_partition(args: list[Any]) -> list[list[Any]]:
    items, size = _array(args[0]), _truncated(args[1])
    if size <= 0:
        raise Invalid()
    return [items[start:start + size] for start in range(0, len(items), size)]


def array_contains(args: list[Any]) -> bool:
    wanted = _json_key(args[1])
    return any(_json_key(item) == wanted for item in _array(args[0]))


def array_range(args: list[Any]) -> list[int]:
    start, end, step = (_truncated(value) for value in args)
    if step == 0:
        raise Invalid()
    count = max(0, (end - start) // step + 1)
    if count > MAX_RANGE_ITEMS:
        raise Invalid()
    return [start + step * index for index in range(count)]


def array_get_item(args: list[Any]) -> Any:
    items, index = _array(args[0]), _truncated(args[1])
    if not items:
        return None  # observed on AWS: any index into [] gives null
    if not 0 <= index < len(items):
        raise Invalid()
    return items[index]


def array_length(args: list[Any]) -> int:
    return len(_array(args[0]))


def array_unique(args: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    unique = []
    for item in _array(args[0]):
        key = _json_key(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def base64_encode(args: list[Any]) -> str:
    return base64.b64encode(_string(args[0], MAX_INPUT_CHARS).encode()).decode("ascii")


def base64_decode(args: list[Any]) -> str:
    """Lenient like AWS, which decodes 'abc' and ' YWJjZA== ': stray characters are skipped."""
    text = re.sub(r"[^A-Za-z0-9+/]", "", _string(args[0], MAX_INPUT_CHARS))
    if len(text) % 4 == 1:  # a lone trailing character carries no whole byte
        raise Invalid()
    return base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8", errors="replace")


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def states_hash(args: list[Any]) -> str:
    data, algorithm = _string(args[0], MAX_INPUT_CHARS), args[1]
    if not isinstance(algorithm, str) or algorithm not in _HASHES:
        raise Invalid()
    return hashlib.new(_HASHES[algorithm], data.encode()).hexdigest()


def json_merge(args: list[Any]) -> dict[str, Any]:
    """Shallow merge only: AWS refuses `true`, and treats any other third value as `false`."""
    first, second = _object(args[0]), _object(args[1])
    if args[2] is True:
        raise Invalid()
    return {**first, **second}


def math_random(args: list[Any]) -> int:
    """An integer in [start, end); a seed makes it repeatable."""
    start, end = _truncated(args[0]), _truncated(args[1])
    if start >= end:
        raise Invalid()
    generator = random.Random(_truncated(args[2])) if len(args) == 3 else random.SystemRandom()
    return generator.randrange(start, end)


def math_add(args: list[Any]) -> int:
    first, second = _java_round(args[0]), _java_round(args[1])
    if first not in INT32 or second not in INT32 or first + second not in INT32:
        raise Invalid()
    return first + second


def string_split(args: list[Any]) -> list[str]:
    """Split on any one of the delimiter characters; empty parts are dropped (AWS: ',,,,' -> [])."""
    text, delimiters = _string(args[0]), _string(args[1])
    if not delimiters:
        return [text] if text else []
    parts = re.split("[" + re.escape(delimiters) + "]", text)
    return [part for part in parts if part]


def states_uuid(args: list[Any]) -> str:
    return str(uuid.uuid4())


# name -> (function, fewest arguments, most arguments or None)
FUNCTIONS: dict[str, tuple[Callable[[list[Any]], Any], int, int | None]] = {
    "States.Format": (states_format, 1, None),
    "States.StringToJson": (string_to_json, 1, 1),
    "States.JsonToString": (json_to_string, 1, 1),
    "States.Array": (array, 0, None),
    "States.ArrayPartition": (array_partition, 2, 2),
    "States.ArrayContains": (array_contains, 2, 2),
    "States.ArrayRange": (array_range, 3, 3),
    "States.ArrayGetItem": (array_get_item, 2, 2),
    "States.ArrayLength": (array_length, 1, 1),
    "States.ArrayUnique": (array_unique, 1, 1),
    "States.Base64Encode": (base64_encode, 1, 1),
    "States.Base64Decode": (base64_decode, 1, 1),
    "States.Hash": (states_hash, 2, 2),
    "States.JsonMerge": (json_merge, 3, 3),
    "States.MathRandom": (math_random, 2, 3),
    "States.MathAdd": (math_add, 2, 2),
    "States.StringSplit": (string_split, 2, 2),
    "States.UUID": (states_uuid, 0, 0),
}
