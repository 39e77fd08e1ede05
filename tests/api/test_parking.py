"""Parked executions leave memory and come back (issue 20, "Parked executions cost almost nothing").

An execution waiting on a Wait state's timer, a `.waitForTaskToken` callback or an activity task
is, on a server, a row and a small index entry, not a live coroutine: checked inside a real
server's event loop (no asyncio task and no run of it left). It is loaded back through the
restart path when its timer fires or its answer, heartbeat deadline, timeout or stop arrives, and
what the client sees is what AWS shows for an execution that never left memory: the same status,
output, error and history, event ids continuing without a gap
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).

The server runs on a virtual clock moved only by the test (`advance`), so a parked execution
stays parked until the test says its time has come.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError
from postgres_server import fresh_db
from serving import ServerThread, boto_client
from sfn_support import create, error_of, unique

from asl_engine.api.app import create_app
from asl_engine.clock import VirtualClock
from asl_engine.config import Config
from asl_engine.tasks.config import TaskConfig

TOKENS: list[str] = []
SENT: list[Any] = []  # the messages themselves


def send_token(event: Any, context: Any) -> Any:
    """A local Lambda function standing for the outside world: it keeps the token it is sent."""
    TOKENS.append(event["token"])
    SENT.append(event)
    return {"sent": True}


class Parked:
    """A server of the test's own on a virtual clock the test moves, and helpers to look inside it."""

    def __init__(self, config: Config, clock: VirtualClock) -> None:
        self.config = config
        self.clock = clock
        self.start()

    def start(self) -> None:
        self.server = ServerThread(create_app(self.config, clock=self.clock))
        self.server.start()
        self.sfn = boto_client(self.server.url)
        self.service = self.server.app.state.service

    def restart(self) -> None:
        """Stop the server (parked executions stay RUNNING on disk) and start another on its database."""
        self.server.stop()
        self.start()

    def in_loop(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.server.loop).result(timeout=30)

    def advance(self, seconds: float) -> None:
        async def move() -> None:
            self.clock.advance(seconds)
        self.in_loop(move())

    def parked(self, arn: str) -> bool:
        async def look() -> bool:
            executions = self.service.executions
            return arn in executions.parking and arn not in executions._live
        return bool(self.in_loop(look()))

    def wait_parked(self, arns: list[str]) -> None:
        deadline = time.monotonic() + 30
        while not all(self.parked(arn) for arn in arns):
            assert time.monotonic() < deadline, "the executions never left memory"
            time.sleep(0.02)

    def held(self, arns: list[str]) -> tuple[list[str], int]:
        """The asyncio tasks (by name) and the runs of these executions still in memory."""
        async def look() -> tuple[list[str], int]:
            names = [task.get_name() for task in asyncio.all_tasks()]
            gc.collect()
            runs = sum(1 for obj in gc.get_objects() if type(obj).__name__ == "ExecutionRun"
                       and obj.info.execution_arn in arns)
            return [name for name in names if any(arn in name for arn in arns)], runs
        return tuple(self.in_loop(look()))  # type: ignore[return-value]

    def wait_ended(self, arn: str) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while (described := self.sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"{arn} still RUNNING"
            time.sleep(0.02)
        return dict(described)

    def history(self, arn: str) -> list[dict[str, Any]]:
        events = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        ids = [event["id"] for event in events]
        assert ids == list(range(1, len(events) + 1)), "event ids continue without a gap or a repeat"
        return list(events)

    def types(self, arn: str) -> list[str]:
        return [event["type"] for event in self.history(arn)]


@pytest.fixture
def parked(tmp_path: Any) -> Iterator[Parked]:
    clock = VirtualClock(auto_advance=False)
    config = Config(db_path=fresh_db(tmp_path, "parked.db"), activity_poll_seconds=0.2,
                    tasks=TaskConfig(lambda_handlers={"send_token": send_token}))
    TOKENS.clear()
    SENT.clear()
    parked = Parked(config, clock)
    try:
        yield parked
    finally:
        parked.server.stop()


def machine(sfn: Any, first: dict[str, Any], timeout: int | None = None) -> str:
    definition: dict[str, Any] = {"StartAt": "First", "States": {
        "First": {**first, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}}}
    if timeout is not None:
        definition["TimeoutSeconds"] = timeout
    return create(sfn, json.dumps(definition))


WAIT = {"Type": "Wait", "Seconds": 3600}


def token_task(**limits: int) -> dict[str, Any]:
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "send_token", "Payload": {"token.$": "$$.Task.Token", "in.$": "$"}},
            "ResultPath": "$.answer", **limits}


