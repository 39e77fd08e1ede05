"""History events as AWS names and shapes them, with ids assigned in order.

Events are collected per execution and handed to the sink a transition at a time (`flush`), so
a store can write the events of one transition, and the position they lead to, in one
transaction. Each event's `previousEventId` is the last event of the same thread of control
(the execution, a Parallel branch or a Map iteration), as in AWS's histories.
"""

from __future__ import annotations

from typing import Any, Callable

from .clock import Clock
from .execution import EventSink, HistoryEvent
from .limits import MAX_HISTORY_EVENTS

Json = Any

# The `...EventDetails` key of each event type that carries details; other types carry none.
_DETAILS_KEY: dict[str, str] = {
    "ExecutionStarted": "executionStartedEventDetails",
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionRedriven": "executionRedrivenEventDetails",
    "MapStateStarted": "mapStateStartedEventDetails",
    "MapIterationStarted": "mapIterationStartedEventDetails",
    "MapIterationSucceeded": "mapIterationSucceededEventDetails",
    "MapIterationFailed": "mapIterationFailedEventDetails",
    "MapIterationAborted": "mapIterationAbortedEventDetails",
    "MapRunStarted": "mapRunStartedEventDetails",
    "MapRunFailed": "mapRunFailedEventDetails",
    "MapRunRedriven": "mapRunRedrivenEventDetails",
    "TaskScheduled": "taskScheduledEventDetails",
    "TaskStarted": "taskStartedEventDetails",
    "TaskSubmitted": "taskSubmittedEventDetails",
    "TaskSucceeded": "taskSucceededEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "TaskStartFailed": "taskStartFailedEventDetails",
    "TaskSubmitFailed": "taskSubmitFailedEventDetails",
    "LambdaFunctionScheduled": "lambdaFunctionScheduledEventDetails",
    "LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails",
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
    "LambdaFunctionScheduleFailed": "lambdaFunctionScheduleFailedEventDetails",
    "LambdaFunctionStartFailed": "lambdaFunctionStartFailedEventDetails",
    "ActivityScheduled": "activityScheduledEventDetails",
    "ActivityStarted": "activityStartedEventDetails",
    "ActivitySucceeded": "activitySucceededEventDetails",
    "ActivityFailed": "activityFailedEventDetails",
    "ActivityTimedOut": "activityTimedOutEventDetails",
    "ActivityScheduleFailed": "activityScheduleFailedEventDetails",
    "EvaluationFailed": "evaluationFailedEventDetails",
}


_CLOSING = frozenset(("ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"))
HISTORY_FULL = f"The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."


def details_key(event_type: str) -> str | None:
    """Where an event type keeps its details: `PassStateEntered` -> `stateEnteredEventDetails`."""
    key = _DETAILS_KEY.get(event_type)
    if key is None:
        if event_type.endswith("StateEntered"):
            key = _DETAILS_KEY[event_type] = "stateEnteredEventDetails"  # learnt once per state type
        elif event_type.endswith("StateExited"):
            key = _DETAILS_KEY[event_type] = "stateExitedEventDetails"
    return key


class History:
    """Numbers events and hands them to the sink in transition-sized batches."""

    __slots__ = ("_clock", "_pending", "_sink", "count", "on_full", "pending_characters")

    def __init__(self, clock: Clock, sink: EventSink) -> None:
        self._clock = clock
        self._sink = sink
        self._pending: list[HistoryEvent] = []
        self.count = 0
        self.on_full: Callable[[], None] | None = None  # the run ends itself (runtime/run.py)
        self.pending_characters = 0  # of the inputs and outputs among the pending events

    def add(self, event_type: str, previous: int, details: dict[str, Json] | None = None) -> int:
        """Record one event; returns its id.

        A history holds 25,000 events, the last of them the execution's end ("If the event number
        25,000 isn't ExecutionSucceeded, the ExecutionFailed event is logged", bp-history-limit).
        A state checks for room before it starts (runtime/shell.py), but Map iterations and
        Parallel branches running at once each finish what they started: past 24,999 events
        nothing more is recorded but the end, and `on_full` ends the execution."""
        if self.count >= MAX_HISTORY_EVENTS - 1 and event_type not in _CLOSING:
            full, self.on_full = self.on_full, None
            if full is not None:
                full()
            return self.count
        self.count += 1
        event: HistoryEvent = {
            "timestamp": self._clock.time(),
            "type": event_type,
            "id": self.count,
            "previousEventId": previous,
        }
        if details is not None:
            event[details_key(event_type) or "details"] = details
            payload = details.get("input") or details.get("output")
            if payload is not None:
                self.pending_characters += len(payload)
        self._pending.append(event)
        return self.count

    @property
    def pending(self) -> int:
        """How many events wait for the next flush."""
        return len(self._pending)

    def take(self) -> list[HistoryEvent]:
        """The events recorded since the last flush, for a caller that stores them itself."""
        pending, self._pending = self._pending, []
        self.pending_characters = 0
        return pending

    def flush(self, checkpoint: Json | None = None) -> None:
        """Hand the events recorded since the last flush to the sink, with the position."""
        if self._pending or checkpoint is not None:
            pending, self._pending = self._pending, []
            self.pending_characters = 0
            self._sink.emit(pending, checkpoint)
