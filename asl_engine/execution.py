"""The data an execution is run with and ends with; shared by the runner, the store and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Json = Any
HistoryEvent = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExecutionInfo:
    """Who an execution is: what `$$.Execution` and `$$.StateMachine` show."""

    execution_arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    role_arn: str
    start_time: float  # epoch seconds
    input: Json
    redrive_count: int = 0
    task_token_prefix: str = ""
    redrive_time: float | None = None  # when RedriveExecution last redrove it ($$.Execution.RedriveTime)


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """How an execution ended. `output` is set for SUCCEEDED only."""

    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    output: Json = None
    error: str | None = None
    cause: str | None = None
    stop_time: float = 0.0


class EventSink(Protocol):
    """Receives the history events of one transition at a time.

    Events are AWS's history-event shape (`id`, `previousEventId`, `timestamp` as epoch seconds,
    `type`, and one `...EventDetails` object whose `input`/`output` are JSON text). `checkpoint`
    is the runner's position after the transition (plain data), so a store can save both in one
    transaction. `emit` must not block: a store batches and commits in the background.
    """

    def emit(self, events: list[HistoryEvent], checkpoint: Json | None = None) -> None: ...

    async def written(self) -> None:
        """Return once everything emitted so far is committed (at once when nothing is stored)."""
        ...

    def behind(self) -> bool:
        """Has the store fallen so far behind with what it was given that a run going on should
        wait for it (`written`) before it makes more?"""
        ...


@dataclass
class ListSink:
    """Keeps events in memory: for tests and in-process runs."""

    events: list[HistoryEvent] = field(default_factory=list)

    def emit(self, events: list[HistoryEvent], checkpoint: Json | None = None) -> None:
        self.events.extend(events)

    async def written(self) -> None:
        return None

    def behind(self) -> bool:
        return False
