"""What happened to each state of one execution, read from its history alone.

An event belongs to the state whose `…StateEntered` it chains back to through `previousEventId`
(that is how AWS links a Task's `TaskScheduled` to its `TaskStateEntered`); the Map iteration
events name their Map. One entry of a state is a *visit*: a Map's inner states have one visit per
iteration. A visit ends succeeded (exited), retried (exited after more than one attempt),
caught (a failure that the machine went on from: the state exited, or the next state was
entered straight from the failure), failed, or is still running. A state's status is that of
its most telling visit: running, then failed, caught, retried, succeeded; a state never entered
is not-run. A redrive (`ExecutionRedriven`) starts the failed states over: a state entered again
after it has the status and error of those later visits alone, as DescribeExecution has the
redriven run's status.

Pure: events in, plain data out, so it is tested without a server or a browser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from asl_engine.history import details_key

Event = dict[str, Any]

STATUSES = ("running", "failed", "caught", "retried", "succeeded")  # most telling first
NOT_RUN = "not-run"
MAX_STATE_EVENTS = 50  # events listed per state in its panel; the table has them all
_ATTEMPTS = ("Scheduled",)  # TaskScheduled, LambdaFunctionScheduled, ActivityScheduled
_RESTARTS = ("MapStateStarted", "ParallelStateStarted")  # a Map or Parallel (re)tried


def details_of(event: Event) -> dict[str, Any]:
    """An event's `…EventDetails` member (events carry at most one)."""
    key = details_key(event["type"])
    if key is not None:
        found: dict[str, Any] = event.get(key) or {}
        return found
    return next((value for key, value in event.items() if key.endswith("EventDetails")), {})


@dataclass(frozen=True)
class _Kind:
    """What an event type means here, worked out once per type (a history has few types)."""

    own: bool  # belongs to a state (the Execution* events are the execution's own)
    entered: bool
    exited: bool
    iteration_end: bool  # chains to the iteration's last inner event, not to its Map
    attempt: bool  # a (re)try: a task scheduled, a Map or Parallel (re)started
    failure: bool
    opens_scope: bool  # the states entered right after it are inside its Map or Parallel


@lru_cache(maxsize=None)
def _kind(kind: str) -> _Kind:
    return _Kind(
        own=not kind.startswith("Execution"),
        entered=kind.endswith("StateEntered"),
        exited=kind.endswith("StateExited"),
        iteration_end=kind in ("MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"),
        attempt=kind.endswith(_ATTEMPTS) or kind in _RESTARTS,
        failure=not kind.startswith(("Execution", "MapIteration")) and (
            kind == "FailStateEntered" or kind.endswith(("Failed", "TimedOut", "Aborted"))),
        opens_scope=kind in ("MapIterationStarted", "ParallelStateStarted"),
    )


@dataclass
class Visit:
    state: str
    start: float
    end: float | None = None
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    attempts: int = 0
    final_failure: int | None = None  # id of a failure no retry followed
    exited: bool = False
    continued: bool = False  # a next state was entered straight from the final failure
    parent: Visit | None = None  # the Map or Parallel visit whose iteration or branch it is in
    redrive: int = 0  # how many redrives came before it
    child_error: tuple[str, str | None] | None = None  # the last error of a state inside it
    event_ids: list[int] = field(default_factory=list)

    def status(self, execution_running: bool) -> str:
        if self.final_failure is not None:
            return "caught" if self.exited or self.continued else "failed"
        if self.exited:
            return "retried" if self.attempts > 1 else "succeeded"
        return "running" if execution_running else "failed"  # stopped or timed out in it


@dataclass
class StateRun:
    """Everything the console shows about one state: its colour and its panel."""

    name: str
    status: str
    visits: int
    retries: int
    input: str | None
    output: str | None
    error: str | None
    cause: str | None
    start: float | None
    end: float | None
    iterations: int  # a Map's iterations started (0 for other states)
    event_ids: list[int]


@dataclass
class ExecutionView:
    states: dict[str, StateRun]  # by name, only states that were entered
    state_of_event: dict[int, str]  # event id -> state name (absent: the execution's own events)
    visit_duration: dict[int, float]  # id of the event that ended a visit -> the visit's seconds
    children: list[str]  # ARNs of child executions (states:startExecution), in order
    map_runs: dict[str, str]  # a Distributed Map's name -> its (last) Map Run's ARN
    start: float
    end: float

    def status_of(self, name: str) -> str:
        run = self.states.get(name)
        return run.status if run is not None else NOT_RUN


def analyse(events: list[Event], execution_running: bool, now: float) -> ExecutionView:
    """One pass over the history (25,000 events take a few tens of milliseconds)."""
    analysis = Analysis()
    analysis.feed(events)
    return analysis.view(execution_running, now)


