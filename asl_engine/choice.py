"""Choice Rules (JSONPath mode) compiled into predicates, evaluated the way AWS Step Functions does.

Everything textual is parsed once, here: paths, literal timestamps and `StringMatches` patterns. A
compiled predicate only selects values and compares them, so a Choice state costs a few lookups.

Semantics AWS exhibits:
- a comparison whose Variable (or `...Path` operand) holds a value of the wrong type is false, not
  an error; booleans are not numbers; timestamps compare as instants (all recorded in the
  conformance corpus, `v2_choice_operators_*`);
- a Variable or `...Path` operand path that selects nothing fails the execution with States.Runtime
  ("Invalid path '$.x': The choice state's condition path references an invalid value.", the cause
  AWS reports after its "An error occurred while executing the state ..." prefix), except for
  `IsPresent`, which exists to test exactly that. The corpus has no such case; the wording is AWS's
  as quoted by users and other emulators.

JSONata-mode rules (`Condition`) are not handled here: the JSONata evaluator owns them. A rule with
`Condition` and no `Variable` is simply malformed for JSONPath mode.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from asl_engine.errors import RUNTIME, DefinitionError, StatesError
from asl_engine.paths import Path, PathNotFound, PathSyntaxError, Scope, compile_path
from asl_engine.timestamps import parse_nanos

SCHEMA = "SCHEMA_VALIDATION_FAILED"


class Predicate(Protocol):
    def __call__(self, scope: Scope) -> bool: ...


@dataclass(frozen=True, slots=True)
class ChoiceRule:
    """One entry of a Choice state's `Choices`: a predicate plus where it goes."""

    next: str
    predicate: Predicate
    assign: Any


# --- value kinds: each turns a JSON value into something comparable, or _MISMATCH ----------------

_MISMATCH = object()


def _as_string(value: Any) -> Any:
    return value if isinstance(value, str) else _MISMATCH


def _as_number(value: Any) -> Any:
    # bool is an int subclass in Python; in JSON (and to AWS) true is not 1.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return _MISMATCH


def _as_boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else _MISMATCH


def _as_timestamp(value: Any) -> Any:
    """Nanoseconds since the epoch for an ASL timestamp (see `timestamps`), else _MISMATCH."""
    nanos = parse_nanos(value)
    return _MISMATCH if nanos is None else nanos


# --- operator tables -----------------------------------------------------------------------------

_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_KINDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "String": (_as_string, "a string"),
    "Numeric": (_as_number, "a number"),
    "Timestamp": (_as_timestamp, "a timestamp (RFC 3339, e.g. 2016-03-14T01:59:00Z)"),
}
# name -> (coerce, compare, what a literal operand must be)
_COMPARISONS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], bool], str]] = {
    kind + ordering: (coerce, compare, what)
    for kind, (coerce, what) in _KINDS.items()
    for ordering, compare in _ORDERINGS.items()
}
_COMPARISONS["BooleanEquals"] = (_as_boolean, operator.eq, "a boolean")

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": lambda value: _as_number(value) is not _MISMATCH,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": lambda value: _as_timestamp(value) is not _MISMATCH,
}

_CONNECTIVES = ("And", "Or", "Not")
_OPERATORS = frozenset(
    [*_COMPARISONS, *(name + "Path" for name in _COMPARISONS), *_TYPE_TESTS, "IsPresent", "StringMatches"]
)


# --- predicates ----------------------------------------------------------------------------------


def _select(path: Path, scope: Scope) -> Any:
    try:
        return path.select(scope)
    except PathNotFound:
        raise StatesError(
            RUNTIME,
            f"Invalid path '{path}': The choice state's condition path references an invalid value.",
            in_state=True,
        ) from None


@dataclass(frozen=True, slots=True)
class _Compare:
    """`Variable <op> literal` or, with `operand_path`, `Variable <op> value at operand_path`."""

    variable: Path
    coerce: Callable[[Any], Any]
    compare: Callable[[Any, Any], bool]
    operand: Any  # already coerced; unused when operand_path is set
    operand_path: Path | None

    def __call__(self, scope: Scope) -> bool:
        left = self.coerce(_select(self.variable, scope))
        if self.operand_path is None:
            right = self.operand
        else:
            right = self.coerce(_select(self.operand_path, scope))
        if left is _MISMATCH or right is _MISMATCH:
            return False
        return self.compare(left, right)


@dataclass(frozen=True, slots=True)
class _Matches:
    variable: Path
    pattern: _Wildcard

    def __call__(self, scope: Scope) -> bool:
        value = _select(self.variable, scope)
        return isinstance(value, str) and self.pattern.fullmatch(value)


@dataclass(frozen=True, slots=True)
class _TypeTest:
    variable: Path
    test: Callable[[Any], bool]
    expected: bool

    def __call__(self, scope: Scope) -> bool:
        return self.test(_select(self.variable, scope)) == self.expected


@dataclass(frozen=True, slots=True)
class _IsPresent:
    variable: Path
    expected: bool

    def __call__(self, scope: Scope) -> bool:
        try:
            self.variable.select(scope)
        except PathNotFound:
            return not self.expected
        return self.expected


@dataclass(frozen=True, slots=True)
class _And:
    members: tuple[Predicate, ...]

    def __call__(self, scope: Scope) -> bool:
        return all(member(scope) for member in self.members)


@dataclass(frozen=True, slots=True)
class _Or:
    members: tuple[Predicate, ...]

    def __call__(self, scope: Scope) -> bool:
        return any(member(scope) for member in self.members)


