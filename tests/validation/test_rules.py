"""Hand-written rows: one definition, the first diagnostic AWS reports, and where the rule comes from."""

from __future__ import annotations

import json

import pytest

from asl_engine.validate import Diagnostic, format_invalid_definition, validate_definition

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"


def machine(states, **top):
    return {"StartAt": next(iter(states)), "States": states, **top}


def task(**fields):
    return {"Type": "Task", "Resource": LAMBDA, "End": True, **fields}


# (definition, machine type, code, location, source)
ROWS = [
    (machine({"A": {"Type": "Pass", "Next": "B"}}), "STANDARD", "MISSING_TRANSITION_TARGET", "/States/A/Next",
     "corpus orig-transitions-next-missing"),
    (machine({"A": {"Type": "Pass", "End": True}, "X": {"Type": "Pass", "End": True}}), "STANDARD",
     "MISSING_TRANSITION_TARGET", "/States/X", "LocalStack PR #12487: 'State \"X\" is not reachable.'"),
    (machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}), "STANDARD",
     "MISSING_END_STATE", "/States", "corpus orig-terminal-loop-no-terminal"),
    ({"StartAt": "A"}, "STANDARD", "SCHEMA_VALIDATION_FAILED", "/",
     "LocalStack snapshot: 'These fields are required: [States]' at /"),
    (machine({"A": {"Type": "Bogus", "End": True}}), "STANDARD", "SCHEMA_VALIDATION_FAILED", "/States/A/Type",
     "LocalStack snapshot: 'The field 'Type' should have one of these values: [...]'"),
    (machine({"A": {"Type": "Pass", "End": True, "Foo": 1}}), "STANDARD", "SCHEMA_VALIDATION_FAILED", "/States/A",
     "AWS: 'The field \"Foo\" is not supported by Step Functions'"),
    (machine({"A": {"Type": "Pass", "End": True, "Next": "A"}}), "STANDARD", "SCHEMA_VALIDATION_FAILED",
     "/States/A", "ASL spec, Transitions: Next and End are exclusive"),
    (machine({"P": {"Type": "Parallel", "End": True, "Branches": [
        machine({"A": {"Type": "Pass", "End": True}})]}, "A": {"Type": "Pass", "End": True}}), "STANDARD",
     "DUPLICATE_STATE_NAME", "/States/P/Branches/0/States/A", "ASL spec: names unique in the whole machine"),
    (machine({"N" * 81: {"Type": "Pass", "End": True}}), "STANDARD", "INVALID_STATE_NAME", "/States/" + "N" * 81,
     "ASL spec: state names are at most 80 characters"),
    (machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1,
                                                   "Next": "D"}], "Default": "D"}, "D": {"Type": "Succeed"}}),
     "STANDARD", "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0", "ASL spec, Choice Rules: exactly one operator"),
    (machine({"C": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.a", "IsNull": True, "Next": "D"},
                                                   "Next": "D"}]}, "D": {"Type": "Succeed"}}),
     "STANDARD", "SCHEMA_VALIDATION_FAILED", "/States/C/Choices/0/Not", "ASL spec: nested rules have no Next"),
    (machine({"A": task(Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}])}), "STANDARD",
     "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/ErrorEquals", "ASL spec, Error names: States.ALL last"),
    (machine({"A": task(Parameters={"x.$": "nope"})}), "STANDARD", "SCHEMA_VALIDATION_FAILED",
     "/States/A/Parameters", "LocalStack snapshot: 'must be a valid JSONPath or a valid intrinsic function call'"),
    (machine({"A": task(Parameters={"x.$": "States.Format('\\\"')"})}), "STANDARD", "SCHEMA_VALIDATION_FAILED",
     "/States/A/Parameters", "corpus localstack-illegal-intrinsic-escape (recorded)"),
    (machine({"A": task(InputPath="$.a")}, QueryLanguage="JSONata"), "STANDARD", "SCHEMA_VALIDATION_FAILED",
     "/States/A", "AWS guide, Transforming data with JSONata: InputPath is JSONPath-only"),
    (machine({"A": task(Output="{% $states.input %}")}), "STANDARD", "SCHEMA_VALIDATION_FAILED", "/States/A",
     "AWS guide: Output is JSONata-only"),
    (machine({"A": task(Output="{% 1 + * 2 %}")}, QueryLanguage="JSONata"), "STANDARD",
     "SCHEMA_VALIDATION_FAILED", "/States/A/Output", "corpus orig-jsonata-syntax-error"),
    (machine({"W": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}}), "STANDARD",
     "SCHEMA_VALIDATION_FAILED", "/States/W", "AWS guide, Wait state: exactly one of four fields"),
    (machine({"W": {"Type": "Wait", "Timestamp": "2016-12-05 21:29:29Z", "End": True}}), "STANDARD",
     "SCHEMA_VALIDATION_FAILED", "/States/W/Timestamp", "LocalStack snapshot: 'String does not match RFC3339'"),
    (machine({"A": task(TimeoutSeconds=10, HeartbeatSeconds=10)}), "STANDARD", "SCHEMA_VALIDATION_FAILED",
     "/States/A/HeartbeatSeconds", "ASL spec, Task State: HeartbeatSeconds smaller than TimeoutSeconds"),
    (machine({"A": task(Resource="arn:aws:states:::sqs:sendMessage.waitForTaskToken")}), "EXPRESS",
     "SCHEMA_VALIDATION_FAILED", "/States/A/Resource", "LocalStack snapshot: Express does not support it"),
    (machine({"A": task(Resource="arn:aws:states:::dynamodb:query")}), "STANDARD", "SCHEMA_VALIDATION_FAILED",
     "/States/A/Resource", "LocalStack snapshot: 'The resource provided ... is not recognized'"),
    (machine({"M": {"Type": "Map", "End": True, "Label": "a b", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}}), "STANDARD",
     "SCHEMA_VALIDATION_FAILED", "/States/M/Label", "corpus localstack-map-label-space (recorded)"),
    ("[1, 2]", "STANDARD", "SCHEMA_VALIDATION_FAILED", "/", "LocalStack: 'Definition must be a valid JSON object'"),
    ("{not json", "STANDARD", "INVALID_JSON_DESCRIPTION", "/", "LocalStack snapshot: INVALID_JSON_DESCRIPTION"),
]


