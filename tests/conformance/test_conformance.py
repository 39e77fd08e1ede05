"""Every runnable execution recorded against real AWS, run in-process on the virtual clock.

The cases are vendored in `cases/` beside this file (recorded by LocalStack's snapshot tests
against AWS Step Functions; origin and licence in cases/README.md; refreshed from ../shared by
refresh_cases.py). compare.py compares status, output, error, cause and event types with the
recordings' placeholder rules.

Cases that need task results (`needs_mocks`) run against `RecordedWorld`, which answers each
Task call with what AWS recorded for it (see recorded_world.py). Every case runs; the ones we
do not match yet are listed in KNOWN_FAILURES with the reason, and are strict xfails: fixing
one fails the suite until the table is updated.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from asl_engine.payload import to_json
from asl_engine.tasks_api import is_activity
from asl_engine.testing import ExecutionResult, run_definition_async

from compare import ROLE_ARN, Matcher, check, needs_mocks  # this folder is on sys.path (pytest's rootdir import)
from corpora import execution_cases
from recorded_world import RecordedWorld

# id -> why we differ from the recording. Keep each reason to one line.
KNOWN_FAILURES: dict[str, str] = {
    "v2/activities/test_activities::TestActivities::test_activity_task_on_deleted":
        "the activity was deleted through the API before the run; in process nothing knows that",
    "v2/test_sfn_api::TestSnfApi::test_stop_execution::exec_hist_resp": "stopped through StopExecution, an API call",
}


def _cases() -> list[Any]:
    params = []
    for case in execution_cases():
        marks = []
        if case["id"] in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[case["id"]], strict=True))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


@pytest.mark.parametrize("case", _cases())
def test_recorded_execution(case: dict[str, Any]) -> None:
    result = asyncio.run(_run(case))
    output = None if result.output is None else json.loads(to_json(result.output))  # as the API returns it
    reason = check(case, result.status, output, result.events)
    assert reason is None, reason


async def _run(case: dict[str, Any]) -> ExecutionResult:
    world = None
    worker = None
    if needs_mocks(case):
        world = RecordedWorld(case, Matcher((case.get("normalize") or {}).get("tokens", [])))
        activities = sorted({arn for arn in _resources(case["definition"]) if is_activity(arn)})
        if activities:
            worker = asyncio.ensure_future(world.work_activities(activities))
    try:
        return await run_definition_async(
            case["definition"],
            case["input"],
            tasks=world,
            role_arn=ROLE_ARN,
            state_machine_name="conformance-machine",
            execution_name="conformance-execution",
        )
    finally:
        if worker is not None:
            worker.cancel()


def _resources(node: Any) -> list[str]:
    """Every Task `Resource` in a definition, nested states included."""
    if isinstance(node, dict):
        found = [node["Resource"]] if isinstance(node.get("Resource"), str) else []
        return found + [arn for value in node.values() for arn in _resources(value)]
    if isinstance(node, list):
        return [arn for value in node for arn in _resources(value)]
    return []
