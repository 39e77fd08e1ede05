"""Engine behaviour a user sees in process: retries, catches, waits, timeouts and limits.

Each test names the AWS developer-guide page (https://docs.aws.amazon.com/step-functions/latest/dg/)
or the recorded case its expectation comes from.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asl_engine.clock import ScaledClock, VirtualClock
from asl_engine.errors import StatesError
from asl_engine.tasks_api import TaskRequest
from asl_engine.testing import run_definition, run_definition_async

START = 1_700_000_000.0


def flaky(failures: int, error: str = "Boom") -> Any:
    """A task handler that fails `failures` times, then returns its input; records call times."""
    calls: list[float] = []

    async def handler(request: TaskRequest) -> Any:
        calls.append(request.context["State"]["RetryCount"])
        if len(calls) <= failures:
            raise StatesError(error, f"attempt {len(calls)}")
        return {"ok": request.input}

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


def task_machine(**task: Any) -> dict[str, Any]:
    body = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True, **task}
    return {"StartAt": "T", "States": {"T": body, "Caught": {"Type": "Pass", "End": True}}}


def test_retry_backoff_runs_on_the_virtual_clock() -> None:
    # concepts-error-handling: IntervalSeconds * BackoffRate^n between attempts
    clock = VirtualClock(START)
    handler = flaky(3)
    definition = task_machine(Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "BackoffRate": 3, "MaxAttempts": 3}])
    result = run_definition(definition, {"n": 1}, tasks=handler, clock=clock)
    assert result.status == "SUCCEEDED"
    assert result.output == {"ok": {"n": 1}}
    assert handler.calls == [0, 1, 2, 3]  # $$.State.RetryCount per attempt
    assert clock.time() - START == 10 + 30 + 90


def test_max_delay_seconds_caps_the_backoff() -> None:
    clock = VirtualClock(START)
    definition = task_machine(
        Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100, "BackoffRate": 10, "MaxAttempts": 3, "MaxDelaySeconds": 150}]
    )
    run_definition(definition, {}, tasks=flaky(3), clock=clock)
    assert clock.time() - START == 100 + 150 + 150


def test_max_attempts_zero_never_retries_and_catch_takes_over() -> None:
    # concepts-error-handling: MaxAttempts 0 means never retry; Catch then applies
    definition = task_machine(
        Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 0}],
        Catch=[{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Caught"}],
    )
    result = run_definition(definition, {"keep": 1}, tasks=flaky(5))
    assert result.status == "SUCCEEDED"
    assert result.output == {"keep": 1, "error": {"Error": "Boom", "Cause": "attempt 1"}}
    assert result.event_types == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed",
        "TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
    ]


def test_states_all_does_not_catch_states_runtime() -> None:
    # concepts-error-handling: "A retry or catch on States.ALL won't catch States.Runtime errors"
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "InputPath": "$.missing", "End": True}}}],
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True},
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    result = run_definition(definition, {})
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"


def test_uncaught_task_error_fails_the_execution() -> None:
    result = run_definition(task_machine(), {}, tasks=flaky(1, "Custom.Error"))
    assert (result.status, result.error, result.cause) == ("FAILED", "Custom.Error", "attempt 1")


def test_three_day_wait_costs_nothing_on_the_virtual_clock() -> None:
    clock = VirtualClock(START)
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 72 * 3600, "End": True}}}
    result = run_definition(definition, {"a": 1}, clock=clock)
    assert result.output == {"a": 1}
    assert clock.time() - START == 72 * 3600


def test_wait_until_timestamp_path() -> None:
    # state-wait: TimestampPath waits until an RFC 3339 timestamp taken from the input
    clock = VirtualClock(START)
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.at", "End": True}}}
    run_definition(definition, {"at": "2023-11-16T00:00:00Z"}, clock=clock)
    assert clock.time() == 1_700_092_800


def test_execution_timeout_gives_timed_out() -> None:
    # feature-matrix 4.9 (recorded by Floci against AWS): ExecutionTimedOut, error States.Timeout, no cause
    definition = {"TimeoutSeconds": 5, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    clock = VirtualClock(START)
    result = run_definition(definition, {}, clock=clock)
    assert (result.status, result.error, result.cause) == ("TIMED_OUT", "States.Timeout", None)
    assert result.event_types[-1] == "ExecutionTimedOut"
    assert clock.time() - START == 5


def test_task_timeout_raises_states_timeout() -> None:
    async def never(request: TaskRequest) -> Any:
        await asyncio.Event().wait()

    clock = VirtualClock(START)
    definition = task_machine(TimeoutSeconds=30, Catch=[{"ErrorEquals": ["States.Timeout"], "Next": "Caught"}])
    result = run_definition(definition, {}, tasks=never, clock=clock)
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "States.Timeout", "Cause": ""}  # recorded: test_invoke_timeout
    assert clock.time() - START == 30


def test_parallel_failure_stops_the_other_branches() -> None:
    # state-parallel: "If any branch fails ... the entire Parallel state fails"
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 1000, "Next": "After"},
                                           "After": {"Type": "Pass", "End": True}}},
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}},
        ]}},
    }
    result = run_definition(definition, {})
    assert (result.status, result.error, result.cause) == ("FAILED", "E", "C")
    assert "ParallelStateFailed" in result.event_types
    assert "WaitStateExited" not in result.event_types


def test_map_results_keep_input_order_under_concurrency() -> None:
    definition = {
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": 3, "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
                         "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.v", "End": True}}}}},
    }
    result = run_definition(definition, [5, 1, 4, 2, 3])
    assert result.output == [{"i": i, "v": v} for i, v in enumerate([5, 1, 4, 2, 3])]


def test_output_over_256_kib_fails_with_data_limit_exceeded() -> None:
    # recorded: test_states_errors::test_start_large_input
    definition = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": "x" * 300_000, "End": True}}}
    result = run_definition(definition, {})
    assert result.error == "States.DataLimitExceeded"
    assert result.event_types == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


def test_history_is_limited_to_25000_events() -> None:
    # service-quotas: 25,000 events in an execution's history
    definition = {"StartAt": "Loop", "States": {"Loop": {"Type": "Pass", "Next": "Loop"}}}
    result = run_definition(definition, {})
    assert result.status == "FAILED"
    assert 24_990 <= len(result.events) <= 25_000


def test_stop_ends_an_execution_aborted() -> None:
    from asl_engine.compile import compile_definition
    from asl_engine.execution import ExecutionInfo, ListSink
    from asl_engine.runtime.run import ExecutionRun

    async def scenario() -> tuple[Any, list[str]]:
        clock = VirtualClock(START, auto_advance=False)
        sink = ListSink()
        machine = compile_definition({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}})
        info = ExecutionInfo("arn:e", "e", "arn:sm", "sm", "arn:role", START, {})
        run = ExecutionRun(machine, info, clock=clock, sink=sink)
        task = asyncio.ensure_future(run.run())
        await asyncio.sleep(0.01)
        run.stop("Stopped", "by a test")
        return await task, [event["type"] for event in sink.events]

    outcome, types = asyncio.run(scenario())
    assert (outcome.status, outcome.error, outcome.cause) == ("ABORTED", "Stopped", "by a test")
    assert types == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]


def test_scaled_clock_shortens_waits() -> None:
    # sfn-local-config-options: WAIT_TIME_SCALE 0 means no wait
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    result = asyncio.run(asyncio.wait_for(run_definition_async(definition, {}, clock=ScaledClock(0)), 5))
    assert result.status == "SUCCEEDED"


@pytest.mark.parametrize(
    "seconds, error",
    [
        (1.5, "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5"),  # recorded: test_base_wait_seconds_path[1.5]
        ("x", "The SecondsPath parameter cannot be parsed as a long value: $.s == x"),
    ],
)
def test_wait_seconds_path_must_be_an_integer(seconds: Any, error: str) -> None:
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}
    result = run_definition(definition, {"s": seconds})
    assert result.error == "States.Runtime"
    assert result.cause == f"An error occurred while executing the state 'W' (entered at the event id #2). {error}"


YEAR = 365 * 24 * 3600
"""Step Functions service quotas: "If an execution runs for more than the 1-year maximum, it will
fail with a States.Timeout error"; an Express execution's maximum is five minutes."""


