"""Item 4 of issue 15: a Choice state with no matching rule and no Default.

AWS names this error `States.NoChoiceMatched`: "A Choice state failed to find a match for the
condition field extracted from its input" (developer guide, "Error names",
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html; the ASL
specification lists it among the predefined error codes, https://states-language.net/spec.html#appendix-a).
No recording in the corpus covers a no-match run, and no source gives the query languages different
errors, so JSONPath and JSONata raise the same error with the same cause.
"""

from __future__ import annotations

import pytest

from asl_engine.testing import run_definition

RULES = {
    "JSONPath": {"Variable": "$.x", "NumericEquals": 1, "Next": "Done"},
    "JSONata": {"Condition": "{% $states.input.x = 1 %}", "Next": "Done"},
}


@pytest.mark.parametrize("language", RULES)
def test_no_match_and_no_default_is_no_choice_matched(language: str) -> None:
    definition = {"QueryLanguage": language, "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [RULES[language]]}, "Done": {"Type": "Succeed"}}}
    result = run_definition(definition, {"x": 2})
    assert (result.status, result.error) == ("FAILED", "States.NoChoiceMatched")
    assert result.cause == ("An error occurred while executing the state 'C' (entered at the event id #2). "
                            "No Matches! No Choice Rule matched the input and no Default was specified.")
    assert result.event_types == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]


def test_the_error_can_be_caught_by_a_parent_parallel() -> None:
    """It is an ordinary error name (not States.Runtime), so a Parallel's States.ALL catches it."""
    choice = {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [RULES["JSONPath"]]},
                                         "Done": {"Type": "Succeed"}}}
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [choice], "Next": "Caught",
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True}}}
    result = run_definition(definition, {"x": 2})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["error"]["Error"] == "States.NoChoiceMatched"
