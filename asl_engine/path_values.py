"""Numbers that arrive through a `...Path` field at run time, checked as AWS checks the literal.

`TimeoutSecondsPath: "$.t"` must find what `TimeoutSeconds` may hold: a positive integer up to
99999999. One table says, per literal field, what it may hold; it is the definition schema's rule
for that field (schemas/asl.schema.json: positiveIntegerOrExpression, nonNegativeIntegerOrExpression,
percentageOrExpression; tests/fidelity/test_path_values.py keeps the two equal). The states word
their errors as AWS words them (engine/decisions, engine/step, engine/map_fields); this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

MAX_INTEGER = 99_999_999


@dataclass(frozen=True, slots=True)
class NumberRule:
    """What a numeric field accepts: its kind, its bounds, and the schema's words for it."""

    integer: bool
    minimum: int
    maximum: int
    noun: str  # "positive integer": the schema's "must be a positive integer"

    def admits(self, value: Any) -> bool:
        """Whether `value` (already a number of the right kind) lies within the bounds."""
        return bool(self.minimum <= value <= self.maximum)


_POSITIVE = NumberRule(True, 1, MAX_INTEGER, "positive integer")
_NON_NEGATIVE = NumberRule(True, 0, MAX_INTEGER, "non-negative integer")
_PERCENTAGE = NumberRule(False, 0, 100, "number between 0 and 100")

LITERAL_RULES = MappingProxyType({
    "Seconds": _NON_NEGATIVE,
    "TimeoutSeconds": _POSITIVE,
    "HeartbeatSeconds": _POSITIVE,
    "MaxConcurrency": _NON_NEGATIVE,
    "ToleratedFailureCount": _NON_NEGATIVE,
    "ToleratedFailurePercentage": _PERCENTAGE,
})


def rule_for(path_field: str) -> NumberRule:
    """The rule of a `...Path` field: the rule of the literal field it stands for."""
    return LITERAL_RULES[path_field.removesuffix("Path")]


def as_kind(rule: NumberRule, value: Any) -> int | float | None:
    """`value` as the rule's kind (an integral float counts as an integer, as Jackson reads it),
    or None when it is not a number of that kind."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not rule.integer:
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return value
