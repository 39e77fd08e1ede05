"""ASL intrinsic calls (`"key.$": "States.Format('x {}', $.a)"`): parsed once, evaluated many times.

`compile_intrinsic` turns the call text into a tree of literals, compiled paths and calls, so a
transition only walks that tree; the function bodies live in `asl_engine.intrinsic_functions`.
Malformed text, unknown names and wrong argument counts are IntrinsicSyntaxError at compile time.
An argument AWS refuses at run time fails with `States.Runtime` and the cause
`Invalid arguments in States.<Name>`, not `States.IntrinsicFailure`: that is what executions on AWS
report (e.g. "States.Runtime: Invalid arguments in States.MathAdd").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, NoReturn

from asl_engine.errors import RUNTIME, StatesError
from asl_engine.intrinsic_functions import FUNCTIONS, FormatTemplate, Invalid, split_template
from asl_engine.paths import Path, PathSyntaxError, Scope, compile_path

MAX_NESTING = 10  # "You can nest up to 10 intrinsic functions within a field" (AWS guide)


class IntrinsicSyntaxError(ValueError):
    """Text that is not a valid intrinsic call; found when the definition is compiled."""


# --------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True, slots=True)
class _Literal:
    value: Any

    def evaluate(self, scope: Scope) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class _PathArg:
    path: Path

    def evaluate(self, scope: Scope) -> Any:
        return self.path.select(scope)


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    function: Callable[[list[Any]], Any]
    args: tuple[Any, ...]

    def evaluate(self, scope: Scope) -> Any:
        values = [arg.evaluate(scope) for arg in self.args]
        try:
            return self.function(values)
        except Invalid:
            raise StatesError(RUNTIME, f"Invalid arguments in {self.name}", in_state=True) from None


@dataclass(frozen=True, slots=True)
class Intrinsic:
    """A compiled intrinsic call; `str(intrinsic)` is its source text."""

    text: str
    call: _Call

    def __str__(self) -> str:
        return self.text

    def evaluate(self, scope: Scope) -> Any:
        """The call's value; raises StatesError for arguments AWS refuses and PathNotFound as is."""
        return self.call.evaluate(scope)


# ------------------------------------------------------------------------------------------- parser

_NAME = re.compile(r"States\.[A-Za-z0-9]+")
_NUMBER = re.compile(r"-?\d+(?P<fraction>\.\d+)?(?P<exponent>[eE][+-]?\d+)?")
_KEYWORD = re.compile(r"(true|false|null)(?![A-Za-z0-9_])")
_KEYWORDS = {"true": True, "false": False, "null": None}
_ESCAPABLE = "'{}\\"


def compile_intrinsic(text: str) -> Intrinsic:
    """Parse a call such as "States.Format('Hello {}', States.ArrayGetItem($.names, 0))"."""
    parser = _Parser(text)
    call = parser.call(depth=1)
    parser.skip_space()
    if parser.position != len(text):
        parser.fail("unexpected text after the call")
    return Intrinsic(text, call)


class _Parser:
    """Recursive descent over the call text; every error names the offending position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def fail(self, problem: str) -> NoReturn:
        raise IntrinsicSyntaxError(f"{problem} at position {self.position} in '{self.text}'")

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def peek(self) -> str:
        return self.text[self.position] if self.position < len(self.text) else ""

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.peek() != char:
            self.fail(f"expected '{char}'")
        self.position += 1

    def call(self, depth: int) -> _Call:
        if depth > MAX_NESTING:
            self.fail(f"more than {MAX_NESTING} nested intrinsic functions")
        self.skip_space()
        match = _NAME.match(self.text, self.position)
        if match is None:
            self.fail("expected an intrinsic function name")
        name = match.group()
        if name not in FUNCTIONS:
            self.fail(f"unknown intrinsic function {name}")
        self.position = match.end()
        self.expect("(")
        args = self.arguments(name, depth)
        function, fewest, most = FUNCTIONS[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            expected = str(fewest) if fewest == most else f"{fewest} to {most or 'any number of'}"
            self.fail(f"{name} takes {expected} arguments, not {len(args)}")
        return _Call(name, function, tuple(args))

    def arguments(self, name: str, depth: int) -> list[Any]:
        args: list[Any] = []
        self.skip_space()
        if self.peek() == ")":
            self.position += 1
            return args
        while True:
            args.append(self.argument(depth, template=name == "States.Format" and not args))
            self.skip_space()
            if self.peek() == ",":
                self.position += 1
            elif self.peek() == ")":
                self.position += 1
                return args
            else:
                self.fail("expected ',' or ')'")

    def argument(self, depth: int, template: bool) -> Any:
        self.skip_space()
        char = self.peek()
        if char == "'":
            return self.string(template)
        if char == "$":
            return _PathArg(self.path())
        if char == "S":
            return self.call(depth + 1)
        number = _NUMBER.match(self.text, self.position)
        if number:
            self.position = number.end()
            is_float = number.group("fraction") or number.group("exponent")
            return _Literal(float(number.group()) if is_float else int(number.group()))
        keyword = _KEYWORD.match(self.text, self.position)
        if keyword:
            self.position = keyword.end()
            return _Literal(_KEYWORDS[keyword.group()])
        self.fail("expected an argument")

    def string(self, template: bool) -> _Literal:
        """A quoted literal; only \\' \\{ \\} \\\\ are escapes (AWS guide, reserved characters)."""
        chars: list[tuple[str, bool]] = []
        self.position += 1
        while True:
            char = self.peek()
            if not char:
                self.fail("unterminated string literal")
            self.position += 1
            if char == "'":
                break
            if char == "\\":
                escaped = self.peek()
                if escaped not in _ESCAPABLE or not escaped:
                    self.fail("a backslash must escape one of ' { } \\")
                self.position += 1
                chars.append((escaped, True))
            else:
                chars.append((char, False))
        if template:
            return _Literal(FormatTemplate(split_template(chars)))
        return _Literal("".join(char for char, _ in chars))

    def path(self) -> Path:
        """Read a path up to the ',' or ')' that ends it, skipping those inside brackets or quotes."""
        start, depth, quote = self.position, 0, ""
        while self.position < len(self.text):
            char = self.text[self.position]
            if quote:
                if char == "\\":
                    self.position += 1
                elif char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.position += 1
        try:
            return compile_path(self.text[start:self.position].rstrip())
        except PathSyntaxError as exc:
            raise IntrinsicSyntaxError(str(exc)) from None
