"""Item 2 of issue 15: JSONPath as Jayway (AWS's JSONPath library) reads it, in every path field.

Jayway's PathCompiler reads a `.` as "a next token follows" and then reads any token, a bracket
included (`readDotToken` -> `readNextToken`), so `$.[0]` is `$[0]` and `$.a.[?(@.x > 0)]` is
`$.a[?(@.x > 0)]`; a property runs to the next `.`, `[` or `(` (`readPropertyOrFunctionToken`);
`..` is a deep scan, and a path may not end with `.`. Sources:
https://github.com/json-path/JsonPath (README, "Operators" and "Path Examples") and AWS's
https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
("Step Functions uses the Jayway Java implementation of JsonPath"), which the recorded corpus
(../shared/conformance/aws/cases, `test_jsonpath*`) follows.
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine.paths import PathSyntaxError, Scope, compile_path
from asl_engine.testing import run_definition
from asl_engine.validate import validate_definition

DOC = {"a": [{"OU": 1, "n": "x"}, {"OU": 0, "n": "y"}, {"OU": 5, "n": "z"}], "b": {"c": 3}}


@pytest.mark.parametrize("dotted, plain", [
    ("$.[0]", "$[0]"),
    ("$.a.[1]", "$.a[1]"),
    ("$.a.[?(@.OU > 0)]", "$.a[?(@.OU > 0)]"),
    ("$.a.[*].n", "$.a[*].n"),
    ("$.a.[0:2]", "$.a[0:2]"),
    ("$.['b'].c", "$['b'].c"),
    ("$.b.['c']", "$.b['c']"),
])
def test_a_dot_before_a_bracket_is_the_bracket(dotted: str, plain: str) -> None:
    scope = Scope(DOC if not dotted.startswith("$.[0]") else [DOC])
    assert compile_path(dotted).select(scope) == compile_path(plain).select(scope)
    assert compile_path(dotted).definite == compile_path(plain).definite


@pytest.mark.parametrize("path, expected", [
    ("$.a:b", 1), ("$.a,b", 2), ("$.a*b", 3), ("$.x.y:z[1]", 6), ("$.x.y:z[*]", [5, 6]),
    ("$..y:z", [[5, 6], 7]), ("$..['y:z']", [[5, 6], 7]), ("$.q'r", 8),
])
def test_a_property_after_a_dot_runs_to_the_next_dot_or_bracket(path: str, expected: object) -> None:
    """Jayway's readPropertyOrFunctionToken: a property name ends at '.', '[' or '(' only, so
    characters jsonpath-ng would read as operators (':', ',', '*') are part of the key."""
    doc = {"a:b": 1, "a,b": 2, "a*b": 3, "x": {"y:z": [5, 6]}, "w": {"y:z": 7}, "q'r": 8}
    assert compile_path(path).select(Scope(doc)) == expected


def test_a_filter_after_a_dot_on_the_root() -> None:
    assert compile_path("$.[?(@.OU > 0)]").select(Scope(DOC["a"])) == [DOC["a"][0], DOC["a"][2]]


def test_quoted_names_keep_their_dots() -> None:
    assert compile_path("$['a.[b']").select(Scope({"a.[b": 1})) == 1


@pytest.mark.parametrize("text", ["$.a.", "$...a", "$.a.."])
def test_what_jayway_refuses_stays_refused(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        compile_path(text)


def _machine(state: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": state, **(extra or {})}}


END = {"E": {"Type": "Succeed"}}
PATH_FIELDS = {
    "InputPath": _machine({"Type": "Pass", "InputPath": "$.[0]", "End": True}),
    "OutputPath": _machine({"Type": "Pass", "OutputPath": "$.[0]", "End": True}),
    "ResultPath": _machine({"Type": "Pass", "ResultPath": "$.['r']", "End": True}),
    "Parameters .$": _machine({"Type": "Pass", "Parameters": {"x.$": "$.[?(@.OU > 0)]"}, "End": True}),
    "ResultSelector .$": _machine({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                   "ResultSelector": {"x.$": "$.[0]"}, "End": True}),
    "ItemsPath": _machine({"Type": "Map", "ItemsPath": "$.['a']", "End": True,  # a Reference Path
                           "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}),
    "Choice Variable": _machine({"Type": "Choice", "Default": "E", "Choices": [
        {"Variable": "$.[0].OU", "NumericGreaterThanPath": "$.[1].OU", "Next": "E"}]}, END),
    "SecondsPath": _machine({"Type": "Wait", "SecondsPath": "$.[0].OU", "End": True}),
    "TimestampPath": _machine({"Type": "Wait", "TimestampPath": "$.['t']", "End": True}),
    "TimeoutSecondsPath": _machine({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                    "TimeoutSecondsPath": "$.[0].t", "HeartbeatSecondsPath": "$.[0].h",
                                    "End": True}),
    "ErrorPath/CausePath": _machine({"Type": "Fail", "ErrorPath": "$.[0].e", "CausePath": "$.[0].c"}),
    "MaxConcurrencyPath": _machine({"Type": "Map", "MaxConcurrencyPath": "$.['m']", "End": True,
                                    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass",
                                                                                       "End": True}}}}),
    "Intrinsic argument": _machine({"Type": "Pass", "Parameters": {"x.$": "States.ArrayLength($.[0].a)"},
                                    "End": True}),
}


@pytest.mark.parametrize("field", PATH_FIELDS)
def test_dot_bracket_paths_are_valid_in_every_path_field(field: str) -> None:
    assert validate_definition(PATH_FIELDS[field]) == []


def test_dot_bracket_paths_run() -> None:
    """The issue's own example: a filter after a dot (Parameters), an index after one (ItemsPath)."""
    definition = _machine({"Type": "Map", "ItemsPath": "$.[1].list", "ResultPath": None,
                           "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                           "Next": "Pick"},
                          {"Pick": {"Type": "Pass", "Parameters": {"first.$": "$.[0].n", "kept.$": "$.[?(@.OU > 0)].n"},
                                    "End": True}})
    result = run_definition(definition, [*DOC["a"][:1], {"list": [1, 2]}, *DOC["a"][1:]])
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"first": "x", "kept": ["x", "z"]}
    iterations = [e for e in result.events if e["type"] == "MapIterationSucceeded"]
    assert len(iterations) == 2
