"""Reading an execution's history the way a test asks about it: the path it took, a state's input
and output, and what a running execution is waiting for.

Pure functions over history events. They read the store's events and AWS's (boto3's) alike: both
have `id`, `previousEventId`, `type` and one `...EventDetails` object. Which state an event
belongs to follows `previousEventId`: every event of a state's run chains back to its
`...StateEntered`, and events chained to its `...StateExited` belong to the scope around it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

Json = Any
Event = Mapping[str, Any]
WAIT_FOR_TASK_TOKEN = ".waitForTaskToken"
# A state still open after one of these is in its Retry backoff (else it would have exited or ended).
RETRIED = frozenset(f"{family}{outcome}" for family in ("Task", "LambdaFunction", "Activity")
                    for outcome in ("Failed", "TimedOut", "StartFailed", "SubmitFailed", "ScheduleFailed"))


def details(event: Event) -> dict[str, Json]:
    """The event's `...EventDetails` object ({} for events that have none)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def all_states(definition: Mapping[str, Json]) -> dict[str, dict[str, Json]]:
    """Path -> state object, for every state, nested ones included, in definition order: a state
    of a Map's processor or a Parallel's branch as `"Map/Inner"`."""
    found: dict[str, dict[str, Json]] = {}

    def walk(states: Any, prefix: str) -> None:
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            found[prefix + name] = state
            for branch in state.get("Branches") or ():
                if isinstance(branch, dict):
                    walk(branch.get("States"), f"{prefix}{name}/")
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if isinstance(processor, dict):
                walk(processor.get("States"), f"{prefix}{name}/")

    walk(definition.get("States"), "")
    return found


def state_paths(definition: Mapping[str, Json]) -> dict[str, str]:
    """State name -> its path (`all_states`). Names are unique in a whole state machine (ASL),
    so a name finds its path."""
    paths: dict[str, str] = {}
    for path in all_states(definition):
        paths.setdefault(leaf(path), path)
    return paths


def leaf(state: str) -> str:
    """`"Map/Inner"` or `"Inner"` -> `"Inner"`: tests may name a nested state either way."""
    return state.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Occurrence:
    """One run of a state: its `...StateEntered` event and the events that belong to it."""

    entered: Event
    parent: int | None  # the id of the StateEntered of the state it runs inside (Map, Parallel)
    events: list[Event]

    @property
    def name(self) -> str:
        return str(details(self.entered).get("name", ""))

    @property
    def type(self) -> str:
        return str(self.entered["type"])[: -len("StateEntered")]

    @property
    def exited(self) -> Event | None:
        return next((e for e in self.events if str(e["type"]).endswith("StateExited")), None)

    @property
    def closed(self) -> bool:
        return any(str(e["type"]).endswith(("StateExited", "StateAborted")) for e in self.events)


def occurrences(events: Iterable[Event]) -> list[Occurrence]:
    """Every state run in the history, in the order they were entered."""
    owner: dict[int, int | None] = {}  # event id -> the StateEntered id it belongs to
    after: dict[int, int | None] = {}  # event id -> the StateEntered id of events chained to it
    found: dict[int, Occurrence] = {}
    for event in sorted(events, key=lambda e: int(e["id"])):
        event_id, previous, kind = int(event["id"]), int(event.get("previousEventId") or 0), str(event["type"])
        if kind.endswith("StateEntered"):
            owner[event_id] = event_id
            found[event_id] = Occurrence(event, after.get(previous), [])
        else:
            owner[event_id] = after.get(previous)
        mine = owner[event_id]
        if mine is not None and mine != event_id:
            found[mine].events.append(event)
        closing = kind.endswith(("StateExited", "StateAborted"))
        after[event_id] = found[mine].parent if closing and mine is not None else mine
    return list(found.values())


def entered_path(events: Iterable[Event], paths: Mapping[str, str]) -> list[str]:
    """The states entered, in order, each as its path (once per Map iteration)."""
    return [paths.get(run.name, run.name) for run in occurrences(events)]


def state_io(events: Iterable[Event], state: str, field: str) -> Json:
    """The latest `input` (on entering) or `output` (on exiting) of a state, parsed."""
    name = leaf(state)
    runs = [run for run in occurrences(events) if run.name == name]
    for run in reversed(runs):
        event = run.entered if field == "input" else run.exited
        if event is not None:
            text = details(event).get(field)
            return json.loads(text) if isinstance(text, str) else text
    what = "entered" if field == "input" else "exited"
    raise LookupError(f"the state '{state}' was never {what}")


@dataclass(frozen=True)
class Waiting:
    """A state run that is parked: on a task token, an activity, a timer or a job."""

    state: str
    kind: str  # "token" | "activity" | "worker" | "timer" | "job"
    resource: str = ""

    def describe(self) -> str:
        return {
            "token": f"the state '{self.state}' waits for a task token that nobody has answered "
                     f"(SendTaskSuccess / SendTaskFailure)",
            "activity": f"the state '{self.state}' waits for a worker to poll the activity "
                        f"{self.resource}, and nobody polls it",
            "worker": f"the state '{self.state}' waits for the worker that took its activity task "
                      f"({self.resource}) to answer",
            "timer": f"the state '{self.state}' waits on a timer",
            "job": f"the state '{self.state}' waits for the job it started ({self.resource}) to end",
        }[self.kind]


def waiting(events: Iterable[Event]) -> Iterator[Waiting]:
    """The open state runs that are parked, innermost first, in the order entered."""
    for run in occurrences(events):
        if run.closed:
            continue
        kinds = [str(e["type"]) for e in run.events]
        scheduled = next((details(e) for e in run.events if str(e["type"]).endswith("Scheduled")), {})
        resource = str(scheduled.get("resource", ""))
        if (run.type == "Wait" and not kinds) or (kinds and kinds[-1] in RETRIED):
            yield Waiting(run.name, "timer")  # a Wait, or a failed attempt's Retry backoff
        elif kinds and kinds[-1] == "TaskSubmitted":
            yield Waiting(run.name, "token" if resource.endswith(WAIT_FOR_TASK_TOKEN) else "job", resource)
        elif kinds and kinds[-1] == "ActivityScheduled":
            yield Waiting(run.name, "activity", resource)
        elif kinds and kinds[-1] == "ActivityStarted":
            yield Waiting(run.name, "worker", resource)
