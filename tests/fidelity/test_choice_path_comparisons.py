"""Every `...Path` comparison operator of a JSONPath Choice rule compares against the value the
path names (https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html, "Choice Rules":
"Choice Rules support comparison between two variables ... by appending Path to name of supported
comparison operators"). Part of issue 15's field table: each operator is exercised here by name.
"""

from __future__ import annotations

from typing import Any

import pytest

from asl_engine.testing import run_definition

EARLY, LATE = "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"
CASES = [  # operator, variable value, other value, expected match
    ("StringEqualsPath", "b", "b", True), ("StringLessThanPath", "a", "b", True),
    ("StringGreaterThanPath", "a", "b", False), ("StringLessThanEqualsPath", "b", "b", True),
    ("StringGreaterThanEqualsPath", "a", "b", False),
    ("NumericEqualsPath", 2, 2.0, True), ("NumericLessThanPath", 1, 2, True),
    ("NumericGreaterThanPath", 1, 2, False), ("NumericLessThanEqualsPath", 3, 2, False),
    ("NumericGreaterThanEqualsPath", 2, 2, True),
    ("TimestampEqualsPath", EARLY, EARLY, True), ("TimestampLessThanPath", EARLY, LATE, True),
    ("TimestampGreaterThanPath", EARLY, LATE, False), ("TimestampLessThanEqualsPath", LATE, LATE, True),
    ("TimestampGreaterThanEqualsPath", EARLY, LATE, False),
    ("BooleanEqualsPath", True, True, True),
]


@pytest.mark.parametrize("operator, value, other, matches", CASES)
def test_path_comparison(operator: str, value: Any, other: Any, matches: bool) -> None:
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", operator: "$.other", "Next": "Yes"}],
              "Default": "No"},
        "Yes": {"Type": "Pass", "Result": "yes", "End": True},
        "No": {"Type": "Pass", "Result": "no", "End": True}}}
    result = run_definition(definition, {"v": value, "other": other})
    assert (result.status, result.output) == ("SUCCEEDED", "yes" if matches else "no")
