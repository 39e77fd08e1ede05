"""Choice Rules (JSONPath mode): hand-written rows citing their source, then the recorded AWS corpus.

DOC = https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
SPEC = https://states-language.net/spec.html#choice-state
CASE x = tests/conformance/cases/v2_choice_operators_x* (recorded against real AWS)
"""

from __future__ import annotations

import json
from pathlib import Path as FsPath
from typing import Any

import pytest

from asl_engine import choice
from asl_engine.choice import ChoiceRule, compile_choice_rule, compile_condition
from asl_engine.errors import RUNTIME, DefinitionError, StatesError
from asl_engine.paths import Scope
from corpora import EXECUTION_CASES, case_files

INVALID_PATH = "Invalid path '{}': The choice state's condition path references an invalid value."


def holds(rule: dict, data: Any, *, context: Any = None, variables: dict | None = None) -> bool:
    return compile_condition(rule, "/States/C/Choices/0")(Scope(data, context, variables))


def on(operator: str, operand: Any, **fields: Any) -> dict:
    """The usual rule shape: `{"Variable": "$.v", operator: operand, **fields}`."""
    return {"Variable": "$.v", operator: operand, **fields}


# (rule, input, expected, source)
TRUTH_ROWS = [
    # Numbers: int and float compare by value; booleans and numeric strings are not numbers.
    (on("NumericEquals", 1.0), {"v": 1}, True, "CASE numeric_equals cases[6]"),
    (on("NumericEquals", 0), {"v": 0.0}, True, "CASE numeric_equals"),
    (on("NumericEquals", 1), {"v": True}, False, "CASE numeric_equals (true is not 1)"),
    (on("NumericEquals", 0), {"v": False}, False, "CASE numeric_equals (false is not 0)"),
    (on("NumericEquals", 1), {"v": "1"}, False, "DOC: values must be of the same type"),
    (on("NumericGreaterThan", 0), {"v": 1}, True, "CASE numeric_greater_than"),
    (on("NumericGreaterThan", 1), {"v": 1}, False, "CASE numeric_greater_than"),
    (on("NumericGreaterThanEquals", 1), {"v": 1}, True, "CASE numeric_greater_than_equals"),
    (on("NumericLessThan", 1), {"v": 0}, True, "CASE numeric_less_than"),
    (on("NumericLessThanEquals", 0), {"v": 1}, False, "CASE numeric_less_than_equals"),
    (on("NumericLessThan", 5), {"v": None}, False, "DOC: values must be of the same type"),
    (on("NumericEqualsPath", "$.w"), {"v": 1, "w": 1.0}, True, "CASE numeric_equals_path"),
    (on("NumericEqualsPath", "$.w"), {"v": True, "w": 1.0}, False, "CASE numeric_equals_path"),
    (on("NumericEqualsPath", "$.w"), {"v": 1, "w": True}, False, "DOC: same type (operand)"),
    (on("NumericLessThanPath", "$.w"), {"v": 1, "w": {"a": 2}}, False, "DOC: same type"),
    # Strings: exact, code-point ordering; whitespace is significant.
    (on("StringEquals", "Hello"), {"v": "Hello"}, True, "CASE string_equals"),
    (on("StringEquals", "\t\r\n"), {"v": "\t\n"}, False, "CASE string_equals"),
    (on("StringEquals", "0"), {"v": 0}, False, "CASE string_equals (number is not a string)"),
    (on("StringLessThan", "AB"), {"v": "A"}, True, "CASE string_less_than"),
    (on("StringGreaterThan", "A "), {"v": "A"}, False, "CASE string_greater_than"),
    (on("StringGreaterThanEquals", ""), {"v": ""}, True, "CASE string_greater_than_equals"),
    (on("StringLessThanEquals", "A"), {"v": "AB"}, False, "CASE string_less_than_equals"),
    (on("StringEqualsPath", "$.w"), {"v": "Hello", "w": "Hello"}, True, "CASE string_equals_path"),
    (on("StringEqualsPath", "$.w"), {"v": "1", "w": 1}, False, "DOC: same type (operand)"),
    # StringMatches: '*' is a wildcard; '\*' a literal star; '\\' a literal backslash.
    (on("StringMatches", "log-*.txt"), {"v": "log-2024-01.txt"}, True, "DOC StringMatches example"),
    (on("StringMatches", "log-*.txt"), {"v": "log-1.txt.gz"}, False, "DOC: whole string must match"),
    (on("StringMatches", "*"), {"v": ""}, True, "DOC: '*' matches zero or more characters"),
    (on("StringMatches", "a*b*c"), {"v": "a\nxbyc"}, True, "DOC: '*' matches any characters"),
    (on("StringMatches", "a.c"), {"v": "abc"}, False, "DOC: only '*' is special"),
    (on("StringMatches", "2\\*3"), {"v": "2*3"}, True, "DOC: '\\*' is a literal '*'"),
    (on("StringMatches", "2\\*3"), {"v": "2x3"}, False, "DOC: '\\*' is not a wildcard"),
    (on("StringMatches", "C:\\\\*"), {"v": "C:\\dir"}, True, "DOC: '\\\\' is a backslash"),
    (on("StringMatches", "*"), {"v": 5}, False, "DOC: same type"),
    # Booleans.
    (on("BooleanEquals", False), {"v": False}, True, "CASE boolean_equals"),
    (on("BooleanEquals", False), {"v": 0}, False, "CASE boolean_equals (0 is not false)"),
    (on("BooleanEquals", True), {"v": "true"}, False, "DOC: same type"),
    (on("BooleanEqualsPath", "$.w"), {"v": True, "w": True}, True, "CASE boolean_equals_path"),
    (on("BooleanEqualsPath", "$.w"), {"v": 1, "w": True}, False, "CASE boolean_equals_path"),
    # Timestamps: instants, so offsets and fractional seconds count; non-timestamps are false.
    (on("TimestampEquals", "2012-10-09T19:00:55Z"), {"v": "2012-10-09T19:00:55Z"}, True,
     "CASE timestamp_equals"),
    (on("TimestampEquals", "2012-10-09T19:00:55Z"), {"v": "2012-10-09T20:00:55+01:00"}, True,
     "SPEC: RFC 3339 timestamps with offsets denote instants"),
    (on("TimestampEquals", "2012-10-09T19:00:55Z"), {"v": "2012-10-09T18:00:55-01:00"}, True,
     "SPEC: RFC 3339 negative offsets"),
    (on("TimestampEquals", "2012-10-09T19:00:55Z"), {"v": "2012-10-09T19:00:55.000Z"}, True,
     "SPEC: RFC 3339 fractional seconds"),
    (on("TimestampLessThan", "2012-10-09T19:00:55.000000002Z"),
     {"v": "2012-10-09T19:00:55.000000001Z"}, True, "SPEC: RFC 3339 fractional seconds (nanoseconds kept)"),
    (on("TimestampEquals", "2012-10-09T19:00:55Z"), {"v": "2023-02-24 12:15:56.832957"}, False,
     "CASE timestamp_equals (not RFC 3339)"),
    (on("TimestampEquals", "2012-10-09T19:00:55Z"), {"v": "2012-10-09T19:00:55"}, False,
     "SPEC: 'Z' required in the absence of a numeric offset"),
    (on("TimestampEquals", "2012-10-09T19:00:55Z"), {"v": 0}, False, "CASE timestamp_equals"),
    (on("TimestampGreaterThan", "2012-10-09T19:00:55Z"), {"v": "2012-10-09T19:00:55Z"}, False,
     "CASE timestamp_greater_than"),
    (on("TimestampGreaterThanEquals", "2012-10-09T19:00:55Z"), {"v": "2012-10-09T19:00:56Z"},
     True, "CASE timestamp_greater_than_equals"),
    (on("TimestampLessThanEquals", "2012-10-09T19:00:55Z"), {"v": "2012-10-09T19:00:56Z"},
     False, "CASE timestamp_less_than_equals"),
    (on("TimestampLessThanPath", "$.w"), {"v": "2012-10-09T19:00:56Z", "w": "2012-10-09T19:00:55Z"},
     False, "CASE timestamp_less_than_path"),
    (on("TimestampEqualsPath", "$.w"), {"v": "2012-10-09T19:00:55Z", "w": "yesterday"}, False,
     "DOC: same type (operand)"),
    # Type tests.
    (on("IsNull", True), {"v": None}, True, "CASE is_null"),
    (on("IsNull", False), {"v": None}, False, "CASE is_null"),
    (on("IsNumeric", True), {"v": 1.1}, True, "CASE is_numeric"),
    (on("IsNumeric", True), {"v": True}, False, "CASE is_numeric"),
    (on("IsNumeric", True), {"v": "1"}, False, "DOC IsNumeric"),
    (on("IsString", True), {"v": " "}, True, "CASE is_string"),
    (on("IsString", True), {"v": []}, False, "CASE is_string"),
    (on("IsBoolean", True), {"v": False}, True, "CASE is_boolean"),
    (on("IsBoolean", False), {"v": 0}, True, "CASE is_boolean"),
    (on("IsTimestamp", True), {"v": "2016-03-14T01:59:00Z"}, True, "SPEC IsTimestamp example"),
    (on("IsTimestamp", True), {"v": "2016-03-14T01:59:00"}, False, "SPEC: zone required"),
    (on("IsTimestamp", True), {"v": "2016-13-14T01:59:00Z"}, False, "RFC 3339: month 13"),
    (on("IsTimestamp", False), {"v": 1457920740}, True, "SPEC: timestamps are strings"),
    (on("IsPresent", True), {"v": None}, True, "CASE is_present"),
    (on("IsPresent", True), {}, False, "DOC IsPresent: missing path is not an error"),
    ({"Variable": "$.v.w", "IsPresent": False}, {"v": 3}, True, "DOC IsPresent"),
    ({"Variable": "$.v[2]", "IsPresent": True}, {"v": [1, 2]}, False, "DOC IsPresent"),
    # Connectives (DOC's worked example: Not / And).
    ({"Not": {"Variable": "$.type", "StringEquals": "Private"}}, {"type": "Public"}, True, "DOC Not example"),
    ({"Not": {"Variable": "$.type", "StringEquals": "Private"}}, {"type": "Private"}, False,
     "DOC Not example"),
    ({"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
              {"Variable": "$.value", "NumericLessThan": 30}]}, {"value": 22}, True, "DOC And example"),
    ({"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
              {"Variable": "$.value", "NumericLessThan": 30}]}, {"value": 30}, False, "DOC And example"),
    ({"Or": [on("IsNull", True), on("StringEquals", "x")]}, {"v": "x"}, True,
     "SPEC Or"),
    ({"Or": [on("IsNull", True), on("StringEquals", "x")]}, {"v": "y"}, False,
     "SPEC Or"),
    ({"And": [{"Variable": "$.type", "StringEquals": "Public"}]}, {"type": "Public"}, True,
     "CASE v2_scenarios test_choice_singleton_composite"),
    # Paths: bracket notation and indefinite paths select as elsewhere in ASL.
    ({"Variable": "$['a b'][0]", "StringEquals": "x"}, {"a b": ["x"]}, True, "SPEC Reference Paths"),
]


