"""Where an execution is, as plain data: what a store saves and a restarted server resumes from.

An execution is a tree of frames (threads of control): the execution itself, each open Parallel
branch and each open Map iteration. A frame's position is the state it is in, that state's
input, its retry counters and its phase (running the body, waiting until a moment, waiting for a
task, waiting for branches, done). The shell marks a frame dirty whenever its position changes
and `runtime/checkpoints.py` saves every dirty frame with the events of the same transitions, so what is on disk
is always one consistent moment of the execution.

A phase is a frozen dataclass per kind (`RunPhase`, `WaitPhase`...), read by the shell with
`frame.take_resumed(WaitPhase)`. On disk it is the JSON object `{"kind": "wait", "until": ...}`
(`to_json`, `phase_from_json`): its keys are those the first versions wrote, so a file saved by
them still resumes, and the service may read a saved phase as plain JSON (a task's token).

Frame ids encode the tree: "" is the execution; a Map iteration or Parallel branch is
"<parent id>/<entered event id>.<attempt>:<index>", unique within an execution even when a loop
enters the same Map state again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeAlias, TypeVar

from .history import History

Json = Any

RUN = "run"  # executing the state's body (resume: execute it again)
WAIT = "wait"  # Wait state until `until`
RETRY = "retry"  # backing off until `until` before the next attempt
TASK = "task"  # a task handler was called; no result recorded
RESULT = "result"  # the task's result (or error) is recorded: never call the handler again
BRANCHES = "branches"  # waiting for Map iterations or Parallel branches
DONE = "done"  # a branch or iteration that finished, with its output
FAILED = "failed"  # a branch or iteration that failed, with error and cause
REDRIVE = "redrive"  # RedriveExecution (service/redrive.py): enter the state again, as if anew


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


class _Phase:
    """What every phase shares: its `kind` and its JSON form. A field that defaults to None is
    left out of the JSON while it is None; the others are always written. JSON keys are the
    fields' names in camelCase (`map_run_arn` -> `mapRunArn`)."""

    __slots__ = ()
    kind: ClassVar[str]
    _keys: ClassVar[tuple[tuple[str, str, bool], ...]]  # (attribute, JSON key, left out when None)

    def to_json(self) -> dict[str, Json]:
        data: dict[str, Json] = {"kind": self.kind}
        for name, key, optional in self._keys:
            value = getattr(self, name)
            if value is not None or not optional:
                data[key] = value
        return data


@dataclass(frozen=True, slots=True)
class RunPhase(_Phase):
    """Executing the state's body; resumed, the body runs again."""

    kind = RUN


@dataclass(frozen=True, slots=True)
class WaitPhase(_Phase):
    """A Wait state sleeping until `until` (epoch seconds, scaled)."""

    kind = WAIT
    until: float


@dataclass(frozen=True, slots=True)
class RetryPhase(_Phase):
    """Backing off until `until` before the next attempt."""

    kind = RETRY
    until: float


@dataclass(frozen=True, slots=True)
class TaskPhase(_Phase):
    """A task was called and has no recorded result: its `token` (None: none), `deadline`
    (TimeoutSeconds, None: none), the response it `submitted` (TaskSubmitted, None: not yet),
    when it was `opened` (heartbeats count from it), and the worker that `started` an activity."""

    kind = TASK
    token: str | None
    deadline: float | None
    submitted: Json
    opened: float
    started: str | None = None


@dataclass(frozen=True, slots=True)
class ResultPhase(_Phase):
    """The task's result is recorded: the handler is never called again."""

    kind = RESULT
    output: Json


@dataclass(frozen=True, slots=True)
class BranchesPhase(_Phase):
    """Waiting for a Map's iterations or a Parallel's branches; a Distributed Map's Map Run ARN,
    and how often RedriveExecution redrove that Map Run (service/redrive.py)."""

    kind = BRANCHES
    map_run_arn: str | None = None
    redrive_count: int | None = None


@dataclass(frozen=True, slots=True)
class DonePhase(_Phase):
    """A branch or iteration that finished, with its output."""

    kind = DONE
    output: Json


@dataclass(frozen=True, slots=True)
class FailedPhase(_Phase):
    """A branch or iteration that failed."""

    kind = FAILED
    error: str | None
    cause: str | None


@dataclass(frozen=True, slots=True)
class RedrivePhase(_Phase):
    """RedriveExecution: the state is entered again, as if anew (fresh retry counters)."""

    kind = REDRIVE


Phase: TypeAlias = (RunPhase | WaitPhase | RetryPhase | TaskPhase | ResultPhase | BranchesPhase | DonePhase
                    | FailedPhase | RedrivePhase)
P = TypeVar("P", bound=_Phase)
_KINDS: dict[str, type[_Phase]] = {}
for _kind in (RunPhase, WaitPhase, RetryPhase, TaskPhase, ResultPhase, BranchesPhase, DonePhase, FailedPhase,
              RedrivePhase):
    _kind._keys = tuple((f.name, _camel(f.name), f.default is None) for f in fields(_kind))
    _KINDS[_kind.kind] = _kind
RUNNING = RunPhase()


def phase_from_json(data: dict[str, Json]) -> Phase:
    """A saved phase; a field missing from the JSON is None."""
    kind = _KINDS[data["kind"]]
    return kind(**{name: data.get(key) for name, key, _ in kind._keys})  # type: ignore[return-value]


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
    phase: Phase = RUNNING
    resumed: Phase | None = None  # the phase found on disk, until the body consumes it
    # A Parallel branch: a state it leaves unfinished when the branch fails or is cancelled is
    # recorded as <Type>StateAborted (recorded: SQS_PARALLEL_WAIT_FOR_TASK_TOKEN).
    aborts: bool = False

    def record(self, event_type: str, details: dict[str, Json] | None = None) -> None:
        """Record an event of this thread of control: it follows the thread's last event."""
        self.previous = self.history.add(event_type, self.previous, details)

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
            "phase": self.phase.to_json(),
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
        self.phase = self.resumed = phase_from_json(saved["phase"])

    def take_resumed(self, kind: type[P]) -> P | None:
        """The saved phase, if it is of `kind`: consumed, so only the first attempt resumes."""
        resumed = self.resumed
        if type(resumed) is kind:
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