def start(sfn: Any, machine_arn: str, value: Any) -> str:
    return str(sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps(value))["executionArn"])


def tokens(count: int) -> list[str]:
    deadline = time.monotonic() + 30
    while len(TOKENS) < count:
        assert time.monotonic() < deadline, "the callback tasks never sent their tokens"
        time.sleep(0.02)
    return list(TOKENS[:count])


TOKEN_EVENTS = ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted"]
ACTIVITY_EVENTS = ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled"]
DONE = ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_parked_executions_hold_no_coroutine_and_come_back_when_their_time_comes(parked: Parked) -> None:
    sfn = parked.sfn
    activity = sfn.create_activity(name=unique("park"))["activityArn"]
    waits = [start(sfn, machine(sfn, WAIT), {"n": n}) for n in range(5)]
    callbacks = [start(sfn, machine(sfn, token_task()), {"n": n}) for n in range(5)]
    workers = [start(sfn, machine(sfn, {"Type": "Task", "Resource": activity, "ResultPath": "$.answer"}),
                     {"n": n}) for n in range(5)]
    arns = waits + callbacks + workers
    parked.wait_parked(arns)

    assert parked.held(arns) == ([], 0)  # no coroutine, no run: only the parking entry and the rows

    # Answers, a worker, and time bring them back; each goes on from where it parked.
    for token, arn in zip(tokens(5), callbacks):
        sfn.send_task_success(taskToken=token, output=json.dumps({"for": arn[-8:]}))
    for _ in workers:
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"worked": json.loads(task["input"])}))
    parked.advance(3599)
    assert all(parked.parked(arn) for arn in waits)  # not yet
    parked.advance(1)
    for n, arn in enumerate(waits):
        assert json.loads(parked.wait_ended(arn)["output"]) == {"n": n}
        assert parked.types(arn) == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", *DONE]
    for n, arn in enumerate(callbacks):
        assert json.loads(parked.wait_ended(arn)["output"]) == {"n": n, "answer": {"for": arn[-8:]}}
        assert parked.types(arn) == [*TOKEN_EVENTS, "TaskSucceeded", "TaskStateExited", *DONE]
    for n, arn in enumerate(workers):
        assert json.loads(parked.wait_ended(arn)["output"]) == {"n": n, "answer": {"worked": {"n": n}}}
        assert parked.types(arn) == [*ACTIVITY_EVENTS, "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                     *DONE]
    assert parked.in_loop(_parking_size(parked)) == 0


async def _parking_size(parked: Parked) -> int:
    return len(parked.service.executions.parking)


def test_a_parked_task_fails_with_its_answer_and_times_out_by_its_deadlines(parked: Parked) -> None:
    """SendTaskFailure, a missed heartbeat (TaskTimedOut, States.Timeout, as AWS records it) and
    TimeoutSeconds reach an execution out of memory; a heartbeat pushes its deadline back."""
    sfn = parked.sfn
    failed = start(sfn, machine(sfn, token_task()), {})
    beating = start(sfn, machine(sfn, token_task(HeartbeatSeconds=60)), {})
    bounded = start(sfn, machine(sfn, token_task(TimeoutSeconds=100)), {})
    parked.wait_parked([failed, beating, bounded])
    failed_token, beating_token, _ = tokens(3)

    sfn.send_task_failure(taskToken=failed_token, error="Rejected", cause="not today")
    assert parked.wait_ended(failed)["status"] == "FAILED"
    assert parked.types(failed) == [*TOKEN_EVENTS, "TaskFailed", "ExecutionFailed"]
    assert parked.history(failed)[-2]["taskFailedEventDetails"]["error"] == "Rejected"

    parked.advance(50)
    sfn.send_task_heartbeat(taskToken=beating_token)  # its deadline is now 110 s from the start
    parked.advance(40)  # 90 s: the first deadline (60 s) has passed, not the new one
    parked.wait_parked([beating, bounded])
    parked.advance(15)  # 105 s: past the TimeoutSeconds of 100 s
    assert parked.wait_ended(bounded)["status"] == "FAILED"
    bounded_end = parked.history(bounded)[-2]
    assert (bounded_end["type"], bounded_end["taskTimedOutEventDetails"]["error"]) == ("TaskTimedOut", "States.Timeout")
    assert parked.parked(beating)
    parked.advance(10)  # 115 s: past the heartbeat deadline
    assert parked.wait_ended(beating)["status"] == "FAILED"
    assert parked.types(beating) == [*TOKEN_EVENTS, "TaskTimedOut", "ExecutionFailed"]
    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=beating_token, output="{}")
    assert error_of(late)[0] == "TaskTimedOut"


