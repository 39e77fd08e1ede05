"""A JSONPath Map's own fields, read per run: ItemsPath, and MaxConcurrency,
ToleratedFailureCount and ToleratedFailurePercentage or their `...Path` twins. Pure: the
Map's flow (`engine.step.JsonPathFlow.map_fields`) calls these; JSONata's check the percentage
with `percentage` too."""

from __future__ import annotations

from typing import Any

from .. import model as m
from ..errors import RUNTIME, StatesError
from ..path_values import as_kind, rule_for
from ..paths import Path, PathNotFound, Scope
from ..payload import to_json

Json = Any


def items(state: m.MapState, value: Json, context: Json, variables: Any) -> list[Json]:
    """A JSONPath Map's items: ItemsPath on its effective input, which must name an array."""
    path = state.items_path
    if path is None or (path.steps == () and path.root == "input"):
        items = value
    else:
        try:
            items = path.find(value) if path.root == "input" else path.select(Scope(value, context, variables))
        except PathNotFound:
            raise StatesError(
                RUNTIME,
                f"Invalid path '{path}' : No results for path: {path}",
                in_state=True,
            ) from None
    if not isinstance(items, list):
        raise StatesError(
            RUNTIME,
            f"Item Path '{path}' evaluated to a non-array value: {to_json(items)}"
            if path is not None else "The input of the Map state must be a JSON array.",
            in_state=True,
        )
    return items


def whole_number(source: Any, field: str, scope: Scope) -> int | None:
    """A number field or its `...Path` twin; the path must name an integer the literal could be."""
    if not isinstance(source, Path):
        return source  # type: ignore[no-any-return]
    return _from_path(source, field, scope)  # type: ignore[return-value]


def percentage(source: Any, scope: Scope) -> float | None:
    value = source
    if isinstance(source, Path):
        value = _from_path(source, "ToleratedFailurePercentagePath", scope)
    if value is not None and not rule_for("ToleratedFailurePercentage").admits(value):
        raise StatesError(RUNTIME, "ToleratedFailurePercentage must be between 0 and 100.", in_state=True)
    return value  # type: ignore[no-any-return]


def _from_path(source: Path, field: str, scope: Scope) -> int | float:
    """The value a Map's `...Path` field names, checked by the literal field's rule (path_values).

    Recorded wording for a value of the wrong kind: test_max_concurrency_path,
    test_map_state_tolerated_failure_*_path; out of range, the percentage's recorded sentence
    ("ToleratedFailurePercentage must be between 0 and 100.") with the literal's own bounds."""
    rule = rule_for(field)
    value = _numeric_text(_resolve(source, field, scope), int if rule.integer else float)
    number = as_kind(rule, value)
    if number is None or (rule.integer and isinstance(value, float)):
        kind = "integer" if rule.integer else "float"
        raise StatesError(
            RUNTIME,
            f"The {field} field refers to value \"{_render(value)}\" which is not a valid {kind}: {source}",
            in_state=True,
        )
    literal = field.removesuffix("Path")
    if not rule.admits(number):
        raise StatesError(RUNTIME, f"{literal} must be between {rule.minimum} and {rule.maximum}.", in_state=True)
    return number


def _numeric_text(value: Json, kind: type) -> Json:
    """AWS reads a numeric string such as "1" as the number (recorded:
    test_reference_in_map_state[MAP_STATE_REFERENCE_IN_MAX_CONCURRENCY_PATH])."""
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            return value
    return value


def _resolve(path: Path, field: str, scope: Scope) -> Json:
    try:
        return path.select(scope)
    except PathNotFound:
        raise StatesError(RUNTIME, f"The {field} field does not reference an input value: {path}", in_state=True) from None


def _render(value: Json) -> str:
    return value if isinstance(value, str) else to_json(value)
