"""JSONata for `"QueryLanguage": "JSONata"` states: `{% %}` templates, `$states`, AWS's six functions.

AWS evaluates JSONata 2.0.6 with `$eval` removed and six functions added (`$partition`, `$range`,
`$hash`, `$random`, `$uuid`, `$parse`; developer guide, transforming-data). We run jsonata-python
and adapt it where it differs from what AWS records:

* undefined vs null: the library's default folds both into None; we keep them apart, since AWS
  fails a field that "returned nothing (undefined)" but accepts null.
* numbers: results are rebuilt as plain JSON values, integral floats becoming ints as AWS prints them.
* bounds: a per-evaluation time and depth budget (the library's own budget starts its clock at
  compile time, so it cannot serve an expression compiled once and evaluated many times). A
  budget that runs out fails with AWS's wording (`BudgetExceeded`).
* sharing the server: inside a `Replay` (asl_engine/offload.py opens one around each step of an
  execution) an evaluation gets only a slice of SLICE_MS on the calling thread; one that needs
  more raises `Offload`, is evaluated in a worker process under the whole budget, and the step
  runs again, replaying every result it already has. Outside a Replay (unit tests, the
  validator) evaluations run here under the whole budget.
* messages: the library renamed "function" to "Object" in its error catalogue; we undo that, so
  causes read like AWS's ("T1006: Attempted to invoke a non-function").
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import random
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from jsonata.jexception import JException
from jsonata.jsonata import Jsonata
from jsonata.parser import Parser
from jsonata.timebox import Timebox
from jsonata.utils import Utils

TIMEOUT_MS = 5_000
"""Wall-clock budget of one evaluation; AWS documents none, this only keeps the server responsive."""
MAX_DEPTH = 1_000
"""Nesting budget of one evaluation: about 330 levels of user recursion, well inside the ~830 that
Python's recursion limit allows; a RecursionError is still reported as D1011, never a crash."""
MAX_RANGE_ITEMS = 1_000_000
"""Largest `$range` result: AWS documents no cap, this one bounds memory like D2014 does for `..`."""
SLICE_MS = 10
"""What an evaluation inside a Replay may take on the calling thread (the event loop's) before it
is moved to a worker process: other clients wait at most about this long for one evaluation."""

# AWS's causes when an evaluation exceeds its bounds, as recorded from TestState (quoted in
# https://github.com/floci-io/floci/issues/2737): "... threw an error during evaluation: <text>".
STACK_OVERFLOW = ("Stack overflow error: Check for non-terminating recursive function. "
                  "Consider rewriting as tail-recursive.")
TIMED_OUT = "Expression evaluation timeout: Check for infinite loop"
OUT_OF_MEMORY = "Expression evaluation memory limit exceeded: Check for excessive memory usage"
MAX_SEQUENCE_ITEMS = 6_990_256 // 8
"""Longest `..` range: AWS fails a value over 6,990,256 bytes with OUT_OF_MEMORY ([1..900000] does,
floci-io/floci#2737/#2783), 8 bytes a number. It also bounds what one native function ($count,
$sum over a range) can do between two budget checks."""

_MAX_SAFE_INTEGER = 2**53 - 1
_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_FUNCTION_TYPES = (Parser.Symbol, Jsonata.JFunction, Jsonata.JLambda)


class _AwsJsonata(Jsonata):
    """The library's evaluator with AWS's memory bound on `..` ranges."""

    def evaluate_range_expression(self, lhs: Any, rhs: Any) -> Any:
        result = super().evaluate_range_expression(lhs, rhs)
        if result is not None and len(result) > MAX_SEQUENCE_ITEMS:
            raise BudgetExceeded(OUT_OF_MEMORY)
        return result


class _Undefined:
    """JSONata's "no value", distinct from JSON null (None)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()


class JsonataSyntaxError(ValueError):
    """The expression does not parse; raised at compile time so definitions fail early."""


class JsonataEvaluationError(Exception):
    """Evaluation failed; the message is AWS's fragment, e.g. "T1006: Attempted to invoke a non-function"."""


class UnsupportedResultError(JsonataEvaluationError):
    """The expression produced a function, which has no JSON form."""


class BudgetExceeded(JsonataEvaluationError):
    """The evaluation ran out of time, depth or memory; str() is AWS's text for it."""


