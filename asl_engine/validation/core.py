"""validate_definition: parse, check the schema, run the rule table, order as AWS does."""

from __future__ import annotations

import json
from typing import Any

from ..json_read import parse_json
from . import schema
from .diagnostic import (
    CODE_RANK,
    ERROR,
    INVALID_JSON_DESCRIPTION,
    Diagnostic,
    error,
    schema_error,
)
from .model import Machine, build
from .rules_data import DATA_RULES
from .rules_graph import GRAPH_RULES
from .rules_states import STATE_RULES

# Per-state rules run in one pass over the states; graph rules need the whole machine.
PER_STATE_RULES = STATE_RULES + DATA_RULES


def _parse(definition: str | dict[str, Any]) -> dict[str, Any] | Diagnostic:
    """JSON text or an already-parsed object, as pure JSON (dict input is normalised by a round trip)."""
    if isinstance(definition, str):
        if not definition.strip():
            return schema_error("Definition must be a valid JSON object", "/")
        try:
            parsed = parse_json(definition)  # no NaN, Infinity, 1e400, unpaired surrogate or 512+ nesting
        except ValueError as exc:  # JSONDecodeError and JsonRejected are ValueErrors
            return error(INVALID_JSON_DESCRIPTION, f"Invalid JSON: {exc}", "/")
    else:
        try:
            parsed = json.loads(json.dumps(definition, allow_nan=False))
        except (TypeError, ValueError) as exc:
            return error(INVALID_JSON_DESCRIPTION, f"The definition is not JSON: {exc}", "/")
    if not isinstance(parsed, dict):
        return schema_error("Definition must be a valid JSON object", "/")
    return parsed


def _run_rules(machine: Machine) -> list[Diagnostic]:
    found = list(schema.check(machine.definition))
    for node in machine.states:
        for state_rule in PER_STATE_RULES:
            found.extend(state_rule(node, machine))
    for graph_rule in GRAPH_RULES:
        found.extend(graph_rule(machine))
    return found


class _DocumentOrder:
    """Sort key placing a location where it appears in the definition (parents before children)."""

    def __init__(self, definition: dict[str, Any]) -> None:
        self.definition = definition
        self.key_positions: dict[int, dict[str, int]] = {}

    def __call__(self, location: str) -> tuple[int, ...]:
        key: list[int] = []
        value: Any = self.definition
        for token in location.split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict) and token in value:
                positions = self.key_positions.get(id(value))
                if positions is None:
                    positions = self.key_positions[id(value)] = {k: i for i, k in enumerate(value)}
                key.append(positions[token])
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                key.append(int(token))
                value = value[int(token)]
            else:
                break
        return tuple(key)


def _ordered(definition: dict[str, Any], found: list[Diagnostic]) -> list[Diagnostic]:
    """Errors before warnings, then by code rank (schema first), then by position in the document."""
    order = _DocumentOrder(definition)
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda d: (d.severity != ERROR, CODE_RANK.get(d.code, 9), order(d.location)))


def validate_definition(definition: str | dict[str, Any], machine_type: str = "STANDARD") -> list[Diagnostic]:
    """Every diagnostic AWS would report for `definition`, most important first. Never raises."""
    try:
        parsed = _parse(definition)
        if isinstance(parsed, Diagnostic):
            return [parsed]
        return _ordered(parsed, _run_rules(build(parsed, machine_type)))
    except RecursionError:
        return [schema_error("The definition is nested too deeply", "/")]


def format_invalid_definition(diagnostic: Diagnostic) -> str:
    """The message CreateStateMachine puts in its InvalidDefinition error."""
    return f"Invalid State Machine Definition: '{diagnostic.code}: {diagnostic.message} at {diagnostic.location}'"
