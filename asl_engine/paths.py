"""JSONPath as ASL uses it: compiled once, resolved many times.

ASL paths start at one of three roots: `$` (the state's input), `$$` (the context object) or
`$name` (a variable, JSONPath `Assign`). Most paths in real definitions are *definite* chains of
keys and indexes (`$.order.items[0]`); those compile to a tuple of steps and resolve with plain
dict/list lookups, which is what keeps a transition in microseconds. Anything else (wildcards,
slices, filters, recursive descent) is compiled once with jsonpath-ng and returns the list of
matches, as AWS's Jayway-based evaluator does for indefinite paths.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext.parser import parse as _parse_jsonpath

Json = Any

_ROOT = re.compile(r"\$(\$|[A-Za-z_][A-Za-z0-9_]*)?")
# Jayway: a property after a dot runs to the next '.', '[' or '(' and may not start with '*'
# (a wildcard) or a blank; one of _PLAIN's characters only is left in dot notation.
_PROPERTY = re.compile(r"[^.\[(\s*][^.\[(\s]*")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LENGTH_INDEX = re.compile(r"\[\(\s*@\.length\s*-\s*(\d+)\s*\)\]")
_STEP = re.compile(
    r"""\.(?P<name>[^.\[\]*'"()?@,:\s]+)"""
    r"""|\[\s*'(?P<sq>(?:[^'\\]|\\.)*)'\s*\]"""
    r"""|\[\s*"(?P<dq>(?:[^"\\]|\\.)*)"\s*\]"""
    r"""|\[\s*(?P<index>-?\d+)\s*\]"""
)


class PathNotFound(Exception):
    """A definite path that selects nothing; callers turn it into AWS's error for their field."""

    def __init__(self, path: "Path") -> None:
        super().__init__(path.text)
        self.path = path


class VariableNotFound(PathNotFound):
    """A `$name` path whose variable was never assigned."""


@dataclass(slots=True)
class Scope:
    """What a path, template or intrinsic may read while a state runs."""

    input: Json
    context: Json = None
    variables: dict[str, Json] | None = None


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled ASL path. `str(path)` is the source text, so causes can quote it."""

    text: str
    root: str  # "input" | "context" | "variable"
    variable: str | None
    steps: tuple[str | int, ...] | None  # definite paths
    expr: Any = None  # jsonpath-ng expression for indefinite paths

    def __str__(self) -> str:
        return self.text

    @property
    def definite(self) -> bool:
        return self.steps is not None

    def select(self, scope: Scope) -> Json:
        """The value this path names in `scope`; raises PathNotFound when there is none."""
        if self.root == "input":
            base = scope.input
        elif self.root == "context":
            base = scope.context
        else:
            variables = scope.variables or {}
            if self.variable not in variables:
                raise VariableNotFound(self)
            base = variables[self.variable]
        return self.find(base)

    def find(self, base: Json) -> Json:
        """Resolve the path's steps against `base` (the root value)."""
        steps = self.steps
        if steps is None:
            return [match.value for match in self.expr.find(base)]
        value = base
        for step in steps:
            if isinstance(step, str):
                if not isinstance(value, dict) or step not in value:
                    raise PathNotFound(self)
                value = value[step]
            else:
                if not isinstance(value, list) or not -len(value) <= step < len(value):
                    raise PathNotFound(self)
                value = value[step]
        return value


class PathSyntaxError(ValueError):
    """Text that is not a JSONPath ASL accepts."""


def compile_path(text: str) -> Path:
    """Compile an ASL path (`$...`, `$$...` or `$var...`); raises PathSyntaxError."""
    if not isinstance(text, str):
        raise PathSyntaxError(f"a path must be a string, not {type(text).__name__}")
    root_match = _ROOT.match(text)
    if root_match is None:
        raise PathSyntaxError(f"'{text}' does not start with '$'")
    marker = root_match.group(1)
    if marker == "$":
        root, variable = "context", None
    elif marker:
        root, variable = "variable", marker
    else:
        root, variable = "input", None
    # Jayway's script index `[(@.length-1)]` is the last element; jsonpath-ng has no scripts.
    rest = _LENGTH_INDEX.sub(r"[-\1]", _jayway_tokens(text[root_match.end():]))
    steps = _definite_steps(rest)
    if steps is not None:
        return Path(text, root, variable, steps)
    try:
        with warnings.catch_warnings():
            # jsonpath-ng deprecates some filter spellings with a warning; AWS accepts them.
            warnings.simplefilter("ignore", DeprecationWarning)
            expr = _parse_jsonpath("$" + rest)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exceptions too
        raise PathSyntaxError(f"'{text}' is not a valid JSONPath: {exc}") from None
    return Path(text, root, variable, None, expr)


def _jayway_tokens(rest: str) -> str:
    """Rewrite what follows the root as Jayway's tokenizer reads it, in a form jsonpath-ng and
    `_definite_steps` read the same way.

    Jayway's PathCompiler reads a `.` as "a token follows" and then reads whatever token comes
    next (readDotToken -> readNextToken): a bracket, so `$.[0]` is `$[0]` and `$.a.[?(@.x)]` is
    `$.a[?(@.x)]`; a wildcard; or a property, which runs to the next `.`, `[` or `(` whatever its
    characters (readPropertyOrFunctionToken), so `$.a:b` and `$.a,b` each name one key. Such a
    name is written in brackets (`['a:b']`), where jsonpath-ng cannot misread it as a union or an
    operator. A `..` (deep scan) keeps its dots; text inside brackets and quotes (filters, quoted
    names) is copied as it is.
    """
    if "." not in rest:
        return rest
    out: list[str] = []
    depth, quote, index = 0, "", 0
    while index < len(rest):
        char = rest[index]
        if quote:
            if char == "\\" and index + 1 < len(rest):
                out.append(rest[index:index + 2])
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"" and depth:
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == "." and not depth:
            after = index + (2 if rest.startswith("..", index) else 1)
            if after == index + 1 and rest.startswith("[", after):
                index = after  # `.[`: the bracket is the token
                continue
            name = _PROPERTY.match(rest, after)
            if name is not None and not rest.startswith("(", name.end()) and not _PLAIN.fullmatch(name.group()):
                escaped = name.group().replace("\\", "\\\\").replace("'", "\\'")
                out.append(f"{'..' if after - index == 2 else ''}['{escaped}']")
                index = name.end()
                continue
            out.append(rest[index:after])
            index = after
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _definite_steps(rest: str) -> tuple[str | int, ...] | None:
    steps: list[str | int] = []
    position = 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if match is None:
            return None
        if match.group("name") is not None:
            steps.append(match.group("name"))
        elif match.group("sq") is not None:
            # Only the quote itself is escaped; other backslashes are part of the name, as in
            # Jayway (recorded: test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH]).
            steps.append(match.group("sq").replace("\\'", "'"))
        elif match.group("dq") is not None:
            steps.append(match.group("dq").replace('\\"', '"'))
        else:
            steps.append(int(match.group("index")))
        position = match.end()
    return tuple(steps)


def is_path(text: Any) -> bool:
    """True for strings ASL reads as a path: they start with `$`."""
    return isinstance(text, str) and text.startswith("$")


class ResultPathMismatch(Exception):
    """The result cannot be placed at the ResultPath in this input (States.ResultPathMatchFailure)."""


def set_at(document: Json, steps: tuple[str | int, ...], value: Json) -> Json:
    """Return `document` with `value` placed at `steps`, copying only along the path.

    Missing objects on the way are created, as AWS does for ResultPath `$.a.b` on `{}`. Nothing
    off the path is copied: values an execution produced are never mutated, so sharing is safe.
    """
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if isinstance(step, str):
        if not isinstance(document, dict):
            raise ResultPathMismatch()
        copy = dict(document)
        copy[step] = set_at(document.get(step, {}), rest, value) if rest else value
        return copy
    if not isinstance(document, list) or not -len(document) <= step < len(document):
        raise ResultPathMismatch()
    copy_list = list(document)
    copy_list[step] = set_at(document[step], rest, value) if rest else value
    return copy_list
