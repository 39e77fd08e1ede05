"""The outside world of one recorded case: every service a Task calls answers as AWS did.

A case's `task_results` list each recorded task outcome in history order. `RecordedWorld` is a
task handler (it stands for Lambda, SQS, DynamoDB, ... and the worker that answers a token) that
answers each call with the recorded outcome of the matching attempt:

- `*Succeeded` -> the recorded output; `*Failed` -> `StatesError(error, cause)`;
- `*TimedOut` -> never answers, so the engine's own timeout fires on the virtual clock;
- `TaskSubmitted` followed by an outcome -> for `.waitForTaskToken` the send's response, then the
  outcome through the callback registry (as a worker calling SendTask* would); for `.sync` a
  `Submitted` whose completion is the outcome;
- `Activity*` -> a worker pulls the task from the activity queue and answers through the registry.

Attempts are matched by resource and recorded parameters (placeholders match anything), so
Parallel branches and Map iterations may call in any order.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asl_engine.distributed.store import MemoryStore
from asl_engine.errors import StatesError
from asl_engine.tasks.activities import ActivityQueue
from asl_engine.tasks.callbacks import CallbackRegistry
from asl_engine.tasks_api import WAIT_FOR_TASK_TOKEN, Submitted, TaskRequest, integration_pattern, resource_parts

Json = Any


def _attempts(task_results: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group the records: a TaskSubmitted belongs with the outcome that follows it."""
    groups: list[list[dict[str, Any]]] = []
    open_submits: list[list[dict[str, Any]]] = []
    for record in task_results:
        if record["event"] == "TaskSubmitted":
            group = [record]
            groups.append(group)
            open_submits.append(group)
            continue
        owner = next((g for g in open_submits if g[0].get("scheduled") == record.get("scheduled")), None)
        if owner is not None:
            owner.append(record)
            open_submits.remove(owner)
        else:
            groups.append([record])
    return groups


class RecordedWorld:
    """A TaskHandler answering from recordings; `callbacks`/`activities` are the engine's own."""

    def __init__(self, case: dict[str, Any], matcher: Any) -> None:
        self.matcher = matcher
        self.attempts = _attempts(case.get("task_results") or [])
        self.callbacks = CallbackRegistry()
        self.activities = ActivityQueue()
        self.s3 = MemoryStore()  # where a Distributed Map's ResultWriter exports (recorded: its manifest key)

    def object_store(self) -> MemoryStore:
        return self.s3

    async def __call__(self, request: TaskRequest) -> Json:
        attempt = self._take(request.resource, request.input)
        first = attempt[0]
        if first["event"] != "TaskSubmitted":
            return await _answer(first)
        outcome = attempt[1] if len(attempt) > 1 else {"event": "TaskTimedOut"}
        if integration_pattern(request.resource) == WAIT_FOR_TASK_TOKEN:
            assert request.token is not None
            asyncio.get_running_loop().call_soon(self._send_outcome, request.token, outcome)
            return first.get("output")
        return Submitted(first.get("output"), _answer(outcome))

    async def work_activities(self, activity_arns: list[str]) -> None:
        """The activity worker: pull each task and answer it as recorded."""
        while True:
            for arn in activity_arns:
                task = await self.activities.get(arn, "recorded-worker", timeout=0.01)
                if task is not None:
                    attempt = self._take(arn, json.loads(task.input))
                    self._send_outcome(task.token, attempt[0])

    def _send_outcome(self, token: str, record: dict[str, Any]) -> None:
        event = record["event"]
        if event.endswith("Succeeded"):
            self.callbacks.succeed(token, json.dumps(record.get("output")))
        elif event.endswith("Failed"):
            self.callbacks.fail(token, record.get("error"), _cause(record))

    def _take(self, resource: str, given: Json) -> list[dict[str, Any]]:
        """The first unused attempt for this resource whose recorded input matches."""
        candidates = [a for a in self.attempts if self._same_resource(a[0], resource)]
        if not candidates:  # a Distributed Map child's call: not in the parent's history.
            return [{"event": "TaskSucceeded", "output": given}]  # the recorded Lambdas echo

        for attempt in candidates:
            scheduled = attempt[0].get("scheduled") or {}
            recorded = scheduled.get("parameters", scheduled.get("input"))
            if self.matcher.diff(recorded, given) is None:
                break
        else:
            attempt = candidates[0]
        self.attempts.remove(attempt)
        return attempt

    def _same_resource(self, record: dict[str, Any], resource: str) -> bool:
        if "resourceType" not in record:  # Lambda function or activity: the ARN is a stand-in
            return True
        resource_type, name = resource_parts(resource)
        return bool(record["resourceType"] == resource_type and record["resource"] == name)


async def _answer(record: dict[str, Any]) -> Json:
    event = record["event"]
    if event.endswith("TimedOut"):
        await asyncio.get_running_loop().create_future()  # never answers: the engine times out
    if event.endswith("Failed"):
        raise StatesError(record.get("error"), _cause(record))
    return record.get("output")


def _cause(record: dict[str, Any]) -> str | None:
    """lambda:invoke re-serialises a function error's JSON compactly (the recorded Catch outputs
    show it so); the snapshot stored the event's copy with spaces."""
    cause = record.get("cause")
    if record.get("resourceType") != "lambda" or not isinstance(cause, str) or not cause.startswith("{"):
        return cause
    try:
        return json.dumps(json.loads(cause), separators=(",", ":"))
    except ValueError:
        return cause
