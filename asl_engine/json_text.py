"""The one compact JSON encoder: JSON text as AWS writes it in history, outputs and causes.

Compact separators, non-ASCII characters kept as they are. Everything that writes a JSON value as
text (history, outputs, stores, States.JsonToString, child executions' input) uses `to_json`, so
the same value is always the same text. It lives apart from payload.py so that modules below it
(intrinsic functions) can use it too.

The text is the standard library's, `json.JSONEncoder(separators=(",", ":"),
ensure_ascii=False)`, byte for byte: the recorded AWS cases compare it exactly. orjson writes the
same text for almost every value, 4-8x faster with the checks below, so it writes first, and the
standard library writes again whatever orjson could write differently:

- what orjson refuses (a TypeError): an integer beyond 64 bits, a dict key that is not a `str`,
  an unpaired surrogate, nesting deeper than 254, a cycle, and, by `_OWN_TYPES_ONLY`, a subclass
  of str, int, float, dict or list (the standard library writes those through their own
  methods), a dataclass or a datetime (which the standard library refuses too);
- a text with `null`: orjson writes NaN and ±Infinity as `null`, the standard library as `NaN`
  and `Infinity`, and orjson's text cannot tell them from None (so a None falls back too);
- a float below 1e-4 in magnitude: Python writes `1e-05`, `1.5e-07` (repr, an exponent of at
  least two digits), orjson `0.00001` and `1.5e-7`. Its text holds `0.0000` (positional) or a
  number ending in `e-` and digits (`_NEGATIVE_EXPONENT`).

Every other float orjson writes as repr does, the shortest text that reads back to it: positional
from 1e-4 to 1e16 (`0.0001`, `1000000000000000.0`, `-0.0`), `1e+16` and above (orjson writes
the `+` since 3.11.7: an older one writes `1e16`). Strings are escaped alike: `\\"`, `\\\\`,
`\\b \\f \\n \\r \\t`, other controls as lowercase `\\u00XX`, DEL, U+2028 and U+2029 as they are.
tests/unit/test_json_text.py compares both writers over arbitrary values.

orjson also writes a few objects the standard library refuses (a UUID, an Enum member that is not
an int or a str, an orjson.Fragment); no JSON value is one.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# Subclasses, dataclasses and datetimes make orjson raise, so the standard library decides.
_OWN_TYPES_ONLY = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
# A number with a negative exponent, as a whole token (a string's "state-1" is not one).
_NEGATIVE_EXPONENT = re.compile(r"e-\d+(?:[,\]}]|\Z)")


def to_json(value: Any) -> str:
    """JSON text as AWS writes it in history and causes: compact, non-ASCII kept."""
    try:
        text = orjson.dumps(value, option=_OWN_TYPES_ONLY).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _ENCODER.encode(value)
    # A one-character test (memchr) first spares a scan of the whole text in most texts.
    if "null" in text or ("." in text and "0.0000" in text) or ("-" in text and _NEGATIVE_EXPONENT.search(text)):
        return _ENCODER.encode(value)
    return text