@pytest.mark.parametrize(("rule", "data", "expected", "source"), TRUTH_ROWS, ids=[r[3] for r in TRUTH_ROWS])
def test_rule_truth(rule: dict, data: Any, expected: bool, source: str) -> None:
    assert holds(rule, data) is expected


def test_context_and_variable_roots() -> None:
    """DOC: Variable is a path, so `$$` (context object) and `$name` (workflow variables) work too."""
    context = {"Execution": {"Name": "run-1"}}
    assert holds({"Variable": "$$.Execution.Name", "StringEquals": "run-1"}, {}, context=context)
    assert holds({"Variable": "$limit", "NumericGreaterThanPath": "$.n"}, {"n": 2}, variables={"limit": 3})
    assert not holds({"Variable": "$limit", "IsPresent": True}, {}, variables={})


# (rule, input, path AWS names in the cause, source)
RUNTIME_ROWS = [
    ({"Variable": "$.missing", "NumericEquals": 1}, {}, "$.missing", "AWS cause for a missing Variable"),
    ({"Variable": "$.v.w", "StringEquals": "x"}, {"v": "s"}, "$.v.w", "same, through a non-object"),
    ({"Variable": "$.missing", "IsNull": True}, {}, "$.missing", "only IsPresent tolerates a missing path"),
    (on("NumericLessThanEqualsPath", "$.right"), {"v": 8}, "$.right", "missing ...Path operand"),
    ({"Variable": "$undefined", "BooleanEquals": True}, {}, "$undefined", "unassigned workflow variable"),
    ({"Not": {"Variable": "$.missing", "StringEquals": "x"}}, {}, "$.missing", "Not does not swallow it"),
]


