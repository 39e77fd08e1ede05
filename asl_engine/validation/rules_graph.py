"""Rules on the state graph: names, duplicates, transition targets, reachability, termination.

Each rule takes the whole Machine and is linear in the number of states: names are checked with
one set, and reachability is one breadth-first search per scope.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from .diagnostic import (
    DUPLICATE_STATE_NAME,
    INVALID_STATE_NAME,
    MISSING_END_STATE,
    MISSING_TRANSITION_TARGET,
    Diagnostic,
    error,
    pointer,
    schema_error,
)
from .model import Machine, StateGroup

MAX_STATE_NAME = 80  # "MUST be less than or equal to 80 Unicode characters" (ASL spec)


def state_names(machine: Machine) -> Iterator[Diagnostic]:
    """State names are limited to 80 characters."""
    for node in machine.states:
        if len(node.name) > MAX_STATE_NAME:
            yield error(INVALID_STATE_NAME,
                        f"State name '{node.name}' is longer than {MAX_STATE_NAME} characters", node.location)


def duplicate_names(machine: Machine) -> Iterator[Diagnostic]:
    """Names are unique in the whole machine, across Parallel branches and Map processors."""
    seen: set[str] = set()
    for node in machine.states:
        if node.name in seen:
            yield error(DUPLICATE_STATE_NAME, f"Duplicate State name: {node.name}", node.location)
        seen.add(node.name)


def _transitions(location: str, state: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(location, target) for every field that names a next state."""
    if "Next" in state:
        yield pointer(location, "Next"), state["Next"]
    if state.get("Type") == "Choice":
        if "Default" in state:
            yield pointer(location, "Default"), state["Default"]
        choices = state.get("Choices")
        for i, rule in enumerate(choices if isinstance(choices, list) else ()):
            if isinstance(rule, dict) and "Next" in rule:
                yield pointer(location, "Choices", i, "Next"), rule["Next"]
    catchers = state.get("Catch")
    for i, catcher in enumerate(catchers if isinstance(catchers, list) else ()):
        if isinstance(catcher, dict) and "Next" in catcher:
            yield pointer(location, "Catch", i, "Next"), catcher["Next"]


def transition_targets(machine: Machine) -> Iterator[Diagnostic]:
    """StartAt, Next, Default and Catch targets name a state of the same scope."""
    for scope in machine.scopes:
        if isinstance(scope.start_at, str):
            if not scope.states:
                yield schema_error("The field 'StartAt' must name a state, but 'States' is empty",
                                   pointer(scope.location, "StartAt"))
            elif scope.start_at not in scope.states:
                yield error(MISSING_TRANSITION_TARGET, f"Missing 'StartAt' target: {scope.start_at}",
                            pointer(scope.location, "StartAt"))
    for node in machine.states:
        for location, target in _transitions(node.location, node.state):
            if isinstance(target, str) and target not in node.scope.states:
                field = location.rsplit("/", 1)[1]
                yield error(MISSING_TRANSITION_TARGET, f"Missing '{field}' target: {target}", location)


def _reachable(scope: StateGroup) -> set[str]:
    seen = {scope.start_at}
    queue = deque([scope.start_at])
    while queue:
        state = scope.states[queue.popleft()]
        if not isinstance(state, dict):
            continue
        for _, target in _transitions("", state):
            if isinstance(target, str) and target in scope.states and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def reachability(machine: Machine) -> Iterator[Diagnostic]:
    """Every state is reachable from its scope's StartAt (AWS: 'State "X" is not reachable.')."""
    for scope in machine.scopes:
        if not isinstance(scope.start_at, str) or scope.start_at not in scope.states:
            continue  # already reported; every state would be unreachable
        reached = _reachable(scope)
        for name in scope.states:
            if name not in reached:
                yield error(MISSING_TRANSITION_TARGET, f'State "{name}" is not reachable.',
                            pointer(scope.location, "States", name))


def _is_terminal(state: Any) -> bool:
    return isinstance(state, dict) and (state.get("Type") in ("Succeed", "Fail") or state.get("End") is True)


def terminal_state(machine: Machine) -> Iterator[Diagnostic]:
    """Each scope has a state that ends it; otherwise every path loops forever."""
    for scope in machine.scopes:
        if scope.states and not any(_is_terminal(s) for s in scope.states.values()):
            yield error(MISSING_END_STATE, "Workflow has no terminal state", pointer(scope.location, "States"))


GRAPH_RULES = (state_names, duplicate_names, transition_targets, reachability, terminal_state)
