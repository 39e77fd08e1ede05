"""A frame's phase is typed in memory and the same JSON on disk as the first versions wrote it, so
an execution saved by them (an existing SQLite file) still resumes, and the service can read a
saved phase as plain JSON (service/executions.py reads a task's token from it).

Each row is a phase exactly as the runtime (then runner.py, task_runner.py, mapping.py) wrote it before phases were
typed (keys and their order included), and the phase it reads as.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from asl_engine.clock import VirtualClock
from asl_engine.execution import ListSink
from asl_engine.history import History
from asl_engine.position import (
    BranchesPhase, DonePhase, FailedPhase, Frame, Phase, RedrivePhase, ResultPhase, RetryPhase, RunPhase,
    TaskPhase, WaitPhase, phase_from_json,
)

SAVED: list[tuple[dict[str, Any], Phase]] = [
    ({"kind": "run"}, RunPhase()),
    ({"kind": "wait", "until": 1700000005.5}, WaitPhase(1700000005.5)),
    ({"kind": "retry", "until": 12.0}, RetryPhase(12.0)),
    ({"kind": "task", "token": None, "deadline": None, "submitted": None, "opened": 3.0},
     TaskPhase(None, None, None, 3.0)),
    ({"kind": "task", "token": "tok", "deadline": 60.0, "submitted": {"MessageId": "m"}, "opened": 3.0,
      "started": "worker-1"},
     TaskPhase("tok", 60.0, {"MessageId": "m"}, 3.0, "worker-1")),
    ({"kind": "result", "output": {"Payload": [1, 2]}}, ResultPhase({"Payload": [1, 2]})),
    ({"kind": "branches"}, BranchesPhase()),
    ({"kind": "branches", "mapRunArn": "arn:aws:states:us-east-1:1:mapRun:m/l:x"},
     BranchesPhase("arn:aws:states:us-east-1:1:mapRun:m/l:x")),
    ({"kind": "branches", "mapRunArn": "arn:m", "redriveCount": 2}, BranchesPhase("arn:m", 2)),
    ({"kind": "done", "output": None}, DonePhase(None)),
    ({"kind": "failed", "error": "States.TaskFailed", "cause": None}, FailedPhase("States.TaskFailed", None)),
    ({"kind": "redrive"}, RedrivePhase()),
]


@pytest.mark.parametrize(("saved", "phase"), SAVED, ids=[f"{row[0]['kind']}-{n}" for n, row in enumerate(SAVED)])
def test_a_saved_phase_reads_typed_and_writes_back_the_same_json(saved: dict[str, Any], phase: Phase) -> None:
    assert phase_from_json(saved) == phase
    assert json.dumps(phase.to_json()) == json.dumps(saved)  # the same keys, in the same order


def test_a_frame_resumes_its_phase_once() -> None:
    """`restore` reads the snapshot a store saved; the first attempt that asks for its kind takes it."""
    history = History(VirtualClock(), ListSink())
    frame = Frame("/4.0:1", 9, history, {"v": 1}, state="T", input={"a": 1}, entered=7, entered_at=2.0,
                  attempts=[1], retry_count=1, phase=TaskPhase("tok", None, None, 2.5))
    saved = json.loads(json.dumps(frame.snapshot()))
    resumed = Frame(frame.id, 0, history, None)
    resumed.restore(saved)
    assert resumed.snapshot() == frame.snapshot()
    assert resumed.take_resumed(ResultPhase) is None  # another kind: left for the one that asks
    assert resumed.take_resumed(TaskPhase) == TaskPhase("tok", None, None, 2.5)
    assert resumed.take_resumed(TaskPhase) is None  # consumed: a retry runs afresh