def test_stopping_a_parked_execution_records_what_stopping_it_in_memory_records(parked: Parked) -> None:
    """StopExecution: ExecutionAborted after the last event, as for an execution in memory
    (API_StopExecution.html); the task it waited on is gone (a worker gets no task)."""
    sfn = parked.sfn
    activity = sfn.create_activity(name=unique("stop"))["activityArn"]
    on_wait = start(sfn, machine(sfn, WAIT), {})
    on_token = start(sfn, machine(sfn, token_task()), {})
    on_activity = start(sfn, machine(sfn, {"Type": "Task", "Resource": activity}), {})
    parked.wait_parked([on_wait, on_token, on_activity])
    for arn, before in ((on_wait, ["ExecutionStarted", "WaitStateEntered"]), (on_token, TOKEN_EVENTS),
                        (on_activity, ACTIVITY_EVENTS)):
        sfn.stop_execution(executionArn=arn, error="Halt", cause="asked to")
        described = sfn.describe_execution(executionArn=arn)
        assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Halt", "asked to")
        events = parked.history(arn)
        assert [event["type"] for event in events] == [*before, "ExecutionAborted"]
        assert events[-1]["previousEventId"] == events[-2]["id"]
    assert "taskToken" not in sfn.get_activity_task(activityArn=activity, workerName="w")
    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=tokens(1)[0], output="{}")
    assert error_of(late)[0] == "TaskDoesNotExist"


def test_the_machines_timeout_reaches_a_parked_execution(parked: Parked) -> None:
    """TimeoutSeconds of the state machine ends a Wait that would outlast it: ExecutionTimedOut
    (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html)."""
    sfn = parked.sfn
    arn = start(sfn, machine(sfn, WAIT, timeout=60), {})
    parked.wait_parked([arn])
    parked.advance(59)
    assert parked.parked(arn)
    parked.advance(1)
    described = parked.wait_ended(arn)
    assert (described["status"], described["error"]) == ("TIMED_OUT", "States.Timeout")
    assert parked.types(arn) == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]