@pytest.mark.parametrize(("rule", "data", "path", "source"), RUNTIME_ROWS, ids=[r[3] for r in RUNTIME_ROWS])
def test_missing_path_is_states_runtime(rule: dict, data: Any, path: str, source: str) -> None:
    with pytest.raises(StatesError) as raised:
        holds(rule, data)
    assert raised.value.error == RUNTIME
    assert raised.value.cause == INVALID_PATH.format(path)


# (rule, location of the offending rule or field, what the message mentions, source)
SCHEMA_ROWS = [
    (on("Next", "X"), "/States/C/Choices/0", "exactly one operator", "SPEC: one comparison"),
    ({"Variable": "$.v", "StringEquals": "a", "StringLessThan": "b", "Next": "X"}, "/States/C/Choices/0",
     "exactly one operator", "SPEC: one comparison"),
    (on("StringEqual", "a", Next="X"), "/States/C/Choices/0", "StringEqual", "SPEC operators"),
    ({"Condition": "{% true %}", "Next": "X"}, "/States/C/Choices/0", "Condition",
     "DOC: Condition is JSONata-only"),
    ({"NumericEquals": 1, "Next": "X"}, "/States/C/Choices/0", "Variable", "SPEC: comparison needs Variable"),
    (on("NumericEquals", "1", Next="X"), "/States/C/Choices/0/NumericEquals", "number",
     "DOC: operand type matches the operator"),
    (on("NumericEquals", True, Next="X"), "/States/C/Choices/0/NumericEquals", "number",
     "DOC: operand type matches the operator"),
    (on("BooleanEquals", "true", Next="X"), "/States/C/Choices/0/BooleanEquals", "boolean",
     "DOC: operand type matches the operator"),
    (on("StringEquals", 1, Next="X"), "/States/C/Choices/0/StringEquals", "string",
     "DOC: operand type matches the operator"),
    (on("TimestampEquals", "2012-10-09", Next="X"), "/States/C/Choices/0/TimestampEquals",
     "timestamp", "SPEC: timestamp literals are RFC 3339"),
    (on("IsNull", "yes", Next="X"), "/States/C/Choices/0/IsNull", "boolean", "DOC IsNull"),
    (on("StringMatches", 3, Next="X"), "/States/C/Choices/0/StringMatches", "string",
     "DOC StringMatches"),
    ({"Variable": "v", "StringEquals": "a", "Next": "X"}, "/States/C/Choices/0/Variable", "JSONPath",
     "DOC: Variable must be a valid reference path"),
    (on("StringEqualsPath", "w", Next="X"), "/States/C/Choices/0/StringEqualsPath", "JSONPath",
     "DOC: ...Path operands must be valid reference paths"),
    (on("IsNull", True), "/States/C/Choices/0", "Next", "SPEC: top-level rules have Next"),
    ({"And": [], "Next": "X"}, "/States/C/Choices/0/And", "non-empty", "SPEC: And is a non-empty array"),
    ({"Or": on("IsNull", True), "Next": "X"}, "/States/C/Choices/0/Or", "array", "SPEC: Or array"),
    ({"Variable": "$.v", "Not": on("IsNull", True), "Next": "X"}, "/States/C/Choices/0",
     "Variable", "SPEC: Boolean rules have no Variable"),
    ({"And": [on("IsNull", True), on("IsNull", True, Next="X")], "Next": "X"},
     "/States/C/Choices/0/And/1", "Next", "SPEC: nested rules have no Next"),
    ({"Not": {"Or": [on("IsNull", True), {"Variable": "$.v"}]}, "Next": "X"},
     "/States/C/Choices/0/Not/Or/1", "exactly one operator", "location points into nested rules"),
    ("not a rule", "/States/C/Choices/0", "object", "SPEC: a Choice Rule is an object"),
]


