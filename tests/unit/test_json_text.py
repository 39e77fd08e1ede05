"""`to_json` writes the standard library's compact text byte for byte (asl_engine/json_text.py).

The recorded AWS cases compare history, outputs and causes as text, and the text they were
recorded against is `json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)`'s; orjson writes
first for speed. Every value here is compared with that encoder: a table of the values where the
two writers differ or where orjson refuses, then arbitrary values (any code point, surrogates and
controls included; integers beyond 64 bits; floats of every magnitude, subnormals, -0.0, NaN and
infinities).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asl_engine.json_text import to_json

STDLIB = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class Count(int):
    pass


class Name(str):
    pass


class Ratio(float):
    def __repr__(self) -> str:
        return "a ratio"


class Items(list[Any]):
    pass


class Mapping(dict[str, Any]):
    pass


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Colour(enum.IntEnum):
    RED = 1


class Size(str, enum.Enum):
    SMALL = "s"


def _ordered() -> collections.OrderedDict[str, int]:
    ordered = collections.OrderedDict(a=1, b=2)
    ordered.move_to_end("a")  # written in its own order: b, a
    return ordered


TABLE: list[Any] = [
    # floats: repr's text, not orjson's
    1e-4, 1e-5, 1.5e-5, 1e-7, -4.823040373928001e-06, 1e-9, 1e-10, 5e-324, 2.2250738585072014e-308,
    0.0001, 0.00012, 1e15, 1e16, -1e16, 1.2e30, 1e22, 9999999999999998.0, 1.7976931348623157e308,
    0.0, -0.0, 1.0, 0.1, 1 / 3, 1796077021.0172753,
    math.nan, math.inf, -math.inf, [1.0, math.nan, None], {"a": math.inf, "b": None}, None, [None],
    # integers at and beyond orjson's 64 bits
    2**63 - 1, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40, [2**64, "x"],
    # strings: escapes, controls, DEL, separators, non-ASCII, unpaired surrogates
    "".join(map(chr, range(0x20))) + "\x7f\x80\x9f\u2028\u2029\ufeff\"\\/ é😀",
    "\ud800", "a\udc00b", {"\ud83d": 1}, "\ud83d\ude00",
    # strings that look like the texts to_json looks for
    "null", "0.00001", "1e-05", "1e-7", ["state-1", "e-5]"], {"null": "e-1"}, "x,1e-7,y",
    # keys that are not str: the standard library converts them, orjson refuses
    {1: "a", 2.5: "b", None: "d", 1e-7: "e"}, {False: 1}, {math.nan: 1},
    # subclasses are written through their own methods; tuples are arrays
    Count(5), Name("n"), Ratio(0.5), Items([1]), Mapping(a=1), {Name("k"): 1}, Colour.RED, Size.SMALL,
    (1, (2, "x")), {"t": ()}, _ordered(), True, False, [True, 0, 1],
    # containers
    {}, [], {"a": {"b": [{}, []]}}, "", 0, -1,
]
DEEP: list[Any] = []
for _ in range(400):  # deeper than orjson writes
    DEEP = [DEEP]
TABLE.append(DEEP)


@pytest.mark.parametrize("value", TABLE, ids=lambda value: repr(value)[:40])
def test_table(value: Any) -> None:
    assert to_json(value) == STDLIB.encode(value)


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", object(), {(1, 2): 3}, datetime.datetime(2026, 1, 1), Point(1, 2)])
def test_not_json_is_refused_as_the_standard_library_refuses_it(value: Any) -> None:
    with pytest.raises(TypeError):
        STDLIB.encode(value)
    with pytest.raises(TypeError):
        to_json(value)


def test_a_cycle_is_refused_as_the_standard_library_refuses_it() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference detected"):
        to_json(cycle)


# Any code point: controls, DEL, U+2028, unpaired surrogates (category Cs), astral characters.
any_text = st.text(st.characters(codec=None, categories=None), max_size=12)
looks_like_a_number = st.sampled_from(["null", "0.0000", "e-5", "1e-05", ",1e-7]", "e+16", "NaN", "Infinity"])
floats = (st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
          | st.floats(min_value=1e-10, max_value=1e-3) | st.floats(min_value=1e14, max_value=1e18)
          | st.sampled_from([1e15, 1e16, 1e-4, 1e-5, -0.0, 5e-324, math.nan, math.inf, -math.inf])
          | st.integers(-330, 310).map(lambda exponent: float(f"1e{exponent}")))
integers = st.integers() | st.integers(min_value=2**63 - 2, max_value=2**64 + 2) | st.integers(min_value=-(2**63) - 2,
                                                                                                   max_value=-(2**63) + 2)
scalars = st.none() | st.booleans() | integers | floats | any_text | looks_like_a_number
keys = any_text | looks_like_a_number
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5)
    | st.tuples(inner, inner),
    max_leaves=30,
)


@settings(max_examples=1000, deadline=None)
@given(json_values)
def test_arbitrary_values(value: Any) -> None:
    assert to_json(value) == STDLIB.encode(value)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.one_of(st.integers(), st.floats(), st.booleans(), st.none()), scalars, max_size=4))
def test_arbitrary_keys(value: Any) -> None:
    assert to_json(value) == STDLIB.encode(value)
