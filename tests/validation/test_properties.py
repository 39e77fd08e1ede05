"""Property tests: any input gets diagnostics, never an exception, and in bounded time."""

from __future__ import annotations

import copy
import json

from asl_corpus import load_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl_engine.validate import Diagnostic, validate_definition
from asl_engine.validation.schema import IS_VALID, SCHEMA

from jsonschema import Draft202012Validator

VALID_DEFINITIONS = [case["definition"] for case in load_cases() if case["valid"] and "definition" in case]
REFERENCE = Draft202012Validator(SCHEMA)
BOUNDED = settings(deadline=500, max_examples=150, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)
# Values that often hit a rule: state types, paths, expressions, intrinsics, names of other states.
interesting = st.sampled_from(["Pass", "Task", "Choice", "Map", "Parallel", "$", "$.a[", "$$.x", "{% 1 + %}",
                               "{% $states.input %}", "States.Format('{}', $.a)", "States.ALL", "JSONata",
                               "JSONPath", "A", "", 0, -1, 1.5, True, None, [], {}]) | json_values


def _check(result: list[Diagnostic]) -> None:
    assert isinstance(result, list) and all(isinstance(d, Diagnostic) for d in result)
    assert all(d.location.startswith("/") for d in result)


@BOUNDED
@given(json_values)
def test_arbitrary_json_value(value):
    _check(validate_definition(value if isinstance(value, dict) else json.dumps(value)))


@BOUNDED
@given(st.text(max_size=200))
def test_arbitrary_text(text):
    _check(validate_definition(text))


def _locations(value, path=()):
    """Every (container, key) pair inside `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield value, key
            yield from _locations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield value, index
            yield from _locations(item, (*path, index))


@st.composite
def mutated_definitions(draw):
    definition = copy.deepcopy(draw(st.sampled_from(VALID_DEFINITIONS)))
    for _ in range(draw(st.integers(1, 3))):
        spots = list(_locations(definition))
        if not spots:
            break
        container, key = draw(st.sampled_from(spots))
        if draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(interesting)
    return definition


@BOUNDED
@given(mutated_definitions(), st.sampled_from(["STANDARD", "EXPRESS"]))
def test_mutated_valid_definition(definition, machine_type):
    _check(validate_definition(definition, machine_type))
    _check(validate_definition(json.dumps(definition), machine_type))


@BOUNDED
@given(mutated_definitions())
def test_fast_schema_check_agrees_with_jsonschema(definition):
    assert IS_VALID(definition) == REFERENCE.is_valid(definition)


def test_fast_schema_check_agrees_on_corpus():
    for case in load_cases():
        if "definition" in case:
            assert IS_VALID(case["definition"]) == REFERENCE.is_valid(case["definition"]), case["id"]


def test_deep_nesting_does_not_raise():
    deep = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Parameters": {}}}}
    node = deep["States"]["A"]["Parameters"]
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    _check(validate_definition(deep))
    _check(validate_definition("[" * 100000))