@dataclass(frozen=True, slots=True)
class _Not:
    member: Predicate

    def __call__(self, scope: Scope) -> bool:
        return not self.member(scope)


# --- compilation ---------------------------------------------------------------------------------


def compile_choice_rule(rule: dict[str, Any], location: str) -> ChoiceRule:
    """Compile a top-level Choice Rule (it must have `Next`; it may have `Assign`)."""
    if not isinstance(rule, dict):
        raise DefinitionError(SCHEMA, "A choice rule must be an object", location)
    target = rule.get("Next")
    if not isinstance(target, str) or not target:
        raise DefinitionError(SCHEMA, "A top-level choice rule must have a 'Next' state name", location)
    predicate = _compile(rule, location, extra_fields=("Next", "Assign"))
    return ChoiceRule(next=target, predicate=predicate, assign=rule.get("Assign"))


def compile_condition(rule: dict[str, Any], location: str) -> Predicate:
    """Compile a nested Choice Rule (a member of And/Or/Not): no `Next`, no `Assign`."""
    return _compile(rule, location, extra_fields=())


def _compile(rule: Any, location: str, extra_fields: tuple[str, ...]) -> Predicate:
    if not isinstance(rule, dict):
        raise DefinitionError(SCHEMA, "A choice rule must be an object", location)
    if "Next" in rule and "Next" not in extra_fields:
        raise DefinitionError(SCHEMA, "A nested choice rule cannot have a 'Next' field", location)
    fields = [key for key in rule if key not in ("Variable", "Comment", *extra_fields)]
    unknown = [key for key in fields if key not in _OPERATORS and key not in _CONNECTIVES]
    if unknown:
        raise DefinitionError(SCHEMA, f"Field '{unknown[0]}' is not supported in a choice rule", location)
    if len(fields) != 1:
        found = ", ".join(fields) or "none"
        message = f"A choice rule must have exactly one operator (found: {found})"
        raise DefinitionError(SCHEMA, message, location)
    name = fields[0]
    value = rule[name]
    here = f"{location}/{name}"
    if name in _CONNECTIVES:
        if "Variable" in rule:
            raise DefinitionError(SCHEMA, f"A '{name}' rule cannot have a 'Variable' field", location)
        return _compile_connective(name, value, here)
    if "Variable" not in rule:
        raise DefinitionError(SCHEMA, f"The '{name}' operator requires a 'Variable' field", location)
    variable = _compile_path(rule["Variable"], f"{location}/Variable")
    if name == "IsPresent" or name in _TYPE_TESTS:
        if not isinstance(value, bool):
            raise DefinitionError(SCHEMA, f"The value of '{name}' must be a boolean", here)
        if name == "IsPresent":
            return _IsPresent(variable, value)
        return _TypeTest(variable, _TYPE_TESTS[name], value)
    if name == "StringMatches":
        if not isinstance(value, str):
            raise DefinitionError(SCHEMA, "The value of 'StringMatches' must be a string", here)
        return _Matches(variable, _wildcard_pattern(value))
    if name.endswith("Path"):
        coerce, compare, _ = _COMPARISONS[name[: -len("Path")]]
        return _Compare(variable, coerce, compare, None, _compile_path(value, here))
    coerce, compare, what = _COMPARISONS[name]
    operand = coerce(value)
    if operand is _MISMATCH:
        raise DefinitionError(SCHEMA, f"The value of '{name}' must be {what}", here)
    return _Compare(variable, coerce, compare, operand, None)


def _compile_connective(name: str, value: Any, location: str) -> Predicate:
    if name == "Not":
        return _Not(compile_condition(value, location))
    if not isinstance(value, list) or not value:
        raise DefinitionError(SCHEMA, f"The value of '{name}' must be a non-empty array of rules", location)
    members = tuple(compile_condition(member, f"{location}/{index}") for index, member in enumerate(value))
    return _And(members) if name == "And" else _Or(members)


def _compile_path(text: Any, location: str) -> Path:
    try:
        return compile_path(text)
    except PathSyntaxError as exc:
        raise DefinitionError(SCHEMA, f"Invalid JSONPath: {exc}", location) from None


def _wildcard_pattern(text: str) -> _Wildcard:
    """`*` matches any run of characters; `\\*` is a literal star and `\\\\` a literal backslash.

    AWS documents only those two escapes, so a backslash before anything else stays a backslash.
    """
    segments: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in "*\\":
            current.append(text[index + 1])
            index += 2
            continue
        if char == "*":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    return _Wildcard(tuple(segments))


@dataclass(frozen=True, slots=True)
class _Wildcard:
    """A `StringMatches` pattern as the literal runs between its stars, matched without backtracking.

    With only `*` as a wildcard, the leftmost place a middle run fits is always as good as any later
    one, so each run is looked for once (`str.find`), left to right: time linear in the value for
    any pattern. A regex built from the pattern backtracks exponentially on `*a*a*a*a*a*a*b`.
    """

    segments: tuple[str, ...]  # one more than the number of stars

    def fullmatch(self, value: str) -> bool:
        first, *middle = self.segments
        if not middle:
            return value == first
        *middle, last = middle
        if len(value) < len(first) + len(last) or not value.startswith(first) or not value.endswith(last):
            return False
        position, end = len(first), len(value) - len(last)
        for segment in middle:
            found = value.find(segment, position, end)
            if found < 0:
                return False
            position = found + len(segment)
        return True