@pytest.mark.parametrize(("definition", "machine_type", "code", "location", "source"), ROWS,
                         ids=[row[4][:60] for row in ROWS])
def test_first_diagnostic(definition, machine_type, code, location, source):
    first = validate_definition(definition, machine_type)[0]
    assert (first.severity, first.code, first.location) == ("ERROR", code, location), first.message


def test_valid_definition_has_no_errors_and_dict_equals_text():
    definition = machine({"A": {"Type": "Task", "Resource": LAMBDA, "Next": "B"}, "B": {"Type": "Succeed"}})
    assert validate_definition(definition) == validate_definition(json.dumps(definition)) == []


def test_warnings_do_not_fail():
    diagnostics = validate_definition(machine({"A": {"Type": "Pass", "End": True, "Result": {"a.$": "$.x"}}}))
    assert [(d.severity, d.code) for d in diagnostics] == [("WARNING", "PASS_RESULT_IS_STATIC")]


def test_schema_errors_come_before_graph_errors():
    codes = [d.code for d in validate_definition(machine({"A": {"Type": "Pass", "Next": "B", "Foo": 1}}))]
    assert codes[0] == "SCHEMA_VALIDATION_FAILED" and "MISSING_TRANSITION_TARGET" in codes


def test_format_invalid_definition():
    diagnostic = Diagnostic("ERROR", "MISSING_TRANSITION_TARGET", "Missing 'Next' target: B", "/States/A/Next")
    assert format_invalid_definition(diagnostic) == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next'")


def test_schema_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    from asl_engine.validation.schema import SCHEMA

    Draft202012Validator.check_schema(SCHEMA)
