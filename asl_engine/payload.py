"""Payload templates (Parameters, ItemSelector, ResultSelector, JSONPath Assign), compiled once.

A template is JSON whose keys ending in `.$` take their value from a path or an intrinsic call.
Compilation turns it into a small tree: constant parts are kept as they are (never copied, since
no execution mutates a value), dynamic parts become `Path` or `Intrinsic` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


from .errors import RUNTIME, DefinitionError, StatesError
from .intrinsics import IntrinsicSyntaxError, compile_intrinsic
from .json_text import to_json as to_json  # re-exported: most modules import it from here
from .paths import Path, PathNotFound, PathSyntaxError, Scope, compile_path

Json = Any


@dataclass(frozen=True, slots=True)
class _Dynamic:
    """A `key.$` value: a path or an intrinsic call."""

    key: str  # the field name as written, with `.$`
    source: Any  # Path | Intrinsic

    def evaluate(self, scope: Scope) -> Json:
        try:
            if isinstance(self.source, Path):
                return self.source.select(scope)
            return self.source.evaluate(scope)
        except PathNotFound as exc:  # VariableNotFound too: AWS words both the same way
            raise StatesError(
                RUNTIME,
                f"The JSONPath '{exc.path}' specified for the field '{self.key}' could not be found "
                f"in the input '{to_json(scope.input)}'",
                in_state=True,
            ) from None


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled payload template; `evaluate` builds a fresh value for each run."""

    node: Any  # dict[str, node] as tuple of pairs, list, constant, or _Dynamic
    constant: bool

    def evaluate(self, scope: Scope) -> Json:
        return self.node if self.constant else _build(self.node, scope)


@dataclass(frozen=True, slots=True)
class _Object:
    items: tuple[tuple[str, Any, bool], ...]  # (key, node, is_constant)


@dataclass(frozen=True, slots=True)
class _Array:
    items: tuple[tuple[Any, bool], ...]


def _build(node: Any, scope: Scope) -> Json:
    if isinstance(node, _Object):
        return {
            key: (value if constant else _build(value, scope)) for key, value, constant in node.items
        }
    if isinstance(node, _Dynamic):
        return node.evaluate(scope)
    if isinstance(node, _Array):
        return [value if constant else _build(value, scope) for value, constant in node.items]
    return node


def compile_template(value: Json, location: str) -> Template:
    """Compile a payload template; raises DefinitionError for a bad path or intrinsic."""
    node, constant = _compile(value, location)
    return Template(node, constant)


def _compile(value: Json, location: str) -> tuple[Any, bool]:
    if isinstance(value, dict):
        items = []
        all_constant = True
        for key, item in value.items():
            if key.endswith(".$"):
                items.append((key[:-2], _compile_dynamic(key, item, f"{location}/{key}"), False))
                all_constant = False
            else:
                node, constant = _compile(item, f"{location}/{key}")
                items.append((key, node, constant))
                all_constant = all_constant and constant
        if all_constant:
            return {key: node for key, node, _ in items}, True
        return _Object(tuple(items)), False
    if isinstance(value, list):
        compiled = [_compile(item, f"{location}/{index}") for index, item in enumerate(value)]
        if all(constant for _, constant in compiled):
            return [node for node, _ in compiled], True
        return _Array(tuple(compiled)), False
    return value, True


def _compile_dynamic(key: str, text: Json, location: str) -> _Dynamic:
    if not isinstance(text, str):
        raise DefinitionError(
            "SCHEMA_VALIDATION_FAILED", f"The value for the field '{key}' must be a STRING", location
        )
    try:
        if text.startswith("States."):
            return _Dynamic(key, compile_intrinsic(text))
        return _Dynamic(key, compile_path(text))
    except (PathSyntaxError, IntrinsicSyntaxError) as exc:
        raise DefinitionError(
            "SCHEMA_VALIDATION_FAILED",
            f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call",
            location,
        ) from exc
