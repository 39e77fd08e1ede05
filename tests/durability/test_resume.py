"""Resuming from any saved moment gives the same execution as never stopping.

A store commits what the runner flushes one unit at a time (events and the positions they lead
to, together), so a crash leaves some prefix of those units on disk. For every prefix of an
uninterrupted run, these tests resume a fresh runner from it and check what issue "Durable
executions" promises: the same status and output, contiguous event ids, no state entered twice
for work that had finished, and no task handler called again once its success was recorded.
The handlers stand for the outside world (Lambda functions) and count their calls.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from asl_engine.clock import VirtualClock
from asl_engine.compile import compile_definition
from asl_engine.execution import ExecutionInfo, HistoryEvent
from asl_engine.errors import StatesError
from asl_engine.position import Resume
from asl_engine.runtime.run import ExecutionRun
from asl_engine.tasks_api import TaskRequest

START = 1_700_000_000.0


@dataclass
class Disk:
    """What a store would have committed: flush units in order."""

    units: list[tuple[list[HistoryEvent], Any]] = field(default_factory=list)

    def emit(self, events: list[HistoryEvent], checkpoint: Any = None) -> None:
        self.units.append(([dict(event) for event in events], checkpoint))

    async def written(self) -> None:  # each unit is on this disk as it is emitted
        return None

    def behind(self) -> bool:
        return False

    def prefix(self, count: int) -> tuple[list[HistoryEvent], Resume]:
        events: list[HistoryEvent] = []
        frames: dict[str, Any] = {}
        for unit_events, checkpoint in self.units[:count]:
            events.extend(unit_events)
            for frame_id, body in ((checkpoint or {}).get("frames") or {}).items():
                frames[frame_id] = json.loads(body)
        return events, Resume(frames, events[-1]["id"] if events else 0)


class Lambda:
    """A Lambda function: doubles `n` (and echoes its input, so every result names its call);
    in state Charge, fails while `$$.State.RetryCount` is below `failures`, so a resumed run
    fails the same way.
    Counts calls per input."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: Counter[str] = Counter()

    async def __call__(self, request: TaskRequest) -> Any:
        key = json.dumps(request.input, sort_keys=True)
        self.calls[key] += 1
        await asyncio.sleep(0)
        if request.state_name == "Charge" and request.context["State"]["RetryCount"] < self.failures:
            raise StatesError("Flaky", "try again")
        return {"n": request.input["n"] * 2, "for": request.input}


def info(value: Any) -> ExecutionInfo:
    return ExecutionInfo("arn:aws:states:us-east-1:123456789012:execution:m:e", "e",
                         "arn:aws:states:us-east-1:123456789012:stateMachine:m", "m",
                         "arn:aws:iam::123456789012:role/r", START, value)


async def run(definition: Any, value: Any, handler: Lambda, disk: Any, resume: Resume | None = None,
              clock_at: float = START) -> Any:
    clock = VirtualClock(clock_at)
    machine = compile_definition(definition)
    return await ExecutionRun(machine, info(value), clock=clock, sink=disk, tasks=handler, resume=resume).run()


TASK = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double"}
WORKFLOWS = {
    "saga-with-retry-and-wait": (
        {"StartAt": "Charge", "States": {
            "Charge": {**TASK, "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 30, "MaxAttempts": 3}], "Next": "Hold"},
            "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "Ship"},
            "Ship": {**TASK, "Parameters": {"n.$": "$.n", "step": "ship"}, "Next": "Done"},
            "Done": {"Type": "Succeed"}}},
        {"n": 1}, 2,
    ),
    "map-of-tasks": (
        {"StartAt": "Fan", "States": {"Fan": {"Type": "Map", "MaxConcurrency": 3, "ItemSelector": {"n.$": "$$.Map.Item.Value"},
                                              "ItemProcessor": {"StartAt": "T", "States": {"T": {**TASK, "End": True}}},
                                              "End": True}}},
        list(range(12)), 0,
    ),
    "parallel-with-waits": (
        {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "Next": "T1"},
                                        "T1": {**TASK, "Parameters": {"n.$": "$.n", "branch": 1}, "End": True}}},
            {"StartAt": "T2", "States": {"T2": {**TASK, "Parameters": {"n.$": "$.n", "branch": 2}, "Next": "W2"},
                                         "W2": {"Type": "Wait", "Seconds": 5, "End": True}}},
        ]}}},
        {"n": 3}, 0,
    ),
    # Past a batch of FLUSH_EVENTS (runtime/checkpoints.py): a crash probe found a restart at a
    # batch boundary recorded a PassStateExited twice (the batch ended with it while its position
    # still named the state, which ran again).
    "pass-chain-past-a-batch": (
        {"StartAt": "S0", "States": {**{f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(750)},
                                     "S750": {"Type": "Succeed"}}},
        {"n": 1}, 0,
    ),
    "choice-chain-past-a-batch": (
        {"StartAt": "S0", "States": {**{f"S{i}": {"Type": "Choice", "Default": f"S{i + 1}", "Choices": [
            {"Variable": "$.n", "NumericEquals": -1, "Next": "S750"}]} for i in range(750)},
                                     "S750": {"Type": "Succeed"}}},
        {"n": 1}, 0,
    ),
}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_resuming_from_every_saved_moment_matches_an_uninterrupted_run(name: str) -> None:
    definition, value, failures = WORKFLOWS[name]
    disk = Disk()
    reference = asyncio.run(run(definition, value, Lambda(failures), disk))
    assert reference.status == "SUCCEEDED"
    reference_types = [event["type"] for unit in disk.units for event in unit[0]]

    for cut in range(1, len(disk.units)):
        stored, resume = disk.prefix(cut)
        recorded = {  # the inputs of the calls whose success is on disk
            json.dumps(json.loads(e[key]["output"])["for"], sort_keys=True)
            for e in stored for key in ("taskSucceededEventDetails", "lambdaFunctionSucceededEventDetails") if key in e
        }
        handler = Lambda(failures)
        rest = Disk()
        resumed = asyncio.run(run(definition, value, handler, rest, resume, clock_at=stored[-1]["timestamp"]))
        assert (resumed.status, resumed.output) == (reference.status, reference.output), f"cut {cut}"
        events = stored + [event for unit in rest.units for event in unit[0]]
        assert [event["id"] for event in events] == list(range(1, len(events) + 1)), f"cut {cut}"
        assert Counter(e["type"] for e in events) == Counter(reference_types), f"cut {cut}"
        again = recorded & set(handler.calls)
        assert not again, f"cut {cut}: tasks whose success was recorded ran again: {again}"


def test_a_wait_resumes_with_only_the_remaining_time() -> None:
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    disk = Disk()
    asyncio.run(run(definition, {}, Lambda(), disk))
    stored, resume = disk.prefix(2)  # ExecutionStarted, then WaitStateEntered with its deadline
    assert stored[-1]["type"] == "WaitStateEntered"
    clock = VirtualClock(START + 1000)  # the server came back 1000 s later

    async def resumed() -> None:
        machine = compile_definition(definition)
        outcome = await ExecutionRun(machine, info({}), clock=clock, sink=Disk(), resume=resume).run()
        assert outcome.status == "SUCCEEDED"

    asyncio.run(resumed())
    assert clock.time() == START + 3600