@pytest.mark.parametrize("definition", [
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2 * YEAR, "End": True}}},
    {"TimeoutSeconds": 3 * YEAR, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2 * YEAR, "End": True}}},
    {"StartAt": "P", "States": {"P": {  # decades of retries pushed the clock past the year 9999
        "Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}],
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99999999, "IntervalSeconds": 99999999}],
        "End": True}}},
], ids=["wait-two-years", "timeout-seconds-past-a-year", "retries-for-centuries"])
def test_a_standard_execution_times_out_after_a_year(definition: dict[str, Any]) -> None:
    clock = VirtualClock(START)
    result = run_definition(definition, {}, clock=clock)
    assert (result.status, result.error, result.event_types[-1]) == ("TIMED_OUT", "States.Timeout", "ExecutionTimedOut")
    assert clock.time() - START == YEAR


def test_an_express_execution_times_out_after_five_minutes() -> None:
    clock = VirtualClock(START)
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 400, "End": True}}}
    result = run_definition(definition, {}, clock=clock, machine_type="EXPRESS")
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert clock.time() - START == 300
    assert run_definition(definition, {}, clock=VirtualClock(START)).status == "SUCCEEDED"


def test_iterations_running_at_once_stop_at_event_25000() -> None:
    """bp-history-limit: "If the event number 25,000 isn't ExecutionSucceeded, the ExecutionFailed
    event is logged". Each iteration had checked for room when it started and finished what it
    started: 5,000 of them waiting at once ended the history at event 25,049."""
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                                   "P": {"Type": "Pass", "End": True}}}}}}
    result = run_definition(definition, [1] * 5_000, clock=VirtualClock(START))
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert [event["id"] for event in result.events] == list(range(1, 25_001))
    assert result.event_types[-1] == "ExecutionFailed"