@pytest.mark.parametrize(
    ("rule", "location", "mentions", "source"), SCHEMA_ROWS, ids=[r[3] for r in SCHEMA_ROWS]
)
def test_malformed_rule_is_a_definition_error(rule: Any, location: str, mentions: str, source: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        compile_choice_rule(rule, "/States/C/Choices/0")
    assert raised.value.code == "SCHEMA_VALIDATION_FAILED"
    assert raised.value.location == location
    assert mentions in raised.value.message


def test_top_level_rule_carries_next_and_assign() -> None:
    rule = compile_choice_rule(
        {"Variable": "$.v", "IsNull": True, "Next": "Done", "Assign": {"x.$": "$.v"}, "Comment": "why"}, "/x"
    )
    assert (rule.next, rule.assign) == ("Done", {"x.$": "$.v"})
    assert rule.predicate(Scope({"v": None})) is True
    assert compile_choice_rule(on("IsNull", True, Next="Done"), "/x").assign is None


def test_evaluation_never_parses_definition_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths, patterns and literal timestamps are compiled once; evaluation must not reach for them."""
    rule = compile_condition(
        {"And": [
            {"Variable": "$.s", "StringMatches": "a*"},
            {"Variable": "$.t", "TimestampLessThan": "2030-01-01T00:00:00Z"},
            {"Variable": "$.n", "NumericEqualsPath": "$.m"},
        ]},
        "/x",
    )

    def forbidden(*_: Any) -> None:
        raise AssertionError("parsed definition text during evaluation")

    monkeypatch.setattr(choice, "compile_path", forbidden)
    monkeypatch.setattr(choice, "_wildcard_pattern", forbidden)
    assert rule(Scope({"s": "abc", "t": "2020-01-01T00:00:00Z", "n": 1, "m": 1})) is True


# --- the recorded AWS corpus ----------------------------------------------------------------------


def _corpus() -> list[FsPath]:
    files = case_files(EXECUTION_CASES, "v2_choice_operators_*.json")
    return [f for f in files if json.loads(f.read_text())["definition"].get("QueryLanguage") != "JSONata"]


CORPUS = _corpus()


def test_corpus_is_present() -> None:
    assert len(CORPUS) >= 390, f"expected ~398 JSONPath choice-operator cases in {EXECUTION_CASES}"


@pytest.mark.parametrize("case_file", CORPUS, ids=[f.stem for f in CORPUS])
def test_aws_recorded_branch(case_file: FsPath) -> None:
    """Every case is a Choice state whose targets are Pass states with distinct literal `Result`s, so the
    branch AWS took is the target whose Result equals the recorded output."""
    case = json.loads(case_file.read_text())
    states = case["definition"]["States"]
    check = states[case["definition"]["StartAt"]]
    assert check["Type"] == "Choice" and not {"InputPath", "OutputPath"} & check.keys()
    assert case["expected"]["status"] == "SUCCEEDED"
    rules: list[ChoiceRule] = [
        compile_choice_rule(rule, f"/States/CheckValues/Choices/{index}")
        for index, rule in enumerate(check["Choices"])
    ]
    targets = {rule.next for rule in rules} | {check["Default"]}
    output = case["expected"]["output"]
    taken_by_aws = [t for t in targets if states[t]["Type"] == "Pass" and states[t]["Result"] == output]
    assert len(taken_by_aws) == 1, "case does not identify a single branch"

    scope = Scope(case["input"])
    taken = next((rule.next for rule in rules if rule.predicate(scope)), check["Default"])
    assert taken == taken_by_aws[0]
