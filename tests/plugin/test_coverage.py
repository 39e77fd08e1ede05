"""Coverage read from what the engine records: nested states by path, Retry and Catch clauses of a
Parallel (whose failures AWS records once, as ParallelStateFailed, when it stops retrying), and
Choice rules that lead to the same state. Retry and Catch pick the first clause whose ErrorEquals
matches (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""

from __future__ import annotations

from asl_engine.testing import Environment
from asl_engine.testing.coverage import Coverage

PARALLEL = {"StartAt": "Both", "States": {
    "Both": {"Type": "Parallel", "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                 "Parameters": {"FunctionName": "left"}, "End": True}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}}],
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 1}],
        "Catch": [{"ErrorEquals": ["Bad"], "Next": "Recover"}, {"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
        "Next": "Done"},
    "Recover": {"Type": "Pass", "End": True},
    "Done": {"Type": "Succeed"}}}

ROUTES = {"StartAt": "Route", "States": {
    "Route": {"Type": "Choice", "Choices": [
        {"Variable": "$.n", "NumericLessThan": 0, "Next": "Odd"},
        {"Variable": "$.n", "NumericGreaterThan": 100, "Next": "Odd"}], "Default": "Fine"},
    "Odd": {"Type": "Pass", "End": True},
    "Fine": {"Type": "Pass", "End": True}}}


def covered(coverage: Coverage, machine: str) -> dict[str, list[str]]:
    return {kind: [item for item, hit in items.items() if hit]
            for kind, items in coverage.machines[machine].items.items()}


def test_a_parallel_retried_then_caught_covers_its_clauses_and_nested_states() -> None:
    coverage = Coverage()
    with Environment(coverage=coverage) as asl:
        asl.create("Par", PARALLEL)
        asl.mock("Par", "Left", raises=("Flaky", "once"), times=1)
        asl.mock("Par", "Left", raises=("Bad", "then for good"), times=1)
        assert asl.start("Par").wait().path[-1] == "Recover"

    assert covered(coverage, "Par") == {
        "states": ["Both", "Both/Left", "Both/Right", "Recover"],
        "choices": [],
        "retries": ["Both #1 [Flaky]"],
        "catches": ["Both #1 [Bad] -> Recover"],
    }
    assert coverage.machines["Par"].total == 8  # 5 states, 1 Retry, 2 Catch


def test_of_two_rules_to_one_state_the_first_that_holds_is_taken_and_runs_merge() -> None:
    coverage = Coverage()
    with Environment(coverage=coverage) as asl:
        asl.create("Routes", ROUTES)
        asl.start("Routes", {"n": 500}).wait()
    with Environment(coverage=coverage) as asl:  # another test: merged by the machine's name
        asl.create("Routes", ROUTES)
        asl.start("Routes", {"n": 5}).wait()

    assert covered(coverage, "Routes")["choices"] == ["Route #2 -> Odd", "Route Default -> Fine"]
    assert f"{coverage.percent:.0f}" == "83"  # 5 of 6: rule #1 never taken
