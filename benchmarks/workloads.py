"""The benchmark workloads (W1-W4 of the benchmarks issue), each a definition, an input and a check.

Every peer runs the same definitions, and every result is checked, so no engine wins by being
wrong. A transition is one state entered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

Json = Any


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    definition: dict[str, Any]
    input: Json
    transitions: int
    check: Callable[[Json], bool]


def pass_chain(length: int = 50) -> Workload:
    """W1: Pass states with InputPath, Parameters and ResultPath on each."""
    states: dict[str, Any] = {}
    for index in range(length):
        state: dict[str, Any] = {
            "Type": "Pass",
            "InputPath": "$",
            "Parameters": {"step": index, "count.$": "$.count", "payload.$": "$.payload"},
            "ResultPath": "$",
        }
        if index + 1 < length:
            state["Next"] = f"S{index + 1}"
        else:
            state["End"] = True
        states[f"S{index}"] = state
    return Workload(
        "W1", f"{length} Pass states", {"StartAt": "S0", "States": states},
        {"count": 1, "payload": {"id": "abc", "items": [1, 2, 3]}}, length,
        lambda output: output == {"step": length - 1, "count": 1, "payload": {"id": "abc", "items": [1, 2, 3]}},
    )


def choice_loop(iterations: int = 200) -> Workload:
    """W2: a Choice-driven counter loop using States.MathAdd."""
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": iterations, "Next": "Done"}],
                "Default": "Increment",
            },
            "Increment": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
            "Done": {"Type": "Succeed"},
        },
    }
    return Workload(
        "W2", f"Choice loop x{iterations}", definition, {"i": 0}, 2 * iterations + 2,
        lambda output: output == {"i": iterations},
    )


def inline_map(items: int = 1000) -> Workload:
    """W3: an inline Map over `items` items with a 3-state ItemProcessor."""
    processor = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Parameters": {"v.$": "$"}, "Next": "B"},
            "B": {"Type": "Pass", "ResultPath": "$.seen", "Result": True, "Next": "C"},
            "C": {"Type": "Pass", "OutputPath": "$.v", "End": True},
        },
    }
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}}
    return Workload(
        "W3", f"inline Map x{items}", definition, list(range(items)), 3 * items + 1,
        lambda output: output == list(range(items)),
    )


def parallel_branches(branches: int = 10, depth: int = 10) -> Workload:
    """W4: Parallel with `branches` branches of `depth` Pass states."""

    def branch(number: int) -> dict[str, Any]:
        states = {
            f"B{number}S{index}": {"Type": "Pass", "Next": f"B{number}S{index + 1}"} for index in range(depth - 1)
        }
        states[f"B{number}S{depth - 1}"] = {"Type": "Pass", "Result": number, "End": True}
        return {"StartAt": f"B{number}S0", "States": states}

    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "Branches": [branch(n) for n in range(branches)], "End": True}},
    }
    return Workload(
        "W4", f"Parallel {branches}x{depth}", definition, {"x": 1}, branches * depth + 1,
        lambda output: output == list(range(branches)),
    )


ENGINE_WORKLOADS: list[Callable[[], Workload]] = [pass_chain, choice_loop, inline_map, parallel_branches]