class Offload(Exception):
    """An evaluation inside a Replay outgrew its slice: evaluate it elsewhere under the whole
    budget (`evaluate_text`), `Replay.add` the outcome, and run the step again."""

    def __init__(self, expression: "JsonataExpression", bindings: dict[str, Any], timeout_ms: int,
                 max_depth: int) -> None:
        super().__init__(expression.text)
        self.expression = expression
        self.bindings = bindings
        self.timeout_ms = timeout_ms
        self.max_depth = max_depth


class _SliceSpent(Exception):
    """The slice of an evaluation inside a Replay ran out (not its budget)."""


class QueryEvaluationFailed(Exception):
    """A template field failed; str() is AWS's cause for States.QueryEvaluationError (without the
    "An error occurred while executing the state ..." prefix, which the runner adds)."""


class _AwsFunctionError(Exception):
    """Misuse of one of AWS's six functions; its text becomes the evaluation error message."""


NUMBER_OUT_OF_RANGE = "D1001: Number out of range"


def _message(error: JException) -> str:
    text = re.sub(r"\bObject\b", "function", str(error))
    return f"{error.error}: {text}"


def _to_json(value: Any) -> Any:
    """A fresh JSON-faithful copy of a JSONata result: null markers to None, integral floats to int.

    Copying also means callers never alias the bindings they passed in.
    """
    if value is None or value is Utils.NULL_VALUE:
        return None
    if isinstance(value, bool) or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= _MAX_SAFE_INTEGER else value
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if isinstance(value, _FUNCTION_TYPES):
        raise UnsupportedResultError("unsupported result type")
    raise UnsupportedResultError(f"unsupported result type {type(value).__name__}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _partition(array: Any, size: Any) -> Any:
    """$partition(array, size): consecutive chunks; the last may be shorter (recorded cases
    v2_intrinsic_functions_test_array_jsonata__*test_array_partition*)."""
    if array is None or size is None:
        return None
    if not _is_number(size) or size <= 0 or not float(size).is_integer():
        raise _AwsFunctionError(f"The chunk size argument of $partition must be a positive integer: {size}")
    items = list(array) if isinstance(array, list) else [array]
    step = int(size)
    return [items[index : index + step] for index in range(0, len(items), step)]


def _range(start: Any, end: Any, step: Any) -> Any:
    """$range(start, end, step): end inclusive, returned as a JSONata sequence, so one item collapses
    to that item ($range(1, 9, 9) is 1 in recorded case *test_array_range__exec_hist_resp_2)."""
    if start is None or end is None or step is None:
        return None
    if step == 0:
        raise _AwsFunctionError("The step argument of $range must not be zero")
    count = math.floor((end - start) / step) + 1
    if count > MAX_RANGE_ITEMS:
        raise _AwsFunctionError(f"The result of $range must not exceed {MAX_RANGE_ITEMS} items: {count}")
    sequence = Utils.create_sequence()
    sequence.extend(start + index * step for index in range(max(count, 0)))
    return sequence


def _hash(value: Any, algorithm: Any) -> Any:
    """$hash(value, algorithm): hex digest with the algorithms States.Hash accepts."""
    if value is None or algorithm is None:
        return None
    name = _HASH_ALGORITHMS.get(algorithm)
    if name is None:
        raise _AwsFunctionError(
            f"The hash algorithm '{algorithm}' is not supported; use one of {', '.join(_HASH_ALGORITHMS)}"
        )
    return hashlib.new(name, value.encode("utf-8")).hexdigest()


_UNSEEDED = random.Random()
"""Unseeded $random draws from its own generator, leaving the global random state alone."""


def _random(seed: Any = None) -> float:
    """$random([seed]): [0, 1); a given seed always yields the same number (not AWS's number)."""
    return random.Random(seed).random() if seed is not None else _UNSEEDED.random()


def _uuid() -> str:
    """$uuid(): a version 4 UUID, like States.UUID."""
    return str(uuid.uuid4())


def _parse(text: Any) -> Any:
    """$parse(jsonString): the JSON value the string holds; AWS's replacement for $eval."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise _AwsFunctionError(f"The argument of $parse is not valid JSON: {exc}") from None
    return Utils.NULL_VALUE if value is None else value


class _Native(Jsonata.JFunctionCallable):
    """Adapts a Python function to the library's callable protocol (arguments as a list)."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function

    def call(self, input: Any, args: Any) -> Any:
        return self._function(*(args or []))


def _native(function: Callable[..., Any], signature: str) -> Jsonata.JFunction:
    return Jsonata.JFunction(_Native(function), signature)


_AWS_FUNCTIONS: dict[str, Any] = {
    "partition": _native(_partition, "<an:a>"),
    "range": _native(_range, "<nnn:a<n>>"),
    "hash": _native(_hash, "<ss:s>"),
    "random": _native(_random, "<n?:n>"),
    "uuid": _native(_uuid, "<:s>"),
    "parse": _native(_parse, "<s:x>"),
    # AWS removes $eval; bound to nothing, a call fails like any non-function (T1006).
    "eval": None,
}


Outcome = tuple[str, Any]
"""How one evaluation ended, in a form that crosses a process boundary: ("value", json),
("undefined", None), or (exception class name, message)."""
_ERRORS: dict[str, type[JsonataEvaluationError]] = {
    cls.__name__: cls for cls in (JsonataEvaluationError, UnsupportedResultError, BudgetExceeded)
}


def _outcome(evaluate: Callable[[], Any]) -> Outcome:
    try:
        value = evaluate()
    except JsonataEvaluationError as exc:
        return type(exc).__name__, str(exc)
    return ("undefined", None) if value is UNDEFINED else ("value", value)


def _unwrap(outcome: Outcome) -> Any:
    kind, payload = outcome
    if kind == "value":
        return payload
    if kind == "undefined":
        return UNDEFINED
    raise _ERRORS[kind](payload)


class Replay:
    """The evaluations of one synchronous step, in call order, so the step can run again after an
    `Offload` without evaluating anything twice ($random and $uuid keep their first results)."""

    _active = threading.local()

    def __init__(self, slice_ms: int = SLICE_MS) -> None:
        self.slice_ms = slice_ms
        self.outcomes: list[Outcome] = []
        self._position = 0
        self._outer: Replay | None = None

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def __enter__(self) -> Replay:
        self._position = 0
        self._outer = getattr(Replay._active, "replay", None)
        Replay._active.replay = self
        return self

    def __exit__(self, *exc_info: object) -> None:
        Replay._active.replay = self._outer

    def _next(self, expression: "JsonataExpression", bindings: dict[str, Any], timeout_ms: int,
              max_depth: int) -> Any:
        if self._position < len(self.outcomes):
            outcome = self.outcomes[self._position]
        else:
            slice_ms = min(self.slice_ms, timeout_ms)
            try:
                outcome = _outcome(lambda: expression._run(bindings, slice_ms, max_depth, slice_ms < timeout_ms))
            except _SliceSpent:
                raise Offload(expression, bindings, timeout_ms, max_depth) from None
            self.outcomes.append(outcome)
        self._position += 1
        return _unwrap(outcome)


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> "JsonataExpression":
    return compile_expression(text)


def evaluate_text(text: str, bindings: dict[str, Any], timeout_ms: int, max_depth: int) -> Outcome:
    """One evaluation under its whole budget, as a worker process runs it for an `Offload`."""
    return _outcome(lambda: _compiled(text)._run(bindings, timeout_ms, max_depth, False))


@dataclass(frozen=True, slots=True)
class JsonataExpression:
    """One parsed expression, evaluated many times; safe to share between threads."""

    text: str
    _compiled: Jsonata = field(repr=False, compare=False)

    def evaluate(self, bindings: dict[str, Any], *, timeout_ms: int = TIMEOUT_MS, max_depth: int = MAX_DEPTH) -> Any:
        """Evaluates with `bindings` ({"states": ..., plus one entry per variable}) as `$name`s.

        Returns a JSON value, or UNDEFINED when JSONata yields nothing. Bindings are read, never
        copied or mutated; the result never aliases them. Inside a Replay, may raise Offload.
        """
        replay: Replay | None = getattr(Replay._active, "replay", None)
        if replay is not None:
            return replay._next(self, bindings, timeout_ms, max_depth)
        return self._run(bindings, timeout_ms, max_depth, False)

    def _run(self, bindings: dict[str, Any], timeout_ms: int, max_depth: int, sliced: bool) -> Any:
        """Evaluate here; with `sliced`, running out of time raises _SliceSpent instead."""
        frame = Jsonata.Frame(None)
        frame.bindings.update(_AWS_FUNCTIONS)
        for name, value in bindings.items():
            frame.bindings[name] = Utils.NULL_VALUE if value is None else value
        Timebox(frame, timeout_ms, max_depth)
        # The library keeps per-call state (timestamp, current input) on the instance it finds in a
        # thread-local; a private shallow copy keeps concurrent evaluations apart.
        instance = copy.copy(self._compiled)
        Jsonata.CURRENT.jsonata = instance
        try:
            result = instance.evaluate(None, frame)
        except JException as exc:
            if exc.error == "D1012" and sliced:
                raise _SliceSpent() from None
            if exc.error in ("D1011", "D1012"):
                raise BudgetExceeded(STACK_OVERFLOW if exc.error == "D1011" else TIMED_OUT) from None
            raise JsonataEvaluationError(_message(exc)) from None
        except _AwsFunctionError as exc:
            raise JsonataEvaluationError(str(exc)) from None
        except (ZeroDivisionError, OverflowError, ValueError):
            # Python's arithmetic raises where JavaScript's yields Infinity or NaN, which JSONata
            # refuses as it refuses 1e308*10 (D1001): 1/0, 1%0, $power(10, 400), $sum([1e308, 1e308]).
            raise JsonataEvaluationError(NUMBER_OUT_OF_RANGE) from None
        except RecursionError:
            raise BudgetExceeded(STACK_OVERFLOW) from None
        except MemoryError:
            raise BudgetExceeded(OUT_OF_MEMORY) from None
        return UNDEFINED if result is None else _to_json(result)


def compile_expression(text: str) -> JsonataExpression:
    """Parses `text` (without `{% %}`); raises JsonataSyntaxError with the parser's code and message."""
    try:
        compiled = _AwsJsonata(text)
    except JException as exc:
        raise JsonataSyntaxError(_message(exc)) from None
    except RecursionError:
        raise JsonataSyntaxError("The JSONata expression is nested too deeply") from None
    compiled.set_output_convert_nulls(False)
    compiled.set_validate_input(False)
    return JsonataExpression(text, compiled)


def is_jsonata_template(value: Any) -> bool:
    """A string that is exactly `{% ... %}`: AWS keeps " {% x %} " (with spaces) as a literal
    (recorded case v2_outputdecl_test_output__*BASE_LITERALS*)."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


@dataclass(frozen=True, slots=True)
class _Constant:
    value: Any


_Node = _Constant | JsonataExpression | dict[str, Any] | list[Any]


def _compile_node(value: Any) -> _Node:
    if is_jsonata_template(value):
        return compile_expression(value[2:-2].strip())
    if isinstance(value, dict):
        nodes = {key: _compile_node(item) for key, item in value.items()}
        return nodes if any(not isinstance(node, _Constant) for node in nodes.values()) else _Constant(value)
    if isinstance(value, list):
        items = [_compile_node(item) for item in value]
        return items if any(not isinstance(node, _Constant) for node in items) else _Constant(value)
    return _Constant(value)


def _failure(expression: JsonataExpression, field: str, what: str) -> QueryEvaluationFailed:
    return QueryEvaluationFailed(f"The JSONata expression '{expression.text}' specified for the field '{field}' {what}")


class CompiledTemplate:
    """A JSON value whose strings may be `{% %}` expressions, parsed once at definition time."""

    __slots__ = ("_root",)

    def __init__(self, root: _Node) -> None:
        self._root = root

    @property
    def expression(self) -> JsonataExpression | None:
        """The expression when the whole value is one `{% %}` string (Items, Condition, ...)."""
        return self._root if isinstance(self._root, JsonataExpression) else None

    def evaluate(self, bindings: dict[str, Any], field_name: str) -> Any:
        """Builds the value; a failing expression raises QueryEvaluationFailed naming its field as
        AWS does: 'Output' for the whole value, 'Output/result' for key "result" (recorded cases
        v2_assign_test_assign_reference_variables__*test_undefined_reference*)."""
        return self._build(self._root, bindings, field_name)

    def _build(self, node: _Node, bindings: dict[str, Any], field: str) -> Any:
        if isinstance(node, _Constant):
            return copy.deepcopy(node.value)
        if isinstance(node, JsonataExpression):
            try:
                value = node.evaluate(bindings)
            except UnsupportedResultError:
                raise _failure(node, field, "returned an unsupported result type.") from None
            except BudgetExceeded as exc:
                raise _failure(node, field, f"threw an error during evaluation: {exc}") from None
            except JsonataEvaluationError as exc:
                raise _failure(node, field, f"threw an error during evaluation. {exc}") from None
            if value is UNDEFINED:
                raise _failure(node, field, "returned nothing (undefined).")
            return value
        if isinstance(node, dict):
            return {key: self._build(item, bindings, f"{field}/{key}") for key, item in node.items()}
        return [self._build(item, bindings, f"{field}/{index}") for index, item in enumerate(node)]


def compile_template(value: Any) -> CompiledTemplate:
    """Parses every `{% %}` string in `value`; raises JsonataSyntaxError on the first that does not parse."""
    return CompiledTemplate(_compile_node(value))
