"""A restart from any checkpoint of a long run of states records each state's events once.

A run of states hands its events to the store in batches (runtime/checkpoints.py, FLUSH_EVENTS),
with the positions they lead to. A crash probe killed servers running 4,000-state Pass and
Choice chains: after the restart 1-6 executions in 20 had a `PassStateExited` twice, always at a
batch boundary, because the batch ended with a state's Exited while its position still named that
state, which the restart then ran again. Here every checkpoint of such a run is taken as the
last thing on disk, an execution resumes from it (as `Executions.resume` does after a restart),
and the history it completes must be the uninterrupted run's, event for event.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from asl_engine.clock import VirtualClock
from asl_engine.compile import compile_definition
from asl_engine.execution import ExecutionInfo, HistoryEvent, ListSink
from asl_engine.position import Resume
from asl_engine.runtime.checkpoints import FLUSH_EVENTS
from asl_engine.runtime.run import ExecutionRun

STATES = 3 * FLUSH_EVENTS // 2  # two batches and a half
CHAINS = {
    "pass": {"StartAt": "S0", "States": {
        **{f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(STATES)}, f"S{STATES}": {"Type": "Succeed"}}},
    "choice": {"StartAt": "S0", "States": {
        **{f"S{i}": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": -1, "Next": f"S{STATES}"}],
                     "Default": f"S{i + 1}"} for i in range(STATES)}, f"S{STATES}": {"Type": "Succeed"}}},
}


class Disk:
    """A sink that keeps each checkpoint as the store would commit it: events and positions."""

    def __init__(self) -> None:
        self.units: list[tuple[list[HistoryEvent], dict[str, Any] | None]] = []

    def emit(self, events: list[HistoryEvent], checkpoint: Any = None) -> None:
        self.units.append((list(events), checkpoint))

    async def written(self) -> None:
        return None


def _info() -> ExecutionInfo:
    return ExecutionInfo(execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:e", name="e",
                         state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
                         state_machine_name="m", role_arn="arn:aws:iam::123456789012:role/r",
                         start_time=1_700_000_000.0, input={"x": 1})


def _run(definition: dict[str, Any], sink: Any, resume: Resume | None = None) -> None:
    machine = compile_definition(json.dumps(definition))
    asyncio.run(ExecutionRun(machine, _info(), clock=VirtualClock(1_700_000_000.0), sink=sink, resume=resume).run())


def _shape(events: list[HistoryEvent]) -> list[tuple[int, str, str | None]]:
    return [(event["id"], event["type"], next((value.get("name") for key, value in event.items()
                                               if key.endswith("EventDetails") and isinstance(value, dict)), None))
            for event in events]


@pytest.mark.parametrize("kind", sorted(CHAINS))
def test_a_restart_from_any_batch_records_each_event_once(kind: str) -> None:
    definition = CHAINS[kind]
    disk = Disk()
    _run(definition, disk)
    whole = [event for events, _ in disk.units for event in events]
    assert len(whole) == 2 * STATES + 4  # ExecutionStarted, the chain, Succeed entered and exited, the end
    batches = [index for index, (_, checkpoint) in enumerate(disk.units) if checkpoint and checkpoint["frames"]]
    assert len(batches) >= 2, "the run should hand its events over in batches"
    for last in batches:  # the crash came right after this checkpoint was committed
        kept = [event for events, _ in disk.units[:last + 1] for event in events]
        frames: dict[str, Any] = {}
        for _, checkpoint in disk.units[:last + 1]:
            frames.update({frame: json.loads(text) for frame, text in (checkpoint or {}).get("frames", {}).items()})
        after = ListSink()
        _run(definition, after, Resume(frames=frames, last_event_id=kept[-1]["id"]))
        assert _shape(kept + after.events) == _shape(whole), f"restarted after event {kept[-1]['id']}"
