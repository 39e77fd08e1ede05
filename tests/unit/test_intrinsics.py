"""Intrinsic functions against what AWS returns.

Sources, named in each row's id:
* `case:<file>` rows come from tests/conformance/cases (recorded on AWS); the
  `test_recorded_cases` test also replays every such Pass state directly from the case files.
* `aws-obs` rows come from AWS-executed characterisations (error `States.Runtime`, cause
  "Invalid arguments in States.X"; ArrayRange/ArrayPartition/MathRandom truncation; JsonMerge
  accepting a non-boolean flag; StringToJson("") -> null; lenient Base64Decode).
* `guide` rows encode the AWS developer guide page "Intrinsic functions for JSONPath states".
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from asl_engine.errors import RUNTIME, StatesError
from asl_engine.intrinsics import IntrinsicSyntaxError, compile_intrinsic
from asl_engine.paths import PathNotFound, Scope
from corpora import EXECUTION_CASES, case_files

# Values AWS generates (or the recorder masked, like execution names) cannot be compared literally.
UNPREDICTABLE = re.compile(r"States\.UUID|States\.MathRandom|\$\$\.(?!Execution\.Input)")


def run(text: str, data: object = None, context: object = None, variables: dict | None = None) -> Any:
    return compile_intrinsic(text).evaluate(Scope(data, context, variables))


@pytest.mark.parametrize(
    "text, data, expected",
    [
        pytest.param("States.Format('Formatting argument {}.', $.v)", {"v": None},
                     "Formatting argument null.", id="case:test_format_1__resp_3-null"),
        pytest.param("States.Format('Formatting argument {}.', $.v)", {"v": 1.1}, "Formatting argument 1.1.",
                     id="case:test_format_1__resp_5-float"),
        pytest.param("States.Format('fst={} and snd={}.', $.a, $.b)", {"a": "", "b": " "}, "fst= and snd= .",
                     id="case:test_format_2__resp_0"),
        pytest.param("States.Format('{}', $.o)", {"o": {"Id": "arn:x", "Name": "n"}}, "{Id=arn:x, Name=n}",
                     id="case:test_context_json_path-object-as-java-map"),
        pytest.param("States.Format('{}', $.a)", {"a": [1, "x", [True]]}, "[1, x, [true]]",
                     id="aws-java-list-rendering"),
        pytest.param("States.Format('{} {} {}', $.a, $.b, $.c)", {"a": "x", "b": 2, "c": True}, "x 2 true",
                     id="aws-obs:FMT-02"),
        pytest.param("States.Format($.t, $.n)", {"t": "Hello, my name is {}.", "n": "Arnav"},
                     "Hello, my name is Arnav.", id="guide:format-template-from-path"),
        pytest.param("States.Format('Name: \\'{}\\' \\{\\} \\\\', $.n)", {"n": "G"}, "Name: 'G' {} \\",
                     id="guide:reserved-character-escapes"),
        pytest.param("States.Format('no placeholders')", {}, "no placeholders", id="aws-obs:FMT-05"),
        pytest.param("States.StringToJson($.s)", {"s": " "}, None, id="case:test_string_to_json__resp_1"),
        pytest.param("States.StringToJson($.s)", {"s": ""}, None, id="aws-obs:STJ-11-empty-is-null"),
        pytest.param("States.StringToJson($.s)", {"s": "-0"}, 0, id="case:test_string_to_json__resp_3"),
        pytest.param("States.StringToJson($.s)", {"s": ' {"a":1} '}, {"a": 1}, id="aws-obs:STJ-22"),
        pytest.param("States.JsonToString($.v)", {"v": {"Arg1": 1, "Arg2": []}}, '{"Arg1":1,"Arg2":[]}',
                     id="case:test_json_to_string__resp_7"),
        pytest.param("States.JsonToString($.v)", {"v": "HelloWorld"}, '"HelloWorld"',
                     id="case:test_json_to_string__resp_5"),
        pytest.param("States.Array()", {}, [], id="case:test_array_0__resp_0"),
        pytest.param("States.Array($.a, 'x', 2, -1.5, true, false, null)", {"a": {"k": []}},
                     [{"k": []}, "x", 2, -1.5, True, False, None], id="guide:array-literals"),
        pytest.param("States.ArrayPartition($.a, 4)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]},
                     [[1, 2, 3, 4], [5, 6, 7, 8], [9]], id="guide:array-partition"),
        pytest.param("States.ArrayPartition($.a, 2.6)", {"a": [1, 2, 3, 4, 5]}, [[1, 2], [3, 4], [5]],
                     id="aws-obs:AP-013-truncates"),
        pytest.param("States.ArrayContains($.a, $.v)", {"a": [[1, 2, 3], 2], "v": [1, 2, 3]}, True,
                     id="case:test_array_contains__resp_4"),
        pytest.param("States.ArrayContains($.a, $.v)", {"a": [{"1": 2, "2": []}], "v": []}, False,
                     id="case:test_array_contains__resp_5"),
        pytest.param("States.ArrayContains($.a, 1)", {"a": [True]}, False, id="json-equality-true-is-not-1"),
        pytest.param("States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9], id="guide:array-range"),
        pytest.param("States.ArrayRange(0, 10, 3)", {}, [0, 3, 6, 9], id="case:test_array_range__resp_1"),
        pytest.param("States.ArrayRange(5, 1, -2)", {}, [5, 3, 1], id="aws-obs:ARANGE-007-descending"),
        pytest.param("States.ArrayRange(5, 1, 1)", {}, [], id="aws-obs:ARANGE-008-empty"),
        pytest.param("States.ArrayRange(5.4, -0.6, -2.4)", {}, [5, 3, 1], id="aws-obs:ARANGE-024-truncates"),
        pytest.param("States.ArrayGetItem($.a, 5)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, 6,
                     id="case:test_array_get_item__resp_0"),
        pytest.param("States.ArrayGetItem($.a, 1.2)", {"a": [10, 20, 30]}, 20,
                     id="aws-obs:AGI-015-truncates"),
        pytest.param("States.ArrayGetItem($.a, 999)", {"a": []}, None, id="aws-obs:AGI-011-empty-array-null"),
        pytest.param("States.ArrayLength($.a)", {"a": [None, 1, [2]]}, 3, id="guide:array-length"),
        pytest.param("States.ArrayUnique($.a)", {"a": [1, 2, 3, 3, 3, 3, 3, 3, 4]}, [1, 2, 3, 4],
                     id="guide:array-unique"),
        pytest.param("States.ArrayUnique($.a)",
                     {"a": [{"a": 1, "b": 2}, True, 1, {"b": 2, "a": 1}, [None], [None]]},
                     [{"a": 1, "b": 2}, True, 1, [None]], id="json-equality-keeps-first"),
        pytest.param("States.Base64Encode($.s)", {"s": "Data to encode"}, "RGF0YSB0byBlbmNvZGU=",
                     id="case:test_base_64_encode__resp_1"),
        pytest.param("States.Base64Decode($.s)", {"s": "RGF0YSB0byBlbmNvZGU="}, "Data to encode",
                     id="case:test_base_64_decode__resp_1"),
        pytest.param("States.Base64Decode('44GT44KT44Gr44Gh44Gv')", {}, "こんにちは",
                     id="aws-obs:B64D-005-utf8"),
        pytest.param("States.Base64Decode(' YWJjZA== ')", {}, "abcd", id="aws-obs:B64D-024-lenient"),
        pytest.param("States.Hash($.s, 'MD5')", {"s": "input data"}, "812f45842bc6d66ee14572ce20db8e86",
                     id="case:test_hash__resp_0"),
        pytest.param("States.Hash($.s, 'SHA-384')", {"s": "input data"},
                     "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b"
                     "87525bdc835ebb27e1fb9e9374a15562", id="case:test_hash__resp_3"),
        pytest.param("States.JsonMerge($.a, $.b, false)",
                     {"a": {"a": {"a1": 1}, "b": 2, "d": 3}, "b": {"a": {"a3": 1}, "c": 3, "d": 4}},
                     {"a": {"a3": 1}, "b": 2, "c": 3, "d": 4}, id="case:test_json_merge__resp_0"),
        pytest.param("States.JsonMerge($.a, $.b, $.deep)", {"a": {"x": 1}, "b": {}, "deep": "false"},
                     {"x": 1}, id="aws-obs:JMG-13-non-boolean-flag-is-shallow"),
        pytest.param("States.MathAdd($.a, $.b)", {"a": 1.49, "b": 1.5}, 3, id="case:test_math_add__resp_1"),
        pytest.param("States.MathAdd($.a, 0)", {"a": -2.5}, -2, id="case:test_math_add__resp_19-java-round"),
        pytest.param("States.MathAdd($.a, 0)", {"a": -1.51}, -2, id="case:test_math_add__resp_11"),
        pytest.param("States.MathAdd(-2147483647, -1)", {}, -2147483648, id="aws-obs:MADD-016-int32-edge"),
        pytest.param("States.StringSplit($.s, $.d)", {"s": "This.is+a,test=string", "d": ".+,="},
                     ["This", "is", "a", "test", "string"], id="case:test_string_split__resp_5"),
        pytest.param("States.StringSplit($.s, ',')", {"s": ",,,,"}, [], id="case:test_string_split__resp_3"),
        pytest.param("States.StringSplit('Hello\nWorld', '\n')", {}, ["Hello", "World"],
                     id="case:test_escape_sequence__resp_0"),
        pytest.param("States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit("
                     "$.arn, '/'), 2), '.'), 1)", {"arn": "arn:aws:imagebuilder:r:1:image-recipe/x/1.0.2"},
                     "0", id="guide:nested-calls"),
        pytest.param("States.JsonMerge(States.StringToJson('{\"in_literal\": \"false\"}'), $.f, false)",
                     {"f": {"k": "v"}}, {"in_literal": "false", "k": "v"},
                     id="case:test_json_merge_escaped_argument"),
    ],
)
def test_values(text: str, data: object, expected: object) -> None:
    assert run(text, data) == expected


def test_roots_context_and_variables() -> None:
    """`$$` reads the context object and `$name` a variable (case:test_reference_assign...)."""
    result = run("States.Format('{} {}', $$.Execution.Name, $greeting.text)", {},
                 {"Execution": {"Name": "exec-1"}}, {"greeting": {"text": "hi"}})
    assert result == "exec-1 hi"


def test_format_does_not_read_escaped_braces_as_a_placeholder() -> None:
    """guide: `\\{` and `\\}` are literal braces, so this template has no placeholder."""
    assert run("States.Format('\\{\\}')", {}) == "{}"
    with pytest.raises(StatesError):
        run("States.Format('\\{\\}', $.a)", {"a": 1})


def test_uuid_is_version_4() -> None:
    value = run("States.UUID()")
    assert uuid.UUID(value).version == 4 and value != run("States.UUID()")


def test_math_random_is_in_start_inclusive_end_exclusive() -> None:
    """aws-obs:MRAND-001/-007: integer in [start, end); bounds are truncated (1.6 -> 1)."""
    values = {run("States.MathRandom(1.6, 4.4)") for _ in range(300)}
    assert values == {1, 2, 3}


def test_math_random_with_seed_repeats() -> None:
    """aws-obs:MRAND-003: the same seed gives the same number."""
    first = run("States.MathRandom(1, 1000000, 42)")
    assert all(run("States.MathRandom(1, 1000000, 42)") == first for _ in range(5))


def test_missing_path_propagates_path_not_found() -> None:
    with pytest.raises(PathNotFound):
        run("States.Base64Decode($.missing)", {})


@pytest.mark.parametrize(
    "text, data",
    [
        pytest.param("States.Format('{} {}', $.a)", {"a": 1}, id="aws-obs:FMT-14-too-few"),
        pytest.param("States.Format('{}', $.a, $.b)", {"a": 1, "b": 2}, id="aws-obs:FMT-15-too-many"),
        pytest.param("States.Format($.t, 1)", {"t": 123}, id="aws-obs:FMT-07-non-string-template"),
        pytest.param("States.Format('Hello {', $.a)", {"a": 1}, id="aws-obs:FMT-17-lone-open-brace"),
        pytest.param("States.Format('Hello {{}}', $.a)", {"a": 1}, id="aws-obs:FMT-18-doubled-brace"),
        pytest.param("States.Format('}')", {}, id="aws-obs:FMT-21-lone-close-brace"),
        pytest.param("States.StringToJson($.s)", {"s": "{bad json}"}, id="aws-obs:STJ-09"),
        pytest.param("States.StringToJson($.s)", {"s": "NaN"}, id="json-has-no-NaN"),
        pytest.param("States.StringToJson($.s)", {"s": 123}, id="aws-obs:STJ-13-not-a-string"),
        pytest.param("States.StringToJson($.s)", {"s": '{"x":' * 20_000 + "1" + "}" * 20_000},
                     id="engine-depth-past-recursion-was-internal-error"),
        pytest.param("States.StringToJson($.s)", {"s": "[" * 5_000 + "]" * 5_000},
                     id="engine-depth-past-MAX_JSON_DEPTH-as-StartExecution-refuses"),
        pytest.param("States.ArrayPartition('not-array', 2)", {}, id="aws-obs:AP-008"),
        pytest.param("States.ArrayPartition($.a, 0.49)", {"a": [1]}, id="aws-obs:AP-016-truncates-to-zero"),
        pytest.param("States.ArrayPartition($.a, null)", {"a": [1]}, id="aws-obs:AP-010"),
        pytest.param("States.ArrayContains('x', 'x')", {}, id="guide:array-contains-needs-array"),
        pytest.param("States.ArrayRange('a', 5, 1)", {}, id="aws-obs:ARANGE-010"),
        pytest.param("States.ArrayRange(1, 10, 0.49)", {}, id="aws-obs:ARANGE-014-zero-step"),
        pytest.param("States.ArrayRange(1, 1001, 1)", {}, id="aws-obs:ARANGE-016-over-1000"),
        pytest.param("States.ArrayRange(1001, 1, -1)", {}, id="aws-obs:ARANGE-018-over-1000-descending"),
        pytest.param("States.ArrayGetItem($.a, 3)", {"a": [10, 20, 30]},
                     id="aws-obs:AGI-009-index-is-length"),
        pytest.param("States.ArrayGetItem($.a, -1)", {"a": [10, 20, 30]}, id="aws-obs:AGI-010-negative"),
        pytest.param("States.ArrayGetItem($.a, '1')", {"a": [10]}, id="aws-obs:AGI-012-string-index"),
        pytest.param("States.ArrayLength($.a)", {"a": {}}, id="guide:array-length-needs-array"),
        pytest.param("States.ArrayUnique($.a)", {"a": "x"}, id="guide:array-unique-needs-array"),
        pytest.param("States.Base64Encode($.s)", {"s": "a" * 10001}, id="guide:base64-10000-chars"),
        pytest.param("States.Base64Decode($.s)", {"s": "A" * 10001}, id="aws-obs:B64D-008"),
        pytest.param("States.Base64Decode(123)", {}, id="aws-obs:B64D-009"),
        pytest.param("States.Hash('x', 'SHA-2')", {}, id="guide:hash-algorithm-names"),
        pytest.param("States.Hash($.s, 'MD5')", {"s": 1}, id="guide:hash-needs-string"),
        pytest.param("States.JsonMerge($.a, $.b, true)", {"a": {}, "b": {}},
                     id="guide:json-merge-shallow-only"),
        pytest.param("States.JsonMerge($.a, $.b, false)", {"a": [], "b": {}}, id="aws-obs:JMG-09"),
        pytest.param("States.JsonMerge($.a, $.b, false)", {"a": {}, "b": None}, id="aws-obs:JMG-08"),
        pytest.param("States.MathRandom(1, 1)", {}, id="aws-obs:MRAND-005"),
        pytest.param("States.MathRandom(1.4, 1.6)", {}, id="aws-obs:MRAND-009-truncated-to-empty"),
        pytest.param("States.MathRandom(1, 10, null)", {}, id="aws-obs:MRAND-019-null-seed"),
        pytest.param("States.MathAdd(2147483647, 1)", {}, id="aws-obs:MADD-011-overflow"),
        pytest.param("States.MathAdd(3000000000, 1)", {}, id="aws-obs:MADD-013-operand-range"),
        pytest.param("States.MathAdd(true, 1)", {}, id="aws-obs:MADD-020-boolean"),
        pytest.param("States.MathAdd('1', 2)", {}, id="aws-obs:MADD-031-string"),
        pytest.param("States.StringSplit($.s, ',')", {"s": 5}, id="guide:string-split-needs-string"),
    ],
)
def test_invalid_arguments(text: str, data: object) -> None:
    with pytest.raises(StatesError) as failure:
        run(text, data)
    name = re.match(r"States\.\w+", text).group()
    assert (failure.value.error, failure.value.cause) == (RUNTIME, f"Invalid arguments in {name}")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("States.Foo($.a)", id="unknown-function"),
        pytest.param("States.MathAdd(1, 2, 3)", id="arity-too-many"),
        pytest.param("States.MathRandom(1)", id="arity-too-few"),
        pytest.param("States.UUID(1)", id="uuid-takes-nothing"),
        pytest.param("States.Format()", id="format-needs-template"),
        pytest.param("States.ArrayPartition($.a, )", id="empty-argument"),
        pytest.param("States.Array(1", id="unclosed-call"),
        pytest.param("States.Array(1) x", id="trailing-text"),
        pytest.param("States.Array('abc)", id="unterminated-string"),
        pytest.param("States.Base64Decode('YWJj\\nZA==')", id="aws-obs:B64D-025-unknown-escape"),
        pytest.param("States.Array($.a b)", id="bad-path"),
        pytest.param("States.Array(yes)", id="bare-word"),
        pytest.param("$.a", id="not-a-call"),
        pytest.param("States.MathAdd(" * 11 + "1, 1" + "), 1" * 10 + ")", id="eleven-deep"),
    ],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(IntrinsicSyntaxError):
        compile_intrinsic(text)


def test_ten_nested_calls_compile() -> None:
    """guide: up to 10 intrinsic functions may be nested in one field."""
    text = "States.MathAdd(" * 10 + "1, 1" + "), 1" * 9 + ")"
    assert run(text) == 2 + 9
    assert str(compile_intrinsic(text)) == text


def test_paths_with_commas_and_parentheses_inside_brackets() -> None:
    data = {"a,b": 1, "items": [{"k": "x, y"}, {"k": "z"}]}
    assert run("States.Array($['a,b'], $.items[?(@.k == 'x, y')].k)", data) == [1, ["x, y"]]


def _recorded_cases() -> list[tuple[str, str, object, object, object]]:
    """Every Pass-state Parameters field that is a single intrinsic, from AWS-recorded cases whose
    Pass state is the whole machine, so the state input is the execution input."""
    rows = []
    for file in case_files(EXECUTION_CASES):
        case = json.loads(file.read_text())
        states = case["definition"].get("States", {})
        if case.get("needs_mocks") or "jsonata" in case.get("features", []) or len(states) != 1:
            continue
        (state,) = states.values()
        reshaped = {"InputPath", "OutputPath", "ResultPath"} & state.keys()
        if state["Type"] != "Pass" or case["expected"]["status"] != "SUCCEEDED" or reshaped:
            continue
        for key, text in state.get("Parameters", {}).items():
            if key.endswith(".$") and isinstance(text, str) and text.startswith("States."):
                if not UNPREDICTABLE.search(text):
                    expected = case["expected"]["output"][key[:-2]]
                    rows.append((file.name, text, case["input"], expected, case["input"]))
    return rows


RECORDED = _recorded_cases()


def test_recorded_cases_were_found() -> None:
    assert len(RECORDED) >= 80


@pytest.mark.parametrize(
    "name, text, data, expected, execution_input", RECORDED, ids=[row[0] for row in RECORDED]
)
def test_recorded_cases(
    name: str, text: str, data: object, expected: object, execution_input: object
) -> None:
    context = {"Execution": {"Input": execution_input}}
    assert run(text, data, context) == expected
