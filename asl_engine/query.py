"""The fields whose meaning depends on the query language: Assign, Output, Arguments, Condition.

JSONPath states write `Assign` as a payload template; JSONata states write `{% %}` expressions
in Arguments, Output, Assign, Condition and friends. This module compiles both forms behind one
small surface so `compile.py` and the interpreter need not care which one a state uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import jsonata
from .errors import QUERY_EVALUATION_ERROR, DefinitionError, StatesError
from .payload import Template, compile_template

Json = Any
JSONATA = "JSONata"


@dataclass(frozen=True, slots=True)
class JsonataValue:
    """A JSON value whose strings may hold `{% %}` expressions (Arguments, Output, Items, ...)."""

    template: Any  # jsonata.CompiledTemplate
    field: str

    def evaluate(self, bindings: dict[str, Any]) -> Json:
        try:
            return self.template.evaluate(bindings, self.field)
        except jsonata.QueryEvaluationFailed as exc:
            raise StatesError(QUERY_EVALUATION_ERROR, str(exc), in_state=True) from None


@dataclass(frozen=True, slots=True)
class JsonataChoiceRule:
    """A JSONata Choice rule: `Condition` decides, `Next` says where to go."""

    next: str
    condition: JsonataValue
    assign: Any
    output: Any


def compile_jsonata_value(value: Json, location: str, field: str) -> JsonataValue:
    try:
        return JsonataValue(jsonata.compile_template(value), field)
    except jsonata.JsonataSyntaxError as exc:
        raise DefinitionError("SCHEMA_VALIDATION_FAILED", str(exc), location) from None


def compile_assign(value: Json, language: str, location: str) -> Template | JsonataValue | None:
    if value is None:
        return None
    if language == JSONATA:
        return compile_jsonata_value(value, location, "Assign")
    return compile_template(value, location)


def compile_output(body: dict[str, Any], language: str, location: str) -> JsonataValue | None:
    if language != JSONATA or "Output" not in body:
        return None
    return compile_jsonata_value(body["Output"], f"{location}/Output", "Output")


def compile_jsonata_choice(rule: dict[str, Any], location: str) -> JsonataChoiceRule:
    return JsonataChoiceRule(
        next=rule["Next"],
        condition=compile_jsonata_value(rule.get("Condition"), f"{location}/Condition", "Condition"),
        assign=compile_assign(rule.get("Assign"), JSONATA, f"{location}/Assign"),
        output=compile_output(rule, JSONATA, location),
    )
