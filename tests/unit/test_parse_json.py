"""What `parse_json` accepts from a client, and that it reads a text once (asl_engine/json_read.py).

Every request body, execution input and task output goes through it, on the event loop. The
nesting bound is ours (MAX_JSON_DEPTH: AWS documents none); what the API answers for a text past
it is in tests/api/test_hostile_input.py. Here: the bound is exact on both of its parsers, and
brackets inside strings (a definition in a CreateStateMachine body, an input holding JSON text)
do not send a text to the slow parser, which with the text scan it needed held the loop 134 ms for
a 2 MB StartExecution body.
"""

from __future__ import annotations

import json

import pytest

from asl_engine import json_read
from asl_engine.json_read import JsonRejected, LoneSurrogate, MAX_JSON_DEPTH, parse_json

BIG = "12345678901234567890123"  # 23 digits: orjson would read it as a float, so the exact parser reads it


def nested(depth: int, inner: str = "1") -> str:
    """`depth` containers, objects and arrays in turn, around `inner`."""
    opening = "".join('{"a":' if level % 2 else "[" for level in range(depth))
    return opening + inner + "".join("}" if level % 2 else "]" for level in reversed(range(depth)))


@pytest.mark.parametrize("inner", ["1", BIG], ids=["orjson", "exact parser"])
def test_the_depth_bound_is_exact_on_both_parsers(inner):
    assert parse_json(nested(MAX_JSON_DEPTH, inner)) == json.loads(nested(MAX_JSON_DEPTH, inner))
    for depth in (MAX_JSON_DEPTH + 1, 1024, 1025, 100_000):  # orjson itself stops at 1,024
        with pytest.raises(JsonRejected, match=f"depth exceeds the maximum of {MAX_JSON_DEPTH}"):
            parse_json(nested(depth, inner))
    with pytest.raises(JsonRejected, match="depth"):
        parse_json("[" * 100_000)  # unterminated as well


def test_depth_counts_nesting_not_brackets():
    wide = json.dumps([[[i]] for i in range(5_000)])  # 15,001 brackets, 3 deep
    assert parse_json(wide) == json.loads(wide)
    deep_beside_flat = json.dumps({"flat": [[] for _ in range(1_000)], "deep": json.loads(nested(MAX_JSON_DEPTH))})
    at_the_bound = [[] for _ in range(1_000)] + json.loads(nested(MAX_JSON_DEPTH))  # still MAX_JSON_DEPTH deep
    assert parse_json(json.dumps(at_the_bound)) == at_the_bound
    with pytest.raises(JsonRejected, match="depth"):
        parse_json(deep_beside_flat)


def test_brackets_inside_strings_are_read_once_by_orjson(monkeypatch):
    """A body carrying a definition or an input as a string has thousands of brackets in its
    text and almost no nesting: orjson reads it, and the standard library never sees it."""
    definition = json.dumps({"StartAt": "S0", "States": {
        f"S{i}": {"Type": "Pass", "Result": [[{"a": [i]}]], "Next": f"S{i + 1}"} for i in range(2_000)}})
    body = json.dumps({"name": "m", "definition": definition, "input": "[" * 10_000})

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("read a second time by the standard library")

    monkeypatch.setattr(json_read.json, "loads", refuse)
    assert parse_json(body)["definition"] == definition
    assert parse_json(definition)["States"]["S7"]["Result"] == [[{"a": [7]}]]


@pytest.mark.parametrize("text, value", [
    (BIG, int(BIG)),
    (f'["x{BIG}"]', [f"x{BIG}"]),  # digits inside a string: the exact parser, the same value
    ("-9223372036854775809", -9223372036854775809),
    ("1234567890123456789.5", 1234567890123456789.5),
])
def test_long_digit_runs_keep_their_exact_value(text, value):
    parsed = parse_json(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("text", ['{"a": NaN}', "[Infinity]", "[1e400]", f"[{BIG}, NaN]", f"[{BIG}, 1e400]"])
def test_what_aws_refuses_is_refused_on_both_parsers(text):
    with pytest.raises(JsonRejected):
        parse_json(text)


@pytest.mark.parametrize("text", ['"\\ud800"', f'["\\udfff", {BIG}]', f'["\ud800", {BIG}]'])
def test_an_unpaired_surrogate_is_refused_on_both_parsers(text):
    with pytest.raises(LoneSurrogate if BIG in text else JsonRejected):
        parse_json(text)
