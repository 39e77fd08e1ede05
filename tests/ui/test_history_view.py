"""What the console colours each state with, read from a history alone (no server, no browser).

How Retry and Catch show in a history: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html ;
the Map iteration and Parallel events: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html .
"""

from __future__ import annotations

import json
from typing import Any

from asl_engine.api.ui import graph
from asl_engine.api.ui.history_view import Analysis, analyse
from asl_engine.errors import StatesError
from asl_engine.testing import run_definition
from asl_engine.tasks_api import TaskRequest

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:work"


class FailFirst:
    """A task handler whose first call of each listed state fails with `Flaky`; `Declined` always fails."""

    def __init__(self, *flaky: str) -> None:
        self.flaky = set(flaky)

    async def __call__(self, request: TaskRequest) -> Any:
        if request.state_name in self.flaky:
            self.flaky.discard(request.state_name)
            raise StatesError("Flaky", "try again")
        if request.state_name == "Declined":
            raise StatesError("PaymentDeclined", "card declined")
        return {"done": request.state_name}


def test_retried_caught_failed_succeeded_and_not_run() -> None:
    definition = {"StartAt": "Reserve", "States": {
        "Reserve": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.r",
                    "Retry": [{"ErrorEquals": ["Flaky"]}], "Next": "Declined"},
        "Declined": {"Type": "Task", "Resource": LAMBDA,
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Undo"}], "Next": "Never"},
        "Never": {"Type": "Succeed"},
        "Undo": {"Type": "Fail", "Error": "Cancelled"},
    }}
    result = run_definition(definition, {}, tasks=FailFirst("Reserve"))
    view = analyse(result.events, execution_running=False, now=0)
    assert {name: run.status for name, run in view.states.items()} == {
        "Reserve": "retried", "Declined": "caught", "Undo": "failed"}  # "Never": not entered
    assert (view.states["Reserve"].retries, view.states["Declined"].error) == (1, "PaymentDeclined")
    assert view.states["Undo"].error == "Cancelled"  # the Fail state's, from ExecutionFailed


def test_map_iterations_and_parallel_branches() -> None:
    definition = {"StartAt": "Outer", "States": {
        "Outer": {"Type": "Map", "ItemsPath": "$.rows", "Next": "Both", "ItemProcessor": {
            "StartAt": "Inner", "States": {"Inner": {"Type": "Map", "End": True, "ItemProcessor": {
                "StartAt": "Cell", "States": {"Cell": {"Type": "Pass", "End": True}}}}}}},
        "Both": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
            {"StartAt": "Right", "States": {"Right": {"Type": "Wait", "Seconds": 5, "End": True}}}]},
    }}
    result = run_definition(definition, {"rows": [[1, 2], [3, 4, 5]]})
    view = analyse(result.events, execution_running=False, now=0)
    assert {name: run.status for name, run in view.states.items()} == {
        "Outer": "succeeded", "Inner": "succeeded", "Cell": "succeeded", "Both": "succeeded",
        "Left": "succeeded", "Right": "succeeded"}
    assert (view.states["Outer"].iterations, view.states["Inner"].iterations, view.states["Cell"].visits) == (2, 5, 5)
    # Every event of a state is its own; the Map's iteration events are the Map's.
    ended = [e["id"] for e in result.events if e["type"] == "MapIterationSucceeded"]
    assert {view.state_of_event[i] for i in ended} == {"Outer", "Inner"}


def test_a_state_entered_straight_from_a_failure_was_caught() -> None:
    """AWS records no TaskStateExited for a caught Task: the Catch's target is entered from the
    TaskFailed event itself."""
    events = [
        {"id": 1, "previousEventId": 0, "timestamp": 0, "type": "ExecutionStarted"},
        {"id": 2, "previousEventId": 1, "timestamp": 0, "type": "TaskStateEntered",
         "stateEnteredEventDetails": {"name": "Charge", "input": "{}"}},
        {"id": 3, "previousEventId": 2, "timestamp": 0, "type": "TaskScheduled",
         "taskScheduledEventDetails": {"resourceType": "lambda", "resource": "invoke"}},
        {"id": 4, "previousEventId": 3, "timestamp": 1, "type": "TaskFailed",
         "taskFailedEventDetails": {"error": "Declined", "cause": "no"}},
        {"id": 5, "previousEventId": 4, "timestamp": 1, "type": "PassStateEntered",
         "stateEnteredEventDetails": {"name": "Refund", "input": "{}"}},
    ]
    view = analyse(events, execution_running=True, now=2)
    assert (view.status_of("Charge"), view.status_of("Refund"), view.status_of("Ship")) == \
        ("caught", "running", "not-run")
    assert (view.states["Charge"].error, view.states["Charge"].cause) == ("Declined", "no")
    assert view.visit_duration[4] == 1


