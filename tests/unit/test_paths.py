"""JSONPath, reference paths, payload templates and the data-flow steps, as tables.

Sources: AWS developer guide "Input and Output Processing" pages
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html,
.../input-output-inputpath-params.html, .../input-output-resultpath.html,
.../input-output-example.html) and recorded cases in tests/conformance/cases.
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine.dataflow import apply_input_path, apply_output_path, apply_result_path
from asl_engine.errors import DefinitionError, StatesError
from asl_engine.paths import PathNotFound, PathSyntaxError, Scope, compile_path
from asl_engine.payload import compile_template

DOC = {"a": {"b": [10, 20, {"c": "deep"}]}, "items": [{"v": 1}, {"v": 2}], "odd key": 5}
CONTEXT = {"Execution": {"Id": "arn:exec", "Input": {"x": 1}}, "State": {"Name": "S"}}


@pytest.mark.parametrize(
    "path, expected",
    [
        ("$", DOC),  # "$" selects the whole input (input-output-inputpath-params)
        ("$.a.b[1]", 20),  # dot and index notation
        ("$.a.b[-1].c", "deep"),  # Jayway: negative index from the end
        ("$['odd key']", 5),  # bracket notation for names with spaces
        ("$.items[*].v", [1, 2]),  # indefinite path -> list of matches
        ("$.items[0:1]", [{"v": 1}]),  # slice
        ("$.items[?(@.v > 1)]", [{"v": 2}]),  # filter expression
        ("$.nothing[*]", []),  # recorded: test_json_path_array_wildcard_or_slice_with_no_input
        ("$.a.b[(@.length-2)]", 20),  # Jayway script index; validator corpus aslv-valid-path-array-context
    ],
)
def test_path_selects(path: str, expected: Any) -> None:
    assert compile_path(path).select(Scope(DOC, CONTEXT)) == expected


@pytest.mark.parametrize(
    "path, expected",
    [
        ("$$.Execution.Id", "arn:exec"),  # context object (input-output-contextobject)
        ("$$.Execution.Input.x", 1),
        ("$$", CONTEXT),  # recorded: test_context_object::test_output_path
    ],
)
def test_context_paths(path: str, expected: Any) -> None:
    assert compile_path(path).select(Scope({}, CONTEXT)) == expected


def test_variable_paths_read_variables() -> None:
    # workflow-variables: "$varName" references a variable in JSONPath fields
    scope = Scope({}, CONTEXT, {"order": {"id": 7}})
    assert compile_path("$order.id").select(scope) == 7
    with pytest.raises(PathNotFound):
        compile_path("$missing").select(scope)


@pytest.mark.parametrize("path", ["$.a.missing", "$.a.b[9]", "$.items.v"])
def test_definite_path_that_selects_nothing_raises(path: str) -> None:
    with pytest.raises(PathNotFound):
        compile_path(path).select(Scope(DOC))


@pytest.mark.parametrize("text", ["a.b", "", "$.a[", 42])
def test_path_syntax_errors(text: Any) -> None:
    with pytest.raises(PathSyntaxError):
        compile_path(text)


@pytest.mark.parametrize(
    "result_path, raw, result, expected",
    [
        ("$", {"x": 1}, {"r": 2}, {"r": 2}),  # ResultPath "$" replaces the input (input-output-resultpath)
        ("$.r", {"x": 1}, 2, {"x": 1, "r": 2}),  # adds the result beside the input
        ("$.a.b.c", {"x": 1}, 3, {"x": 1, "a": {"b": {"c": 3}}}),  # creates missing objects
        ("$.x", {"x": {"old": 1}}, "new", {"x": "new"}),  # overwrites an existing node
        (None, {"x": 1}, "discarded", {"x": 1}),  # ResultPath null keeps the input
    ],
)
def test_result_path(result_path: str | None, raw: Any, result: Any, expected: Any) -> None:
    path = compile_path(result_path) if result_path else None
    assert apply_result_path(path, raw, result) == expected


def test_result_path_leaves_the_input_untouched() -> None:
    raw = {"a": {"keep": 1}}
    apply_result_path(compile_path("$.a.new"), raw, 2)
    assert raw == {"a": {"keep": 1}}


def test_result_path_into_a_non_object_fails() -> None:
    # States.ResultPathMatchFailure: "a state's ResultPath field cannot be applied to the input"
    with pytest.raises(StatesError) as failure:
        apply_result_path(compile_path("$.a.b"), {"a": 5}, 1)
    assert failure.value.error == "States.ResultPathMatchFailure"


def test_input_path_null_gives_empty_object() -> None:
    # input-output-inputpath-params: "InputPath": null -> {}
    assert apply_input_path(None, Scope({"x": 1})) == {}
    assert apply_output_path(None, {"x": 1}, Scope({})) == {}


def test_missing_input_path_words_the_error_as_aws() -> None:
    # recorded: test_invalid_jsonpath[ST.INVALID_JSONPATH_IN_INPUTPATH]
    with pytest.raises(StatesError) as failure:
        apply_input_path(compile_path("$.NoSuchInputPath"), Scope({"int-literal": 0}))
    assert failure.value.error == "States.Runtime"
    assert failure.value.cause == "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"


@pytest.mark.parametrize(
    "template, expected",
    [
        # input-output-inputpath-params: keys ending in ".$" take a path's value, others are literal
        ({"flag": True, "n": 1}, {"flag": True, "n": 1}),
        ({"b.$": "$.a.b[0]", "lit": "x"}, {"b": 10, "lit": "x"}),
        ({"nested": {"all.$": "$.items[*].v"}}, {"nested": {"all": [1, 2]}}),
        ({"list": [{"id.$": "$$.Execution.Id"}, 2]}, {"list": [{"id": "arn:exec"}, 2]}),
        ({"msg.$": "States.Format('n={}', $.odd key)"}, None),  # invalid path inside intrinsic
        ({"msg.$": "States.Format('{} and {}', $.a.b[0], $.a.b[1])"}, {"msg": "10 and 20"}),
    ],
)
def test_payload_templates(template: dict[str, Any], expected: Any) -> None:
    if expected is None:
        with pytest.raises(DefinitionError):
            compile_template(template, "/States/S/Parameters")
        return
    assert compile_template(template, "/States/S/Parameters").evaluate(Scope(DOC, CONTEXT)) == expected


def test_template_path_failure_words_the_error_as_aws() -> None:
    # recorded: test_invalid_jsonpath[INVALID_JSONPATH_IN_STRING_EXPR_CONTEXTPATH]
    template = compile_template({"value.$": "$$.Execution.Input.no_such_jsonpath"}, "/States/pass/Parameters")
    with pytest.raises(StatesError) as failure:
        template.evaluate(Scope({"int-literal": 0}, CONTEXT))
    assert failure.value.error == "States.Runtime"
    assert failure.value.cause == (
        "The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' "
        "could not be found in the input '{\"int-literal\":0}'"
    )


def test_template_with_bad_path_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError) as failure:
        compile_template({"v.$": "not a path"}, "/States/S/Parameters")
    assert failure.value.location == "/States/S/Parameters/v.$"