class Analysis:
    """`analyse` as it goes: fed a history's events in order, in as many slices as they arrive (a
    running execution's page feeds only the events after the last one it fed, instead of the whole
    history every second), and read as a view at any moment. Events already fed are skipped."""

    def __init__(self) -> None:
        self.visits: list[Visit] = []
        self.visit_of: dict[int, Visit] = {}  # event id -> the visit it belongs to
        self.state_of_event: dict[int, str] = {}
        self.opens_scope: set[int] = set()  # MapIterationStarted and ParallelStateStarted event ids
        self.iterations: dict[str, int] = {}
        self.children: dict[str, None] = {}  # in order, once each
        self.ended_by: dict[int, float] = {}
        self.map_runs: dict[str, str] = {}
        self.events: dict[int, tuple[str, float]] = {}  # id -> (type, timestamp), for the panels
        # Each state's last visit: the only one whose input and output are kept (and shown), so a
        # kept analysis holds one payload or two per state, not one per event.
        self.latest: dict[str, Visit] = {}
        self.redrives = 0
        self.last_id = 0
        self.first: float | None = None
        self.last: float | None = None

    def feed(self, events: list[Event]) -> None:
        for event in events:
            if event["id"] > self.last_id:
                self._one(event)

    def _one(self, event: Event) -> None:
        kind, event_id = _kind(event["type"]), event["id"]
        self.last_id, self.last = event_id, event["timestamp"]
        self.first = event["timestamp"] if self.first is None else self.first
        self.events[event_id] = (event["type"], event["timestamp"])
        previous_id = event.get("previousEventId", 0)
        previous = self.visit_of.get(previous_id)
        details = details_of(event)
        if not kind.own:  # the execution's own event; a failure names the state that caused it
            self.redrives += event["type"] == "ExecutionRedriven"
            if previous is not None and previous.error is None and details.get("error") is not None:
                previous.error, previous.cause = details.get("error"), details.get("cause")
            return
        visit: Visit | None = previous
        if kind.entered:
            visit = Visit(details.get("name", "?"), event["timestamp"], input=details.get("input"),
                          redrive=self.redrives)
            if previous is not None:
                visit.parent = previous if previous_id in self.opens_scope else previous.parent
                if previous.final_failure == previous_id:  # entered straight from a failure: a Catch
                    previous.continued = True
            self.visits.append(visit)
            earlier = self.latest.get(visit.state)
            if earlier is not None:
                earlier.input = earlier.output = None
            self.latest[visit.state] = visit
        elif kind.iteration_end and previous is not None:
            visit = previous.parent  # chains to the iteration's last inner event
        if visit is None:
            return
        self.visit_of[event_id] = visit
        self.state_of_event[event_id] = visit.state
        visit.event_ids.append(event_id)
        if kind.opens_scope:
            self.opens_scope.add(event_id)
            if event["type"] == "MapIterationStarted":
                self.iterations[visit.state] = self.iterations.get(visit.state, 0) + 1
        if kind.attempt:
            visit.attempts += 1
            visit.final_failure = None
            visit.end = None
        if kind.failure:
            visit.final_failure = event_id
            if "error" in details:
                visit.error, visit.cause = details["error"], details.get("cause")
            elif visit.child_error is not None:  # ParallelStateFailed and the like say nothing:
                visit.error, visit.cause = visit.child_error  # the branch's failure is the why
            if visit.parent is not None and visit.error is not None:
                visit.parent.child_error = (visit.error, visit.cause)
            visit.end = event["timestamp"]
            self.ended_by[event_id] = visit.end - visit.start
        if kind.exited:
            visit.exited = True
            visit.output = details.get("output") if self.latest.get(visit.state) is visit else None
            visit.end = event["timestamp"]
            self.ended_by[event_id] = visit.end - visit.start
        if details.get("resourceType") == "states":
            self.children.update(dict.fromkeys(_child_executions(event["type"], details)))
        if event["type"] == "MapRunStarted" and "mapRunArn" in details:
            self.map_runs[visit.state] = details["mapRunArn"]

    def view(self, execution_running: bool, now: float) -> ExecutionView:
        first = self.first if self.first is not None else now
        end = now if execution_running or self.last is None else self.last
        return ExecutionView(_summarise(self.visits, self.iterations, execution_running, end),
                             self.state_of_event, self.ended_by, list(self.children), dict(self.map_runs),
                             first, max(end, first))


def _summarise(visits: list[Visit], iterations: dict[str, int], running: bool, now: float
               ) -> dict[str, StateRun]:
    by_state: dict[str, list[Visit]] = {}
    for visit in visits:
        by_state.setdefault(visit.state, []).append(visit)
    states: dict[str, StateRun] = {}
    for name, runs in by_state.items():
        latest = [visit for visit in runs if visit.redrive == runs[-1].redrive]  # the last run's visits
        statuses = {visit.status(running) for visit in latest}
        status = next(candidate for candidate in STATUSES if candidate in statuses)
        last = runs[-1]
        failed = next((visit for visit in reversed(latest) if visit.error is not None), None)
        ends = [visit.end if visit.end is not None else now for visit in runs]
        states[name] = StateRun(
            name=name, status=status, visits=len(runs),
            retries=sum(max(0, visit.attempts - 1) for visit in runs),
            input=last.input, output=last.output,
            error=failed.error if failed else None, cause=failed.cause if failed else None,
            start=runs[0].start, end=max(ends), iterations=iterations.get(name, 0),
            event_ids=[event_id for visit in runs for event_id in visit.event_ids][:MAX_STATE_EVENTS],
        )
    return states


def _child_executions(kind: str, details: dict[str, Any]) -> list[str]:
    """Child executions a `states:startExecution` task started: AWS puts the child's ARN in the
    task's output (`ExecutionArn`) once it was submitted or has ended."""
    if details.get("resourceType") != "states" or kind not in ("TaskSubmitted", "TaskSucceeded"):
        return []
    try:
        output = json.loads(details.get("output") or "null")
    except ValueError:
        return []
    arn = output.get("ExecutionArn") if isinstance(output, dict) else None
    return [arn] if isinstance(arn, str) else []