SHARED = "$.s"  # one 200 KB input field, named two thousand times
MANY = 2_000


@pytest.mark.parametrize("parameters, refused_by", [
    ({"r.$": "States.Format('" + "{}" * MANY + "', " + ", ".join([SHARED] * MANY) + ")"}, "States.Format"),
    ({"r.$": "States.Hash(States.JsonToString(States.Array(" + ", ".join([SHARED] * MANY) + ")), 'MD5')"},
     "States.JsonToString"),
    ({f"k{n}.$": SHARED for n in range(MANY)}, "state/task 'P'"),
], ids=["format", "json-to-string", "parameters"])
def test_a_result_no_state_could_hold_is_refused_before_it_is_built(parameters: dict[str, Any], refused_by: str) -> None:
    """service-quotas: 256 KiB for a state's output. These built 0.4 GB (1.2 GB with 6,000 names)
    before the output was refused, holding the event loop for seconds; now the first part past the
    limit refuses it. tracemalloc measures what the run allocated at its peak (the input is 0.2 MB)."""
    import tracemalloc

    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}
    tracemalloc.start()
    try:
        result = run_definition(definition, {"s": "x" * 200_000}, clock=VirtualClock(START))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")
    assert refused_by in (result.cause or "")
    assert peak < 20 * 1024 * 1024, f"{peak / 2**20:.0f} MiB at the peak"


class _SlowDisk:
    """A store that commits only when a run waits for it (`written`), and is behind past 1,000
    events it holds uncommitted: how SQLite looks to a run of large states (EventSink.behind)."""

    def __init__(self) -> None:
        self.uncommitted = self.most = self.waits = 0

    def emit(self, events: list[Any], checkpoint: Any = None) -> None:
        self.uncommitted += len(events)
        self.most = max(self.most, self.uncommitted)

    async def written(self) -> None:
        self.waits += 1
        self.uncommitted = 0

    def behind(self) -> bool:
        return self.uncommitted > 1_000


def test_a_long_run_waits_for_a_store_that_fell_behind() -> None:
    """A loop of states carrying 200 KB each made history faster than SQLite wrote it: the queue
    held gigabytes (3.9 GB of RSS for one execution). A run now waits for its store when the store
    says it is behind, so what it holds uncommitted stays within a batch of it."""
    from asl_engine.compile import compile_definition
    from asl_engine.execution import ExecutionInfo
    from asl_engine.runtime.checkpoints import FLUSH_EVENTS
    from asl_engine.runtime.run import ExecutionRun

    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(3_000)}
    machine = compile_definition({"StartAt": "S0", "States": {**states, "S3000": {"Type": "Succeed"}}})
    info = ExecutionInfo("arn:aws:states:us-east-1:123456789012:execution:m:e", "e",
                         "arn:aws:states:us-east-1:123456789012:stateMachine:m", "m",
                         "arn:aws:iam::123456789012:role/r", START, {})
    disk = _SlowDisk()
    outcome = asyncio.run(ExecutionRun(machine, info, clock=VirtualClock(START), sink=disk).run())
    assert outcome.status == "SUCCEEDED"
    assert disk.waits >= 4 and disk.most <= 1_000 + FLUSH_EVENTS


def test_an_ended_run_is_freed_without_the_cyclic_collector() -> None:
    """A run that references itself through what it hands out (the history's full-history hook,
    the unloader's limit arming) would wait for a full collection: measured, 10 us more per
    StartExecution. Those references are let go as the run ends; with the collector off, no
    ExecutionRun outlives its execution, one that waited (and armed its year) included."""
    import gc

    from asl_engine.compile import compile_definition
    from asl_engine.execution import ExecutionInfo, ListSink
    from asl_engine.runtime.run import ExecutionRun

    machine = compile_definition({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "Next": "P"},
                                                             "P": {"Type": "Pass", "End": True}}})
    info = ExecutionInfo("arn:aws:states:us-east-1:123456789012:execution:m:e", "e",
                         "arn:aws:states:us-east-1:123456789012:stateMachine:m", "m",
                         "arn:aws:iam::123456789012:role/r", START, {})
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            run = ExecutionRun(machine, info, clock=VirtualClock(START), sink=ListSink())
            assert asyncio.run(run.run()).status == "SUCCEEDED"
        del run
        assert not [obj for obj in gc.get_objects() if isinstance(obj, ExecutionRun)]
    finally:
        gc.enable()
