"""`variableReferences` of DescribeStateMachine: which variables each state reads.

API_DescribeStateMachine: "A map of state name to a list of variables referenced by that state.
States that do not use variable references will not be shown in the response." What counts was
read off AWS's answers (LocalStack's recordings of DescribeStateMachine, test_sfn_api_variable_
references): a variable is referenced where a state evaluates a path or an expression that names
it, and nowhere else:

- JSONPath: a field ending in `.$` (Parameters, ItemSelector, ResultSelector, Assign), a path field
  (InputPath, OutputPath, ItemsPath, SecondsPath, TimestampPath, a Choice rule's Variable and
  `...Path` comparators, MaxConcurrencyPath, ToleratedFailure...Path, MaxItemsPath, ErrorPath,
  CausePath, TimeoutSecondsPath, HeartbeatSecondsPath) whose path starts with `$name`, and every
  `$name` argument of an intrinsic function; `"bucket": "$bucket"` (no `.$`) is a plain string;
- JSONata: every `$name` in a `{% %}` expression but `$states`, a function called by name, and a
  variable the expression binds itself (`$x := ...`).

States nested in a Map's ItemProcessor or a Parallel's branches are listed under their own names.
Each list is sorted: AWS's order was not recorded (the recordings sort it).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Iterator

_NESTED = frozenset(("States", "ItemProcessor", "Iterator", "Branches"))
_NAME = r"\$([A-Za-z_][A-Za-z0-9_]*)"
_PATH_VARIABLE = re.compile(_NAME + r"(?![A-Za-z0-9_])")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_REFERENCE = re.compile(_NAME + r"(?![A-Za-z0-9_])(?!\s*\()")  # not a function call
_BOUND = re.compile(_NAME + r"\s*:=")


@functools.lru_cache(maxsize=64)
def variable_references(definition: str) -> dict[str, list[str]]:
    """State name -> the variables it reads, for a definition as stored (valid JSON)."""
    try:
        parsed = json.loads(definition)
    except ValueError:
        return {}
    references: dict[str, set[str]] = {}
    if isinstance(parsed, dict):
        _scope(parsed, parsed.get("QueryLanguage", "JSONPath"), references)
    return {name: sorted(found) for name, found in references.items() if found}


def _scope(program: dict[str, Any], language: str, references: dict[str, set[str]]) -> None:
    states = program.get("States")
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        state_language = state.get("QueryLanguage", language)
        found = references.setdefault(name, set())
        found.update(_in_fields(state, state_language))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                _scope(state[key], state_language, references)
        for branch in state.get("Branches") or ():
            if isinstance(branch, dict):
                _scope(branch, state_language, references)


def _in_fields(node: Any, language: str, key: str = "") -> Iterator[str]:
    """The variables named in a state's own fields (not in the states nested in it)."""
    if isinstance(node, dict):
        for field, value in node.items():
            if field not in _NESTED:
                yield from _in_fields(value, language, field)
    elif isinstance(node, list):
        for item in node:
            yield from _in_fields(item, language, key)
    elif isinstance(node, str):
        if language == "JSONata":
            if node.startswith("{%") and node.endswith("%}"):
                yield from _in_expression(node[2:-2])
        elif key.endswith(".$") or key == "Variable" or (key.endswith("Path") and key != "ResultPath"):
            if node.startswith("States."):
                yield from _PATH_VARIABLE.findall(_QUOTED.sub("", node))
            elif (match := _PATH_VARIABLE.match(node)) is not None:
                yield match.group(1)


def _in_expression(text: str) -> Iterator[str]:
    text = _QUOTED.sub("", text)
    bound = set(_BOUND.findall(text))
    for name in _REFERENCE.findall(text):
        if name != "states" and name not in bound:
            yield name
