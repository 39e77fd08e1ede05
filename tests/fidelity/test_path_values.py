"""Item 5 of issue 15: a number that arrives through a `...Path` field is checked as AWS checks
the literal field it stands for, from one table (asl_engine/path_values.LITERAL_RULES).

The literal rules are the definition schema's (schemas/asl.schema.json: TimeoutSeconds and
HeartbeatSeconds positive integers, Seconds, MaxConcurrency and ToleratedFailureCount non-negative
integers, ToleratedFailurePercentage 0-100; AWS's wording "must be a positive integer" etc., see
https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html, state-wait.html and
state-map.html). Wordings come from the recorded cases in ../shared/conformance/aws/cases:
`The SecondsPath parameter cannot be parsed as a long value` (test_base_wait_seconds_path_1.5),
`The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer`
(test_max_concurrency_path_NoNumber), `ToleratedFailurePercentage must be between 0 and 100.`
(test_map_state_tolerated_failure_percentage_path_100.1); a rule broken in a way no recording
covers is worded with the same sentence and the literal's own bounds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from asl_engine.path_values import LITERAL_RULES
from asl_engine.testing import run_definition

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "asl.schema.json").read_text())
OWNER = {"Seconds": "Wait", "TimeoutSeconds": "Task", "HeartbeatSeconds": "Task", "MaxConcurrency": "Map",
         "ToleratedFailureCount": "Map", "ToleratedFailurePercentage": "Map"}


@pytest.mark.parametrize("literal", sorted(OWNER))
def test_the_table_is_the_schema_rule(literal: str) -> None:
    definitions = SCHEMA["$defs"]
    assert f"{literal}Path" in definitions[OWNER[literal]]["properties"]
    reference = definitions[OWNER[literal]]["properties"][literal]["$ref"].rsplit("/", 1)[-1]
    number = definitions[reference]["anyOf"][0]
    rule = LITERAL_RULES[literal]
    assert (rule.integer, rule.minimum, rule.maximum) == (
        number["type"] == "integer", number["minimum"], number["maximum"])
    assert definitions[reference]["x-aws-message"] == f"must be a {rule.noun}"


def test_every_numeric_path_field_has_a_rule() -> None:
    path_fields = {name for state in ("Wait", "Task", "Map") for name in SCHEMA["$defs"][state]["properties"]
                   if name.endswith("Path") and name.removesuffix("Path") in SCHEMA["$defs"][state]["properties"]
                   and "$ref" in SCHEMA["$defs"][state]["properties"][name.removesuffix("Path")]}
    assert {name.removesuffix("Path") for name in path_fields} == set(LITERAL_RULES)


PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def _run(field: str, value: Any) -> tuple[str, str | None]:
    if field == "SecondsPath":
        state: dict[str, Any] = {"Type": "Wait", "SecondsPath": "$.v"}
    elif field in ("TimeoutSecondsPath", "HeartbeatSecondsPath"):
        state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", field: "$.v"}
    else:
        state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": PROCESSOR, field: "$.v"}

    async def answer(request: Any) -> Any:
        return {}

    result = run_definition({"StartAt": "S", "States": {"S": {**state, "End": True}}},
                            {"v": value, "items": [1]}, tasks=answer)
    prefix = "An error occurred while executing the state 'S' (entered at the event id #2). "
    if result.status == "SUCCEEDED":
        return "SUCCEEDED", None
    assert result.error == "States.Runtime"
    assert result.event_types[-1] == "ExecutionFailed"
    return result.status, (result.cause or "").removeprefix(prefix)


@pytest.mark.parametrize("field, value, cause", [
    ("SecondsPath", -1, "The SecondsPath parameter does not reference a non-negative integer: $.v == -1"),
    ("SecondsPath", 1.5, "The SecondsPath parameter cannot be parsed as a long value: $.v == 1.5"),
    ("SecondsPath", 100_000_000,
     "The SecondsPath parameter does not reference a non-negative integer: $.v == 100000000"),
    ("SecondsPath", 0, None),
    ("TimeoutSecondsPath", 0, "The TimeoutSecondsPath parameter does not reference a positive integer: $.v == 0"),
    ("TimeoutSecondsPath", -3, "The TimeoutSecondsPath parameter does not reference a positive integer: $.v == -3"),
    ("TimeoutSecondsPath", 2.5,
     "The TimeoutSecondsPath parameter does not reference a positive integer: $.v == 2.5"),
    ("TimeoutSecondsPath", "5",
     'The TimeoutSecondsPath parameter does not reference a positive integer: $.v == "5"'),
    ("TimeoutSecondsPath", 100_000_000,
     "The TimeoutSecondsPath parameter does not reference a positive integer: $.v == 100000000"),
    ("TimeoutSecondsPath", 5, None),
    ("HeartbeatSecondsPath", -1,
     "The HeartbeatSecondsPath parameter does not reference a positive integer: $.v == -1"),
    ("MaxConcurrencyPath", -1, "MaxConcurrency must be between 0 and 99999999."),
    ("MaxConcurrencyPath", 1.5, 'The MaxConcurrencyPath field refers to value "1.5" which is not a valid integer: $.v'),
    ("MaxConcurrencyPath", 0, None),
    ("ToleratedFailureCountPath", -2, "ToleratedFailureCount must be between 0 and 99999999."),
    ("ToleratedFailureCountPath", [1],
     'The ToleratedFailureCountPath field refers to value "[1]" which is not a valid integer: $.v'),
    ("ToleratedFailurePercentagePath", 100.5, "ToleratedFailurePercentage must be between 0 and 100."),
    ("ToleratedFailurePercentagePath", True,
     'The ToleratedFailurePercentagePath field refers to value "true" which is not a valid float: $.v'),
    ("ToleratedFailurePercentagePath", 12.5, None),
])
def test_path_values_follow_the_literal_rules(field: str, value: Any, cause: str | None) -> None:
    status, found = _run(field, value)
    assert (status, found) == (("SUCCEEDED", None) if cause is None else ("FAILED", cause))
