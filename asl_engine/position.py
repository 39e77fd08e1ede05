"""Where an execution is, as plain data: what a store saves and a restarted server resumes from.

An execution is a tree of frames (threads of control): the execution itself, each open Parallel
branch and each open Map iteration. A frame's position is the state it is in, that state's
input, its retry counters and its phase (running the body, waiting until a moment, waiting for a
task, waiting for branches, done). The runner marks a frame dirty whenever its position changes
and saves every dirty frame together with the events of the same transitions, so what is on disk
is always one consistent moment of the execution.

Frame ids encode the tree: "" is the execution; a Map iteration or Parallel branch is
"<parent id>/<entered event id>.<attempt>:<index>", unique within an execution even when a loop
enters the same Map state again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from .history import History

Json = Any
Phase: TypeAlias = dict[str, Json]  # {"kind": RUN | WAIT | ..., and the fields of that kind}

RUN = "run"  # executing the state's body (resume: execute it again)
WAIT = "wait"  # Wait state until `until`
RETRY = "retry"  # backing off until `until` before the next attempt
TASK = "task"  # a task handler was called; no result recorded
RESULT = "result"  # the task's result (or error) is recorded: never call the handler again
BRANCHES = "branches"  # waiting for Map iterations or Parallel branches
DONE = "done"  # a branch or iteration that finished, with its output
FAILED = "failed"  # a branch or iteration that failed, with error and cause
REDRIVE = "redrive"  # RedriveExecution (service/redrive.py): enter the state again, as if anew


@dataclass(slots=True, eq=False)
class Frame:
    """One thread of control and its position; `eq=False` keeps frames hashable by identity."""

    id: str
    previous: int  # id of this thread's last event
    history: History
    variables: dict[str, Json] | None
    assigned: dict[str, Json] | None = None  # variables a state assigned, applied as it exits
    state: str | None = None
    input: Json = None
    entered: int = 0
    entered_at: float = 0.0
    attempts: list[int] = field(default_factory=list)
    retry_count: int = 0
    phase: Phase = field(default_factory=lambda: {"kind": RUN})
    resumed: Phase | None = None  # the phase found on disk, until the body consumes it
    # A Parallel branch: a state it leaves unfinished when the branch fails or is cancelled is
    # recorded as <Type>StateAborted (recorded: SQS_PARALLEL_WAIT_FOR_TASK_TOKEN).
    aborts: bool = False

    def child_id(self, index: int) -> str:
        return f"{self.id}/{self.entered}.{self.retry_count}:{index}"

    def snapshot(self) -> dict[str, Json]:
        return {
            "previous": self.previous,
            "variables": self.variables,
            "state": self.state,
            "input": self.input,
            "entered": self.entered,
            "entered_at": self.entered_at,
            "attempts": self.attempts,
            "retry_count": self.retry_count,
            "phase": self.phase,
        }

    def restore(self, saved: dict[str, Json]) -> None:
        """Take the position a snapshot describes; the body sees its phase through `resumed`."""
        self.previous = saved["previous"]
        self.variables = saved["variables"]
        self.state = saved["state"]
        self.input = saved["input"]
        self.entered = saved["entered"]
        self.entered_at = saved["entered_at"]
        self.attempts = list(saved["attempts"])
        self.retry_count = saved["retry_count"]
        self.phase = saved["phase"]
        self.resumed = saved["phase"]

    def take_resumed(self, kind: str) -> dict[str, Json] | None:
        """The saved phase, if it is of `kind`: consumed, so only the first attempt resumes."""
        resumed = self.resumed
        if resumed is not None and resumed.get("kind") == kind:
            self.resumed = None
            return resumed
        return None


@dataclass
class Resume:
    """What a restarted server found on disk for one execution."""

    frames: dict[str, dict[str, Json]]  # frame id -> snapshot
    last_event_id: int

    def take(self, frame_id: str) -> dict[str, Json] | None:
        return self.frames.pop(frame_id, None)