def test_a_retry_interval_is_spent_out_of_memory(parked: Parked) -> None:
    """Between a failed attempt and the next, the execution waits out its Retry interval
    (IntervalSeconds x BackoffRate^(attempt - 1): 10 s, then 30 s) out of memory and comes back to
    make the next attempt once, with the history AWS shows for a retried task: TaskFailed, then
    after the interval TaskScheduled again in the same state, `$$.State.RetryCount` counting the
    retries (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html,
    "Retrying after an error")."""
    sfn = parked.sfn
    task = {**token_task(), "Retry": [{"ErrorEquals": ["Rejected"], "IntervalSeconds": 10, "BackoffRate": 3,
                                       "MaxAttempts": 2}]}
    task["Parameters"]["Payload"]["retry.$"] = "$$.State.RetryCount"
    arn = start(sfn, machine(sfn, task), {"n": 1})
    attempt = [*TOKEN_EVENTS[1:], "TaskFailed"][1:]  # TaskScheduled ... TaskFailed
    for retry, interval in enumerate((10, 30)):
        parked.wait_parked([arn])
        sfn.send_task_failure(taskToken=tokens(retry + 1)[retry], error="Rejected", cause=f"attempt {retry}")
        deadline = time.monotonic() + 30
        while parked.types(arn)[-1] != "TaskFailed" or not parked.parked(arn):  # backing off, out of memory
            assert time.monotonic() < deadline, "the failed attempt never backed off out of memory"
            time.sleep(0.02)
        assert parked.held([arn]) == ([], 0)
        parked.advance(interval - 1)
        assert parked.parked(arn) and len(TOKENS) == retry + 1  # not yet: no attempt before the interval ends
        parked.advance(1)
    sfn.send_task_success(taskToken=tokens(3)[2], output=json.dumps({"at": "last"}))

    described = parked.wait_ended(arn)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"n": 1, "answer": {"at": "last"}})
    events = parked.history(arn)
    assert [event["type"] for event in events] == [
        "ExecutionStarted", "TaskStateEntered", *attempt, *attempt,
        "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", *DONE]
    failed = [event["timestamp"] for event in events if event["type"] == "TaskFailed"]
    scheduled = [event["timestamp"] for event in events if event["type"] == "TaskScheduled"]
    assert [(scheduled[n + 1] - failed[n]).total_seconds() for n in range(2)] == [10, 30]
    assert [message["retry"] for message in SENT] == [0, 1, 2]  # each attempt made once, counted as in memory
    assert len({message["token"] for message in SENT}) == 3  # a new token per attempt


def test_an_activity_task_a_worker_took_waits_for_its_answer_out_of_memory(parked: Parked) -> None:
    """Once a worker has taken an activity task (ActivityStarted), the execution waits only for
    that worker's answer, its heartbeats or the task's deadlines, as a callback does: after a
    moment in memory it leaves, and the answer, or a missed heartbeat (ActivityTimedOut,
    States.Timeout), loads it back; a heartbeat pushes the deadline back; the task is never
    handed out again (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-activities.html)."""
    sfn = parked.sfn
    activity = sfn.create_activity(name=unique("taken"))["activityArn"]
    work = {"Type": "Task", "Resource": activity, "ResultPath": "$.answer"}
    answered = start(sfn, machine(sfn, work), {"n": 1})
    beating = start(sfn, machine(sfn, {**work, "HeartbeatSeconds": 60}), {"n": 2})
    parked.wait_parked([answered, beating])
    taken = [sfn.get_activity_task(activityArn=activity, workerName="w") for _ in range(2)]
    token = {json.loads(task["input"])["n"]: task["taskToken"] for task in taken}
    assert not parked.parked(answered)  # just taken: its answer usually follows at once
    parked.advance(1)
    parked.wait_parked([answered, beating])
    assert parked.held([answered, beating]) == ([], 0)
    assert parked.types(answered) == [*ACTIVITY_EVENTS, "ActivityStarted"]

    parked.advance(29)
    sfn.send_task_heartbeat(taskToken=token[2])  # at 30 s: its deadline is now 90 s, not 60 s
    parked.advance(40)  # 70 s
    parked.wait_parked([answered, beating])
    sfn.send_task_success(taskToken=token[1], output=json.dumps({"done": 1}))
    assert json.loads(parked.wait_ended(answered)["output"]) == {"n": 1, "answer": {"done": 1}}
    assert parked.types(answered) == [*ACTIVITY_EVENTS, "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                      *DONE]
    assert parked.sfn.describe_execution(executionArn=beating)["status"] == "RUNNING"
    parked.advance(20)  # 90 s: no heartbeat since 30 s
    assert parked.wait_ended(beating)["status"] == "FAILED"
    events = parked.history(beating)
    assert [event["type"] for event in events] == [*ACTIVITY_EVENTS, "ActivityStarted", "ActivityTimedOut",
                                                   "ExecutionFailed"]
    assert events[-2]["activityTimedOutEventDetails"]["error"] == "States.Timeout"
    assert (events[-2]["timestamp"] - events[0]["timestamp"]).total_seconds() == 90
    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=token[2], output="{}")
    assert error_of(late)[0] == "TaskTimedOut"
    assert "taskToken" not in sfn.get_activity_task(activityArn=activity, workerName="w")  # never handed out again


