"""JSONata evaluation against what AWS records and documents.

Sources, named in each row's id:
* `case:<file>` rows come from tests/conformance/cases (recorded on AWS);
  `test_recorded_pass_outputs` also replays every single-Pass-state JSONata case from the files.
* `guide:transforming-data` rows encode the AWS developer guide page "Transforming data with
  JSONata in Step Functions" (functions provided by Step Functions, `{% %}` syntax).
* `guide:intrinsic-functions` rows borrow States.Hash's algorithm list, which $hash replaces.
* `engine` rows pin this engine's own bounds (AWS documents none) and must not regress.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any

import pytest

from asl_engine.jsonata import (
    UNDEFINED,
    JsonataEvaluationError,
    JsonataSyntaxError,
    QueryEvaluationFailed,
    compile_expression,
    compile_template,
    is_jsonata_template,
)
from corpora import EXECUTION_CASES, case_files

# AWS's cause is "An error occurred while executing the state 'X' (entered at the event id #N). "
# followed by the part this module produces.
STATE_PREFIX = ". "


def run(text: str, states_input: Any = None, **variables: Any) -> Any:
    return compile_expression(text).evaluate({"states": {"input": states_input}, **variables})


def fails(text: str, **variables: Any) -> str:
    with pytest.raises(JsonataEvaluationError) as info:
        run(text, **variables)
    return str(info.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("$partition([0, 1, 2], 2)", [[0, 1], [2]], id="case:test_array_partition__exec_hist_resp_11"),
        pytest.param("$partition([0], 3)", [[0]], id="case:test_array_partition__exec_hist_resp_2-no-collapse"),
        pytest.param("$partition([0, 1, 2, 3], 2)", [[0, 1], [2, 3]], id="case:test_array_partition__exec_hist_resp_16"),
        pytest.param("$partition([1,2,3,4,5,6,7,8,9], 3)", [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
                     id="guide:transforming-data-partition"),
        pytest.param("$range(0, 9, 3)", [0, 3, 6, 9], id="case:test_array_range__exec_hist_resp_0-end-inclusive"),
        pytest.param("$range(0, 10, 3)", [0, 3, 6, 9], id="case:test_array_range__exec_hist_resp_1"),
        pytest.param("$range(1, 9, 9)", 1, id="case:test_array_range__exec_hist_resp_2-singleton-collapses"),
        pytest.param("$range(1, 9, 2)", [1, 3, 5, 7, 9], id="case:test_array_range__exec_hist_resp_3"),
        pytest.param("$range(0, 10, 2)", [0, 2, 4, 6, 8, 10], id="guide:transforming-data-range"),
        pytest.param("$range(10, 0, -5)", [10, 5, 0], id="guide:transforming-data-range-negative-step"),
        pytest.param("$hash('input data', 'SHA-256')", hashlib.sha256(b"input data").hexdigest(),
                     id="guide:transforming-data-hash"),
        pytest.param("$hash('x', 'MD5')", hashlib.md5(b"x").hexdigest(), id="guide:intrinsic-functions-hash-md5"),
        pytest.param("$hash('x', 'SHA-1')", hashlib.sha1(b"x").hexdigest(), id="guide:intrinsic-functions-hash-sha1"),
        pytest.param("$hash('x', 'SHA-384')", hashlib.sha384(b"x").hexdigest(), id="guide:intrinsic-functions-sha384"),
        pytest.param("$hash('x', 'SHA-512')", hashlib.sha512(b"x").hexdigest(), id="guide:intrinsic-functions-sha512"),
        pytest.param("$random(42) = $random(42)", True, id="guide:transforming-data-random-seeded-repeats"),
        pytest.param("$parse('1')", 1, id="case:test_parse__exec_hist_resp_1"),
        pytest.param("$parse('1.1')", 1.1, id="case:test_parse__exec_hist_resp_2"),
        pytest.param("$parse('true')", True, id="case:test_parse__exec_hist_resp_3"),
        pytest.param("$parse('\"HelloWorld\"')", "HelloWorld", id="case:test_parse__exec_hist_resp_4"),
        pytest.param("$parse('{\"Arg1\": 1, \"Arg2\": []}')", {"Arg1": 1, "Arg2": []}, id="case:test_parse__resp_6"),
        pytest.param("$parse('null')", None, id="guide:transforming-data-parse-null-is-null-not-undefined"),
    ],
)
def test_aws_functions(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_random_and_uuid_shapes() -> None:
    """guide:transforming-data: $random() is in [0, 1); $uuid() is a version 4 UUID."""
    assert 0 <= run("$random()") < 1
    assert uuid.UUID(run("$uuid()")).version == 4
    assert run("$uuid()") != run("$uuid()")


@pytest.mark.parametrize(
    "text, fragment",
    [
        pytest.param("$eval('1')", "T1006: Attempted to invoke a non-function", id="guide:transforming-data-no-eval"),
        pytest.param("$randomSeeded(1)", "T1006: Attempted to invoke a non-function",
                     id="case:test_math_random_seeded__exec_hist_resp_0"),
        pytest.param("$hash('x', 'SHA-3')", "hash algorithm 'SHA-3' is not supported", id="engine-hash-algorithm"),
        pytest.param("$partition([1], 0)", "must be a positive integer", id="engine-partition-size"),
        pytest.param("$range(0, 5, 0)", "must not be zero", id="engine-range-step"),
        pytest.param("$range(0, 1e9, 1)", "must not exceed", id="engine-range-cap"),
        pytest.param("$parse('{')", "not valid JSON", id="engine-parse-invalid"),
        pytest.param("$hash(1, 'MD5')", "T0410: Argument 1 of function hash does not match function signature",
                     id="engine-signature-wording-says-function"),
    ],
)
def test_evaluation_errors(text: str, fragment: str) -> None:
    assert fragment in fails(text)


@pytest.mark.parametrize("text", ["1/0", "0/0", "1 % 0", "$power(10, 400)", "$sum([1e308, 1e308])",
                                  "$formatNumber(1/0, '#')", "$substring('abc', 1/0)"])
def test_arithmetic_beyond_a_double_is_d1001(text: str) -> None:
    """JavaScript's JSONata makes Infinity or NaN of these and refuses it as a number out of range
    (D1001), as this engine refuses 1e308*10; Python raised ZeroDivisionError, ValueError or
    OverflowError instead, which ended the execution as an internal error no Catch could catch."""
    assert fails(text).startswith("D1001: Number out of range")


@pytest.mark.parametrize(
    "text, variables, expected",
    [
        pytest.param("$sum($states.input.input_values) + $var_constant_1", {"var_constant_1": 1}, 7,
                     id="case:v2_outputdecl_test_output__*BASE_DIRECT_EXPR-int-not-float"),
        pytest.param("$states.input.input_values[1] / 2", {}, 1, id="engine-integral-float-is-int"),
        pytest.param("$states.input.input_values[0] / 2", {}, 0.5, id="engine-fraction-stays-float"),
        pytest.param("$states.input.two_float", {}, 2, id="engine-integral-input-float-prints-as-int"),
        pytest.param("$parse('[1.0, 1.5]')", {}, [1, 1.5], id="engine-parsed-integral-float-is-int"),
        pytest.param("$states.input.huge", {}, 1e300, id="engine-float-beyond-2^53-stays-float"),
        pytest.param("$nullvar", {"nullvar": None}, None, id="guide:workflow-variables-null-variable-is-null"),
        pytest.param("$states.input.nothing", {}, None, id="engine-null-field-is-null"),
        pytest.param("$exists($states.input.nothing)", {}, True, id="engine-null-field-exists"),
        pytest.param("$missing", {}, UNDEFINED, id="case:test_undefined_reference-undefined-variable"),
        pytest.param("$states.input.absent", {}, UNDEFINED, id="engine-absent-field-is-undefined"),
    ],
)
def test_values(text: str, variables: dict[str, Any], expected: Any) -> None:
    value = run(text, {"input_values": [1, 2, 3], "nothing": None, "two_float": 2.0, "huge": 1e300}, **variables)
    assert value == expected and repr(value) == repr(expected)


def test_result_does_not_alias_bindings() -> None:
    """The interpreter may mutate what it gets back; the bound input must stay as it was."""
    data = {"list": [1, {"a": 1}]}
    result = run("$states.input", data)
    result["list"][1]["a"] = 2
    assert data == {"list": [1, {"a": 1}]}


def test_compiled_expression_is_reusable() -> None:
    expression = compile_expression("$states.input.n * 2")
    assert [expression.evaluate({"states": {"input": {"n": n}}}) for n in (1, 2, 3)] == [2, 4, 6]


@pytest.mark.parametrize(
    "value, expected",
    [
        pytest.param("{% $states.input %}", True, id="guide:transforming-data-syntax"),
        pytest.param("{%$x%}", True, id="engine-no-inner-spaces-needed"),
        pytest.param(" {% states.input %} ", False, id="case:v2_outputdecl_test_output__*BASE_LITERALS-spaces"),
        pytest.param("$states.input", False, id="case:v2_outputdecl_test_output__*BASE_LITERALS-varpath"),
        pytest.param("{%", False, id="engine-too-short"),
        pytest.param(1, False, id="engine-not-a-string"),
    ],
)
def test_is_jsonata_template(value: Any, expected: bool) -> None:
    assert is_jsonata_template(value) is expected


@pytest.mark.parametrize("text", ["$foo(", "1 +", "{% nested %}", ""])
def test_syntax_errors_are_raised_at_compile_time(text: str) -> None:
    with pytest.raises(JsonataSyntaxError):
        compile_template("{%" + text + "%}")


def template_failure(template: Any, field: str, variables: dict[str, Any] | None = None) -> str:
    with pytest.raises(QueryEvaluationFailed) as info:
        compile_template(template).evaluate({"states": {"input": {}}, **(variables or {})}, field)
    return str(info.value)


@pytest.mark.parametrize(
    "template, field, cause",
    [
        pytest.param("{% $doesNotExist %}", "Output",
                     "The JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined).",
                     id="case:test_undefined_reference_BASE_UNDEFINED_OUTPUT"),
        pytest.param({"result": "{% $doesNotExist %}"}, "Output",
                     "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing "
                     "(undefined).", id="case:test_undefined_reference_BASE_UNDEFINED_OUTPUT_FIELD"),
        pytest.param("{% $doesNotExist %}", "Arguments",
                     "The JSONata expression '$doesNotExist' specified for the field 'Arguments' returned nothing "
                     "(undefined).", id="case:test_undefined_reference_BASE_UNDEFINED_ARGUMENTS"),
        pytest.param({"FunctionResult": "{% $randomSeeded($states.input.FunctionInput.fst) %}"}, "Output",
                     "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the field "
                     "'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function",
                     id="case:test_math_random_seeded__exec_hist_resp_0"),
        pytest.param("{% $fn := function($x){$x} %}", "Items",
                     "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an "
                     "unsupported result type.", id="case:test_map_state_items_eval_jsonata_fail_function"),
        pytest.param({"a": ["{% 1 %}", "{% $none %}"]}, "Output",
                     "The JSONata expression '$none' specified for the field 'Output/a/1' returned nothing (undefined).",
                     id="engine-array-element-path-unrecorded"),
    ],
)
def test_template_failures(template: Any, field: str, cause: str) -> None:
    assert template_failure(template, field) == cause


def test_template_literals_pass_through_unchanged() -> None:
    """case:v2_outputdecl_test_output__*BASE_LITERALS: non-template strings, including JSONPath- and
    intrinsic-looking ones, are literals; the result is a fresh copy each time."""
    literals = {"n": None, "i": 0, "f": 0.1, "s": " {% states.input %} ", "p": "$.x", "lst": [[], {"c": 0}],
                "if": "States.Format('Format:{}', 101)"}
    expected = json.loads(json.dumps(literals))
    template = compile_template(literals)
    first = template.evaluate({"states": {"input": {}}}, "Output")
    assert first == expected
    first["lst"][1]["c"] = 9
    assert template.evaluate({"states": {"input": {}}}, "Output") == expected


def test_template_mixes_expressions_and_literals() -> None:
    """case:v2_evaluate_jsonata_test_base_evaluate_expressions__*test_base_map_ITEMS."""
    template = compile_template([1, '{% $number("2") %}', 3])
    assert template.evaluate({"states": {"input": {}}}, "Items") == [1, 2, 3]
    assert template.expression is None
    assert compile_template("{% $x %}").expression.text == "$x"


@pytest.mark.parametrize(
    "text, fragment",
    [
        # AWS's wording for a spent budget (TestState causes quoted in floci-io/floci#2737)
        pytest.param("($f := function(){$f()}; $f())", "Expression evaluation timeout: Check for infinite loop",
                     id="engine-infinite-tail-call-times-out"),
        pytest.param("($f := function($n){1 + $f($n + 1)}; $f(0))", "Stack overflow error: Check for non-terminating",
                     id="engine-unbounded-recursion"),
    ],
)
def test_hostile_expressions_are_bounded(text: str, fragment: str) -> None:
    started = time.monotonic()
    with pytest.raises(JsonataEvaluationError, match=fragment):
        compile_expression(text).evaluate({}, timeout_ms=200)
    assert time.monotonic() - started < 5


def test_moderate_recursion_is_allowed() -> None:
    """engine: the depth budget leaves room for ordinary recursive functions."""
    assert run("($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(300))") == 300


def _recorded_pass_cases() -> list[Any]:
    """Every AWS-recorded single-state JSONata Pass machine whose Output needs only $states.input."""
    params = []
    for file in case_files(EXECUTION_CASES):
        case = json.loads(file.read_text())
        states = case["definition"]["States"]
        if "jsonata" not in case["features"] or len(states) != 1:
            continue
        (state,) = states.values()
        text = json.dumps(state.get("Output"))
        if state["Type"] != "Pass" or "Output" not in state or "Assign" in state or "$states.context" in text:
            continue
        if any(name in text for name in ("$uuid", "$random(", "$now", "$millis")):
            continue
        expected = case["expected"]
        outcome = expected["output"] if expected["status"] == "SUCCEEDED" else expected["cause"]
        params.append(pytest.param(state["Output"], case["input"], expected["status"], outcome, id=file.stem[:90]))
    return params


RECORDED = _recorded_pass_cases()


def test_recorded_cases_were_found() -> None:
    assert len(RECORDED) >= 30


@pytest.mark.parametrize("output, execution_input, status, outcome", RECORDED)
def test_recorded_pass_outputs(output: Any, execution_input: Any, status: str, outcome: Any) -> None:
    template = compile_template(output)
    if status == "SUCCEEDED":
        assert template.evaluate({"states": {"input": execution_input}}, "Output") == outcome
    else:
        with pytest.raises(QueryEvaluationFailed) as info:
            template.evaluate({"states": {"input": execution_input}}, "Output")
        assert outcome.endswith(STATE_PREFIX + str(info.value))
