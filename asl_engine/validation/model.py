"""A tolerant view of a definition: every scope (machine, branch, item processor) and every state.

Rules run even when the schema pass failed, so this walk accepts any JSON value and simply skips
what is not shaped like a state machine. Scopes are collected breadth-first (the top level, then
the scopes nested in it), which is the order AWS reports duplicate names in: the copy nested deeper
is the duplicate.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from .diagnostic import pointer

JSONPATH = "JSONPath"
JSONATA = "JSONata"

# Fields of a state that hold a nested state machine ("scope").
NESTED_SCOPES = {"Parallel": ("Branches",), "Map": ("ItemProcessor", "Iterator")}


@dataclass(frozen=True, slots=True)
class StateGroup:
    """A set of states with its StartAt; transitions may not leave it."""

    location: str  # "" for the top level, e.g. "/States/P/Branches/0"
    start_at: Any
    states: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StateNode:
    name: str
    state: dict[str, Any]
    location: str
    scope: StateGroup
    query_language: str  # effective: the state's own QueryLanguage, else the machine's


@dataclass(frozen=True, slots=True)
class Machine:
    definition: dict[str, Any]
    machine_type: str
    query_language: str
    scopes: tuple[StateGroup, ...]
    states: tuple[StateNode, ...]


def build(definition: dict[str, Any], machine_type: str) -> Machine:
    """Collect scopes and states in one linear pass."""
    top_language = definition.get("QueryLanguage")
    machine_language = JSONATA if top_language == JSONATA else JSONPATH
    scopes: list[StateGroup] = []
    nodes: list[StateNode] = []
    pending: deque[tuple[str, dict[str, Any]]] = deque([("", definition)])
    while pending:
        location, body = pending.popleft()
        states = body.get("States")
        if not isinstance(states, dict):
            continue  # the schema reports it; without states there is nothing to follow
        scope = StateGroup(location, body.get("StartAt"), states)
        scopes.append(scope)
        for name, state in scope.states.items():
            if not isinstance(state, dict):
                continue
            state_location = pointer(location, "States", name)
            own = state.get("QueryLanguage")
            language = own if own in (JSONPATH, JSONATA) else machine_language
            nodes.append(StateNode(name, state, state_location, scope, language))
            kind = state.get("Type")
            for field in NESTED_SCOPES.get(kind, ()) if isinstance(kind, str) else ():
                nested = state.get(field)
                if field == "Branches" and isinstance(nested, list):
                    pending.extend((pointer(state_location, field, i), b)
                                   for i, b in enumerate(nested) if isinstance(b, dict))
                elif isinstance(nested, dict):
                    pending.append((pointer(state_location, field), nested))
    return Machine(definition, machine_type, machine_language, tuple(scopes), tuple(nodes))