def test_an_execution_on_a_mock_test_case_stays_in_memory(tmp_path: Any) -> None:
    """SFN Local's mock file answers each invocation of a mocked state by its index, counted per
    execution (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html):
    an execution on a test case keeps those counters in memory, so it does not leave it during a
    Retry interval, and its retried state gets the next response."""
    mocks = tmp_path / "mocks.json"
    mocks.write_text(json.dumps({
        "StateMachines": {"flaky": {"TestCases": {"SecondTime": {"First": "FailThenAnswer"}}}},
        "MockedResponses": {"FailThenAnswer": {
            "0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "once"}},
            "1": {"Return": {"StatusCode": 200, "Payload": {"second": True}}}}}}))
    clock = VirtualClock(auto_advance=False)
    parked = Parked(Config(db_path=fresh_db(tmp_path, "mocked.db"),
                           tasks=TaskConfig(mock_config_path=str(mocks))), clock)
    try:
        task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultSelector": {"p.$": "$.Payload"},
                "Parameters": {"FunctionName": "any"}, "ResultPath": "$.answer",
                "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 10}]}
        definition = {"StartAt": "First", "States": {"First": {**task, "Next": "Done"},
                                                     "Done": {"Type": "Pass", "End": True}}}
        machine_arn = parked.sfn.create_state_machine(name="flaky", definition=json.dumps(definition),
                                                      roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
        arn = start(parked.sfn, machine_arn + "#SecondTime", {})
        deadline = time.monotonic() + 30
        while "TaskFailed" not in parked.types(arn):
            assert time.monotonic() < deadline, "the first attempt never failed"
            time.sleep(0.02)
        assert not parked.parked(arn)
        parked.advance(10)
        assert json.loads(parked.wait_ended(arn)["output"]) == {"answer": {"p": {"second": True}}}
    finally:
        parked.server.stop()


def _parent(sfn: Any, child: str, resource: str) -> str:
    return machine(sfn, {"Type": "Task", "Resource": resource, "ResultPath": "$.child",
                         "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}}})


def test_a_sync_parent_waits_for_its_child_out_of_memory(parked: Parked) -> None:
    """A `startExecution.sync` / `.sync:2` parent waits for its child's end out of memory, and
    that end, success or failure, loads it back: the task's result is the child's description
    (`.sync:2` parses Input and Output), a failed child fails the task with States.TaskFailed,
    each child started once (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html)."""
    sfn = parked.sfn
    waiting = machine(sfn, WAIT)
    answering = machine(sfn, token_task())
    on_wait = start(sfn, _parent(sfn, waiting, "arn:aws:states:::states:startExecution.sync:2"), {"n": 1})
    on_token = start(sfn, _parent(sfn, answering, "arn:aws:states:::states:startExecution.sync"), {"n": 2})
    children = [sfn.list_executions(stateMachineArn=child)["executions"] for child in (waiting, answering)]
    deadline = time.monotonic() + 30
    while not all(children):
        assert time.monotonic() < deadline, "the children never started"
        time.sleep(0.02)
        children = [sfn.list_executions(stateMachineArn=child)["executions"] for child in (waiting, answering)]
    child_arns = [executions[0]["executionArn"] for executions in children]
    arns = [on_wait, on_token, *child_arns]
    parked.wait_parked(arns)
    assert parked.held(arns) == ([], 0)  # parents and children alike: rows and index entries only

    sfn.send_task_failure(taskToken=tokens(1)[0], error="Refused", cause="by the outside world")
    described = parked.wait_ended(on_token)
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")
    cause = json.loads(described["cause"])
    assert (cause["Status"], cause["Error"], cause["ExecutionArn"]) == ("FAILED", "Refused", child_arns[1])
    assert parked.types(on_token) == [*TOKEN_EVENTS, "TaskFailed", "ExecutionFailed"]
    assert parked.parked(on_wait)

    parked.advance(3600)  # the first child's Wait ends, and with the child its parent's wait
    described = parked.wait_ended(on_wait)
    child = json.loads(described["output"])["child"]
    assert (child["Status"], child["Input"], child["Output"]) == ("SUCCEEDED", {"n": 1}, {"n": 1})
    assert parked.types(on_wait) == [*TOKEN_EVENTS, "TaskSucceeded", "TaskStateExited", *DONE]
    assert [len(sfn.list_executions(stateMachineArn=arn)["executions"]) for arn in (waiting, answering)] == [1, 1]
    assert parked.in_loop(_parking_size(parked)) == 0


def test_a_sync_parent_parks_again_after_a_restart_and_its_childs_end_wakes_it(parked: Parked) -> None:
    """Restarted, the server resumes a `.sync:2` parent and its child from their positions; both
    leave memory again, and the child's end still loads the parent back."""
    waiting = machine(parked.sfn, WAIT)
    arn = start(parked.sfn, _parent(parked.sfn, waiting, "arn:aws:states:::states:startExecution.sync:2"), {"n": 3})
    parked.wait_parked([arn])
    child = parked.sfn.list_executions(stateMachineArn=waiting)["executions"][0]["executionArn"]
    parked.wait_parked([child])
    parked.restart()
    parked.wait_parked([arn, child])
    assert parked.held([arn, child]) == ([], 0)
    parked.advance(3600)
    described = parked.wait_ended(arn)
    assert json.loads(described["output"])["child"]["Output"] == {"n": 3}
    assert parked.types(arn) == [*TOKEN_EVENTS, "TaskSucceeded", "TaskStateExited", *DONE]
    assert len(parked.sfn.list_executions(stateMachineArn=waiting)["executions"]) == 1



def test_a_parallel_state_backs_off_out_of_memory_between_attempts(parked: Parked) -> None:
    """Retry on a Parallel state: its branches have ended when it backs off, so the execution
    leaves memory for the interval like a Task's, and the next attempt runs the branches anew;
    the history is the one the same execution records when it stays in memory
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    sfn = parked.sfn
    branch = {"StartAt": "Ask", "States": {"Ask": {**token_task(), "End": True}}}
    retried = machine(sfn, {"Type": "Parallel", "Branches": [branch], "ResultPath": "$.answer",
                            "Retry": [{"ErrorEquals": ["Rejected"], "IntervalSeconds": 5}]})

    def run(n: int, unloads: bool) -> str:
        async def choose() -> None:
            parked.service.executions.unloads = unloads
        parked.in_loop(choose())
        arn = start(sfn, retried, {"n": n})
        sfn.send_task_failure(taskToken=tokens(2 * n - 1)[-1], error="Rejected", cause="first attempt")
        deadline = time.monotonic() + 30
        while "TaskFailed" not in parked.types(arn) or parked.parked(arn) != unloads:
            assert time.monotonic() < deadline, "the Parallel state never backed off (out of memory)"
            time.sleep(0.02)
        assert parked.held([arn]) == (([], 0) if unloads else ([f"execution {arn}"], 1))
        parked.advance(5)
        sfn.send_task_success(taskToken=tokens(2 * n)[-1], output=json.dumps({"at": "second"}))
        assert json.loads(parked.wait_ended(arn)["output"]) == {"n": n, "answer": [{"n": n, "answer": {"at": "second"}}]}
        return arn

    out_of_memory, in_memory = run(1, True), run(2, False)
    assert parked.types(out_of_memory) == parked.types(in_memory)
    assert parked.types(out_of_memory).count("ParallelStateStarted") == 2


def test_stopping_the_child_of_a_parked_sync_parent_loads_the_parent_back(parked: Parked) -> None:
    """StopExecution of the child ends it ABORTED, and that end loads its parent back: the
    `.sync` task fails with States.TaskFailed, the child's description as its cause
    (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html)."""
    sfn = parked.sfn
    waiting = machine(sfn, WAIT)
    arn = start(sfn, _parent(sfn, waiting, "arn:aws:states:::states:startExecution.sync"), {"n": 5})
    parked.wait_parked([arn])
    child = sfn.list_executions(stateMachineArn=waiting)["executions"][0]["executionArn"]
    parked.wait_parked([child])
    sfn.stop_execution(executionArn=child, error="Enough", cause="stopped by hand")
    described = parked.wait_ended(arn)
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")
    cause = json.loads(described["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("ABORTED", "Enough", "stopped by hand")
    assert parked.types(arn) == [*TOKEN_EVENTS, "TaskFailed", "ExecutionFailed"]