def test_a_state_an_execution_was_stopped_in_is_not_shown_running() -> None:
    events = [
        {"id": 1, "previousEventId": 0, "timestamp": 0, "type": "ExecutionStarted"},
        {"id": 2, "previousEventId": 1, "timestamp": 0, "type": "WaitStateEntered",
         "stateEnteredEventDetails": {"name": "Wait", "input": "{}"}},
        {"id": 3, "previousEventId": 2, "timestamp": 3, "type": "ExecutionAborted"},
    ]
    assert analyse(events, execution_running=False, now=9).status_of("Wait") == "failed"
    assert analyse(events[:2], execution_running=True, now=9).status_of("Wait") == "running"


def test_child_executions_are_found_in_start_execution_tasks() -> None:
    child = "arn:aws:states:us-east-1:123456789012:execution:child:run-1"
    events = [
        {"id": 1, "previousEventId": 0, "timestamp": 0, "type": "ExecutionStarted"},
        {"id": 2, "previousEventId": 1, "timestamp": 0, "type": "TaskStateEntered",
         "stateEnteredEventDetails": {"name": "Start", "input": "{}"}},
        {"id": 3, "previousEventId": 2, "timestamp": 0, "type": "TaskSucceeded",
         "taskSucceededEventDetails": {"resourceType": "states", "resource": "startExecution",
                                       "output": json.dumps({"ExecutionArn": child, "StartDate": 0})}},
    ]
    assert analyse(events, execution_running=True, now=0).children == [child]


def test_graph_draws_map_and_parallel_as_groups_and_catches_as_their_own_edges() -> None:
    drawn = graph.build({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "M", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
              "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                           {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]},
        "M": {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Succeed"}}}},
        "F": {"Type": "Fail"},
    }})
    kinds = {group.state: group.kind for group in drawn.groups if group.state}
    assert kinds == {"P": "Parallel", "M": "Map"}
    assert sum(group.kind == "branch" for group in drawn.groups) == 2
    by_state = {node.state: node for node in drawn.nodes if node.state}
    group_of = {group.id: group for group in drawn.groups}
    assert group_of[str(by_state["A"].group)].group == by_state["P"].group  # a branch inside P's group
    catches = [edge for edge in drawn.edges if edge.kind == "catch"]
    assert len(catches) == 1 and catches[0].target == by_state["F"].id and catches[0].label == "States.ALL"


def test_an_analysis_fed_in_slices_sees_what_one_pass_sees() -> None:
    """A running execution's page feeds its analysis only the events that arrived since the last
    poll (and two tabs may feed the same ones): the view is the one-pass view all the same."""
    definition = {"StartAt": "Outer", "States": {
        "Outer": {"Type": "Map", "ItemsPath": "$.rows", "End": True, "ItemProcessor": {
            "StartAt": "Cell", "States": {"Cell": {"Type": "Pass", "End": True}}}}}}
    events = run_definition(definition, {"rows": [1, 2, 3]}).events
    whole = analyse(events, execution_running=False, now=0)
    sliced = Analysis()
    for start in range(0, len(events), 4):
        sliced.feed(events[start:start + 5])  # overlapping slices: one event fed twice each time
    view = sliced.view(execution_running=False, now=0)
    assert view.states == whole.states and view.state_of_event == whole.state_of_event
    assert (view.visit_duration, view.start, view.end) == (whole.visit_duration, whole.start, whole.end)
    assert view.states["Cell"].visits == 3 and sliced.last_id == len(events)
    # A kept analysis holds the payloads of each state's last visit only (what the panel shows).
    assert [visit.input for visit in sliced.visits if visit.state == "Cell"] == [None, None, "3"]
