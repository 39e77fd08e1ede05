"""Rules on the strings that move data: paths, payload templates, JSONata expressions, Choice rules.

JSONPath states hold paths in `*Path` fields and in payload-template keys ending in `.$`; JSONata
states hold `{% %}` expressions anywhere in their fields. Walks over templates are iterative, so a
deeply nested template cannot exhaust the interpreter stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .diagnostic import NO_DOLLAR, PASS_RESULT_IS_STATIC, Diagnostic, pointer, schema_error, warning
from .expressions import (
    is_jsonata_expression,
    is_rfc3339,
    jsonata_error,
    path_error,
    path_or_intrinsic_error,
)
from .model import JSONATA, Machine, StateNode

PATH_FIELDS = ("InputPath", "OutputPath")
REFERENCE_PATH_FIELDS = ("ItemsPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath",
                         "TimestampPath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
                         "ToleratedFailurePercentagePath")
TEMPLATE_FIELDS = ("Parameters", "ResultSelector", "ItemSelector", "Credentials", "Assign")
# Fields of a sub-object that are themselves paths or templates: (object field, sub-field, kind).
NESTED_FIELDS = (("ItemReader", "Parameters", "template"), ("ResultWriter", "Parameters", "template"),
                 ("ItemBatcher", "BatchInput", "template"), ("ItemBatcher", "MaxItemsPerBatchPath", "reference"),
                 ("ItemBatcher", "MaxInputBytesPerBatchPath", "reference"))
NESTED_SCOPE_FIELDS = frozenset({"Branches", "ItemProcessor", "Iterator", "Result"})


def _invalid(field: str, reason: str, location: str) -> Diagnostic:
    return schema_error(f"The value for the field '{field}' {reason}", location)


def _objects(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    return ((i, v) for i, v in enumerate(value if isinstance(value, list) else ()) if isinstance(v, dict))


def template_diagnostics(template: Any, location: str) -> Iterator[Diagnostic]:
    """Keys ending in `.$` hold a path or intrinsic call and may not collide with the plain key."""
    stack = [template]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        for key, item in value.items():
            if key.endswith(".$"):
                if path_or_intrinsic_error(item):
                    yield _invalid(key, "must be a valid JSONPath or a valid intrinsic function call", location)
                if key[:-2] in value:
                    yield schema_error(f"The fields '{key[:-2]}' and '{key}' collide in the same object", location)
            elif isinstance(item, str) and item.startswith("$.") and path_error(item) is None:
                yield warning(NO_DOLLAR, f"The value of the field '{key}' looks like a path but the key "
                                         "does not end in '.$', so it is passed as a literal string", location)
            else:
                stack.append(item)


def _path_checks(state: dict[str, Any], location: str) -> Iterator[Diagnostic]:
    for field in PATH_FIELDS:
        if isinstance(state.get(field), str) and (reason := path_error(state[field])):
            yield _invalid(field, reason, pointer(location, field))
    for field in REFERENCE_PATH_FIELDS:
        if isinstance(state.get(field), str) and (reason := path_error(state[field], reference=True)):
            yield _invalid(field, reason, pointer(location, field))
    for field in ("ErrorPath", "CausePath"):
        if isinstance(state.get(field), str) and path_or_intrinsic_error(state[field]):
            yield _invalid(field, "must be a valid JSONPath or a valid intrinsic function call",
                           pointer(location, field))
    results = [(location, state)] + [(pointer(location, "Catch", i), c) for i, c in _objects(state.get("Catch"))]
    for where, holder in results:
        value = holder.get("ResultPath")
        if isinstance(value, str) and (reason := path_error(value, reference=True, input_only=True)):
            yield _invalid("ResultPath", reason, pointer(where, "ResultPath"))


def jsonpath_fields(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """JSONPath states: path fields parse, and payload templates hold valid `.$` values."""
    if node.query_language == JSONATA:
        return
    state, location = node.state, node.location
    yield from _path_checks(state, location)
    for field in TEMPLATE_FIELDS:
        if field in state:
            yield from template_diagnostics(state[field], pointer(location, field))
    for owner, field, kind in NESTED_FIELDS:
        holder = state.get(owner)
        if not isinstance(holder, dict) or field not in holder:
            continue
        where = pointer(location, owner, field)
        if kind == "template":
            yield from template_diagnostics(holder[field], where)
        elif isinstance(holder[field], str) and (reason := path_error(holder[field], reference=True)):
            yield _invalid(field, reason, where)
    reader = state.get("ItemReader")
    config = reader.get("ReaderConfig") if isinstance(reader, dict) else None
    if isinstance(config, dict) and isinstance(config.get("MaxItemsPath"), str):
        if reason := path_error(config["MaxItemsPath"], reference=True):
            yield _invalid("MaxItemsPath", reason, pointer(location, "ItemReader", "ReaderConfig", "MaxItemsPath"))
    for list_field in ("Catch", "Choices"):
        for i, entry in _objects(state.get(list_field)):
            if "Assign" in entry:
                yield from template_diagnostics(entry["Assign"], pointer(location, list_field, i, "Assign"))


def _expression_fields(state: dict[str, Any], location: str) -> Iterator[tuple[str, Any]]:
    """(field location, value) for every field that may hold JSONata, one level into Catch/Choices."""
    for field, value in state.items():
        if field in NESTED_SCOPE_FIELDS:
            continue
        if field in ("Catch", "Choices", "Retry") and isinstance(value, list):
            for i, entry in _objects(value):
                for sub, sub_value in entry.items():
                    yield pointer(location, field, i, sub), sub_value
        else:
            yield pointer(location, field), value


def jsonata_expressions(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """JSONata states: every `{% %}` string parses, and a Choice Condition is an expression."""
    if node.query_language != JSONATA:
        return
    for where, value in _expression_fields(node.state, node.location):
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif is_jsonata_expression(item) and (reason := jsonata_error(item)):
                yield schema_error(f"The value for the field '{where.rsplit('/', 1)[1]}' is not valid: {reason}",
                                   where)
                break
    if node.state.get("Type") == "Choice":
        for i, rule in _objects(node.state.get("Choices")):
            condition = rule.get("Condition")
            if isinstance(condition, str) and not is_jsonata_expression(condition):
                yield schema_error("The value for the field 'Condition' must be a JSONata expression",
                                   pointer(node.location, "Choices", i, "Condition"))


LOGICAL = ("And", "Or", "Not")
TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
_COMPARISONS = [f"{kind}{op}" for kind in ("String", "Numeric", "Timestamp")
                for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")]
_COMPARISONS += ["BooleanEquals"]
COMPARISONS = frozenset(_COMPARISONS + [op + "Path" for op in _COMPARISONS] + ["StringMatches"] + list(TYPE_TESTS))


def _rule_diagnostics(rule: dict[str, Any], location: str) -> Iterator[Diagnostic]:
    operators = [key for key in rule if key in COMPARISONS]
    logical = [key for key in rule if key in LOGICAL]
    if len(operators) + len(logical) != 1:
        yield schema_error("A Choice rule must have exactly one comparison operator or one of "
                           "'And', 'Or', 'Not'", location)
    if operators and "Variable" not in rule:
        yield schema_error("These fields are required: [Variable]", location)
    if logical and "Variable" in rule:
        yield schema_error("The field 'Variable' is not supported with 'And', 'Or' or 'Not'", location)
    variable = rule.get("Variable")
    if isinstance(variable, str) and (reason := path_error(variable, reference=True)):
        yield _invalid("Variable", reason, pointer(location, "Variable"))
    for op in operators:
        value = rule[op]
        if op.endswith("Path") and isinstance(value, str) and (reason := path_error(value, reference=True)):
            yield _invalid(op, reason, pointer(location, op))
        elif op.startswith("Timestamp") and not op.endswith("Path") and isinstance(value, str) \
                and not is_rfc3339(value):
            yield schema_error("String does not match RFC3339 timestamp", pointer(location, op))


def choice_rules(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """JSONPath Choice rules: one operator per rule, typed operands, And/Or/Not nest any depth."""
    if node.state.get("Type") != "Choice" or node.query_language == JSONATA:
        return
    stack = [(pointer(node.location, "Choices", i), rule) for i, rule in _objects(node.state.get("Choices"))]
    stack.reverse()
    while stack:
        location, rule = stack.pop()
        yield from _rule_diagnostics(rule, location)
        nested = [(pointer(location, op, i), r) for op in ("And", "Or") for i, r in _objects(rule.get(op))]
        if isinstance(rule.get("Not"), dict):
            nested.append((pointer(location, "Not"), rule["Not"]))
        stack.extend(reversed(nested))


def static_result(node: StateNode, machine: Machine) -> Iterator[Diagnostic]:
    """Warn that `.$` keys in a Pass Result are not evaluated (AWS: PASS_RESULT_IS_STATIC)."""
    result = node.state.get("Result")
    if node.state.get("Type") != "Pass" or result is None:
        return
    stack = [result]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if any(isinstance(key, str) and key.endswith(".$") for key in value):
                yield warning(PASS_RESULT_IS_STATIC, "The Result of a Pass state is static: fields ending "
                                                     "in '.$' are not evaluated", pointer(node.location, "Result"))
                return
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


DATA_RULES = (jsonpath_fields, jsonata_expressions, choice_rules, static_result)
