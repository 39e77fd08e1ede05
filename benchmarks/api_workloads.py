"""W5-W8 of the benchmarks issue: workloads that only make sense through the API.

W1-W4 (`workloads.py`) measure the interpreter; these measure what a server adds around it:
concurrent starts, synchronous Express calls, activity workers and parked task tokens. Each is a
definition plus a per-execution input and check, so every driver verifies every output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

Json = Any


@dataclass(frozen=True)
class ApiWorkload:
    name: str
    title: str
    definition: Callable[[str], dict[str, Any]]  # the resource ARN it needs (activity, child machine) -> ASL
    count: int  # executions (or calls) per run
    transitions: int  # states entered per execution
    input: Callable[[int], Json]
    check: Callable[[int, Json], bool]
    machine_type: str = "STANDARD"


def _numbered(index: int) -> Json:
    return {"n": index}


def three_states(count: int = 500) -> ApiWorkload:
    """W5: many StartExecution calls of a small Standard machine, from several client threads."""
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Parameters": {"n.$": "$.n", "k": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Result": "x", "ResultPath": "$.b", "Next": "C"},
            "C": {"Type": "Succeed"},
        },
    }
    return ApiWorkload(
        "W5", f"{count} starts, 8 threads", lambda _: definition, count, 3, _numbered,
        lambda index, output: output == {"n": index, "k": 1, "b": "x"},
    )


def express_chain(calls: int = 300) -> ApiWorkload:
    """W6: StartSyncExecution of a 5-state Express machine; the latency a caller waits."""
    states: dict[str, Any] = {
        f"S{index}": {"Type": "Pass", "ResultPath": f"$.s{index}", "Result": index, "Next": f"S{index + 1}"}
        for index in range(4)
    }
    states["S4"] = {"Type": "Pass", "Parameters": {"n.$": "$.n", "last.$": "$.s3"}, "End": True}
    definition = {"StartAt": "S0", "States": states}
    return ApiWorkload(
        "W6", f"StartSync 5-state x{calls}", lambda _: definition, calls, 5, _numbered,
        lambda index, output: output == {"n": index, "last": 3}, machine_type="EXPRESS",
    )


def activity_task(count: int = 100) -> ApiWorkload:
    """W7: executions parked on an activity, drained by one GetActivityTask/SendTaskSuccess worker.

    The worker answers `{"done": n}` for input `{"n": n}`, so each output proves the right token
    reached the right execution."""

    def definition(activity_arn: str) -> dict[str, Any]:
        return {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity_arn, "End": True}}}

    return ApiWorkload(
        "W7", f"{count} activity tasks", definition, count, 1, _numbered,
        lambda index, output: output == {"done": index},
    )


def parked_tokens(count: int = 10_000) -> ApiWorkload:
    """W8: executions parked at once on `.waitForTaskToken`, then all answered.

    The token goes to a nested execution (`states:startExecution.waitForTaskToken`), the one
    callback integration every Step Functions server can perform without another service; the
    benchmark reads it back from the parent's TaskScheduled event, as an operator would."""

    def definition(child_arn: str) -> dict[str, Any]:
        return {
            "StartAt": "Park",
            "States": {
                "Park": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
                    "Parameters": {"StateMachineArn": child_arn, "Input": {"token.$": "$$.Task.Token", "n.$": "$.n"}},
                    "End": True,
                }
            },
        }

    return ApiWorkload(
        "W8", f"{count:,} parked tokens", definition, count, 1, _numbered,
        lambda index, output: output == {"done": index},
    )


CHILD_DEFINITION: dict[str, Any] = {"StartAt": "Noop", "States": {"Noop": {"Type": "Succeed"}}}
