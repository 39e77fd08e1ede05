"""An execution whose states only compute (Pass, Choice, Succeed, Fail) runs inside StartExecution
and is committed whole, row and history, before the answer (issue 20: a start and its run cost
the server one commit instead of two, and no asyncio task). What a user sees must not change:
the same status, output and history as any other run (StartExecution, DescribeExecution and
GetExecutionHistory in the AWS API reference), and the same fallbacks where it cannot run at once.
"""

from __future__ import annotations

import json

from postgres_server import committed_row
from sfn_support import create, unique, wait_done

GREET = json.dumps({"StartAt": "Hello", "States": {
    "Hello": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hi {}', $.who)"}, "Next": "Which"},
    "Which": {"Type": "Choice", "Choices": [{"Variable": "$.greeting", "StringEquals": "hi ann", "Next": "Done"}],
              "Default": "Other"},
    "Other": {"Type": "Fail", "Error": "NotAnn", "Cause": "someone else"},
    "Done": {"Type": "Succeed"},
}})

COUNT_TO = 3000
LOOP = json.dumps({"StartAt": "Add", "States": {
    "Add": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "More"},
    "More": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": COUNT_TO, "Next": "Add"}],
             "Default": "End"},
    "End": {"Type": "Succeed"},
}})


def history(client, arn: str) -> list[dict]:
    pages = client.get_paginator("get_execution_history").paginate(executionArn=arn)
    return [event for page in pages for event in page["events"]]


TRIES = 5


def test_an_execution_that_only_computes_is_on_disk_ended_when_start_returns(live, real_time_server):
    """A run at once yields to the usual run when it outlasts the engine's slice of the loop (2 ms
    of wall time), which a busy machine's scheduler can cause by taking the core in the middle
    of it: one start in TRIES must be on disk ended, with its whole history, when it returns."""
    machine = create(live, definition=GREET, name=unique("greet"))
    for _ in range(TRIES):
        arn = live.start_execution(stateMachineArn=machine, input='{"who": "ann"}')["executionArn"]
        # another connection: committed data only, read before any other call reaches the server
        row = committed_row(real_time_server.db, "SELECT status, output FROM executions WHERE arn = ?", (arn,))
        if row != ("RUNNING", None):
            break
    events = committed_row(real_time_server.db, "SELECT count(*) FROM history_events WHERE execution_arn = ?", (arn,))
    assert row == ("SUCCEEDED", '{"greeting":"hi ann"}')
    assert events == (8,)
    described = live.describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED" and described["stopDate"] >= described["startDate"]
    assert [(e["id"], e["previousEventId"], e["type"]) for e in history(live, arn)] == [
        (1, 0, "ExecutionStarted"), (2, 1, "PassStateEntered"), (3, 2, "PassStateExited"),
        (4, 3, "ChoiceStateEntered"), (5, 4, "ChoiceStateExited"), (6, 5, "SucceedStateEntered"),
        (7, 6, "SucceedStateExited"), (8, 7, "ExecutionSucceeded")]


def test_one_that_fails_runs_as_usual_and_can_be_redriven(sfn):
    """A failed execution keeps where it failed for RedriveExecution ("Restarting executions
    using redrive"): it is run the usual way, which saves that, and ends FAILED as recorded."""
    machine = create(sfn, definition=GREET, name=unique("greet"))
    arn = sfn.start_execution(stateMachineArn=machine, input='{"who": "bob"}')["executionArn"]
    failed = wait_done(sfn, arn)
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "NotAnn", "someone else")
    assert [e["type"] for e in history(sfn, arn)][-2:] == ["FailStateEntered", "ExecutionFailed"]
    sfn.redrive_execution(executionArn=arn)
    again = wait_done(sfn, arn)
    assert (again["status"], again["redriveCount"]) == ("FAILED", 1)
    assert [e["type"] for e in history(sfn, arn)][-3:] == ["ExecutionRedriven", "FailStateEntered", "ExecutionFailed"]


def test_a_long_run_that_must_share_the_loop_runs_as_usual_with_one_history(sfn):
    """Thousands of transitions outlast the engine's slice of the event loop: the run started
    inside StartExecution is dropped and the execution runs as usual. Nothing of the dropped
    run may show: one ExecutionStarted, event ids 1..n in order, the loop counted once."""
    machine = create(sfn, definition=LOOP, name=unique("loop"))
    arn = sfn.start_execution(stateMachineArn=machine, input='{"n": 0}')["executionArn"]
    described = wait_done(sfn, arn, attempts=2000)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"n": COUNT_TO}
    events = history(sfn, arn)
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events].count("ExecutionStarted") == 1
    assert len(events) == 1 + 4 * COUNT_TO + 3  # each round: Pass and Choice entered and exited; Succeed


def test_one_whose_history_cannot_be_stored_is_accepted_and_ends_failed_saying_why(sfn):
    """States.StringToJson can make a lone surrogate out of valid JSON text: the input was fine,
    so StartExecution accepts it (AWS refuses only input that is not Unicode), and the run that
    cannot store its output ends FAILED with States.Runtime, its history closed. Run at once, the
    whole history was refused with the row and StartExecution answered ValidationException."""
    machine = create(sfn, definition=json.dumps({"StartAt": "Decode", "States": {
        "Decode": {"Type": "Pass", "Parameters": {"v.$": "States.StringToJson($.s)"}, "End": True}}}),
        name=unique("surrogate"))
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"s": json.dumps("\ud800")}))["executionArn"]
    described = wait_done(sfn, arn)
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    assert "surrogate" in described["cause"]
    assert history(sfn, arn)[-1]["type"] == "ExecutionFailed"
