"""The one JSON reader for text that comes from outside: request bodies, execution input, task
output, States.StringToJson's argument, a Distributed Map's items.

It refuses what AWS's parser refuses and Python's accepts, and bounds nesting, so that no
recursive walk of a value (paths, JSONata, encoding) can exceed Python's recursion limit. A
module of its own, below payload.py, so that the intrinsic functions can use it too.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from .json_text import to_json

Json = Any


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
    except json.JSONDecodeError as exc:
        raise JsonRejected(_in_jacksons_words(exc)) from None
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


_TOKEN = re.compile(r"[A-Za-z0-9_]+")


def _in_jacksons_words(error: json.JSONDecodeError) -> str:
    """AWS reads JSON with Jackson, and its causes quote Jackson's words. The two recorded ones
    (LocalStack's snapshot of StartExecution with the input "not some json" and "{'not': 'json'"):
    "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null',
    'true' or 'false')" and "Unexpected character (''' (code 39)): was expecting double-quote to
    start field name". Other errors keep Python's words."""
    text, at = error.doc, error.pos
    char = text[at] if at < len(text) else ""
    if error.msg == "Expecting value" and (token := _TOKEN.match(text, at)) is not None:
        return (f"Unrecognized token '{token.group()}': was expecting (JSON String, Number, Array, Object or "
                "token 'null', 'true' or 'false')")
    if error.msg.startswith("Expecting property name enclosed in double quotes") and char:
        return f"Unexpected character ('{char}' (code {ord(char)})): was expecting double-quote to start field name"
    return str(error)


def _non_numeric(token: str) -> Any:
    raise JsonRejected(f"Non-standard token '{token}': NaN and Infinity are not JSON numbers")


def _finite(token: str) -> float:
    number = float(token)
    if number in (float("inf"), float("-inf")):
        raise JsonRejected(f"Numeric value ({token}) out of range of a double")
    return number
