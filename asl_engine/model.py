"""The compiled form of a definition: frozen dataclasses, one per state type.

Every path, template, intrinsic and Choice rule in here was parsed by `compile.py`; running a
state reads these objects and never parses text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from .distributed.spec import ItemBatcher, ItemReader, ResultWriter
from .paths import Path
from .payload import Template

Json = Any
Number = int | float


class Evaluable(Protocol):
    """A field compiled once and evaluated per run: a JSONPath payload template or intrinsic
    function (against a paths.Scope), or a JSONata template (against its bindings)."""

    def evaluate(self, source: Any, /) -> Json: ...



class DataFlow(Protocol):
    """One query language's data flow, per state type (engine/step.py: `JsonPathFlow`,
    `JsonataFlow`). `compile.py` gives each state the one of its language, so running a state
    never branches on the language. Typed loosely here (`ctx` is the engine's `Context`, the
    results its `Next`/`Sleep`/`StatesError`) because the engine imports the model, not back."""

    def arguments(self, state: Any, raw: Json, ctx: Any, /) -> Json: ...
    def finish(self, state: Any, raw: Json, result: Json, ctx: Any, /) -> Any: ...
    def pass_(self, state: Any, raw: Json, ctx: Any, /) -> Any: ...
    def succeed(self, state: Any, raw: Json, ctx: Any, /) -> Any: ...
    def fail_error(self, state: Any, raw: Json, ctx: Any, /) -> Any: ...
    def choice(self, state: Any, raw: Json, ctx: Any, /) -> Any: ...
    def wait(self, state: Any, raw: Json, ctx: Any, /) -> Any: ...
    def inspection(self, state: Any, raw: Json, ctx: Any, result: Json, has_result: bool, /) -> Any: ...
    @property
    def offloaded(self) -> bool: ...
    def caught(self, catcher: Any, raw: Json, error_output: Json, ctx: Any, /) -> Any: ...
    def item_input(self, state: Any, value: Json, item_ctx: Any, item: Json, /) -> Json: ...
    def template(self, compiled: Any, value: Json, ctx: Any, /) -> Json: ...
    def credentials(self, state: Any, raw: Json, ctx: Any, /) -> Json: ...
    def number(self, compiled: Any, field: str, value: Json, ctx: Any, /) -> Json: ...
    def map_fields(self, state: Any, raw: Json, ctx: Any, /) -> Any: ...


JSONPATH = "JSONPath"
JSONATA = "JSONata"


@dataclass(frozen=True, slots=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_full: bool = False


@dataclass(frozen=True, slots=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    result_path: Path | None  # None: ResultPath null (keep the state input)
    assign: Evaluable | None = None  # compiled Assign (JSONPath template or JSONata template)
    output: Evaluable | None = None  # JSONata Output


@dataclass(frozen=True, slots=True)
class State:
    """Fields every state type has. `input_path`/`output_path` None means the JSON null form."""

    name: str
    type: str
    next: str | None
    end: bool
    query_language: str
    input_path: Path | None
    output_path: Path | None
    assign: Evaluable | None  # compiled Assign
    output: Evaluable | None  # compiled JSONata Output
    flow: DataFlow  # the data flow of query_language, chosen once by compile.py


@dataclass(frozen=True, slots=True)
class PassState(State):
    result: Json
    has_result: bool
    parameters: Template | None
    result_path: Path | None


@dataclass(frozen=True, slots=True)
class TaskState(State):
    resource: str
    parameters: Evaluable | None  # Template (JSONPath) or JSONata template (Arguments)
    result_selector: Template | None
    result_path: Path | None
    retry: tuple[Retrier, ...]
    catch: tuple[Catcher, ...]
    timeout_seconds: Number | Path | Evaluable | None  # a literal, TimeoutSecondsPath, or JSONata
    heartbeat_seconds: Number | Path | Evaluable | None
    credentials: Evaluable | None


@dataclass(frozen=True, slots=True)
class ChoiceState(State):
    choices: tuple[Any, ...]  # ChoiceRule objects (choice.py) or JSONata rules
    default: str | None


@dataclass(frozen=True, slots=True)
class WaitState(State):
    seconds: Number | Evaluable | None  # a literal or a JSONata expression
    seconds_path: Path | None
    timestamp: float | Evaluable | None  # epoch seconds (a JSONPath literal) or a JSONata expression
    timestamp_path: Path | None


@dataclass(frozen=True, slots=True)
class SucceedState(State):
    pass


@dataclass(frozen=True, slots=True)
class FailState(State):
    error: str | Evaluable | None  # a literal or a JSONata expression
    cause: str | Evaluable | None
    error_path: Path | Evaluable | None  # a path or an intrinsic function
    cause_path: Path | Evaluable | None


@dataclass(frozen=True, slots=True)
class Program:
    """A set of states with a start: the machine itself, a Parallel branch or a Map processor."""

    start_at: str
    states: Mapping[str, State]
    query_language: str = JSONPATH
    # True when no state can wait (only Pass, Choice, Succeed, Fail): such a branch or iteration
    # runs to its end without yielding, so running several one after another is equivalent to
    # running them as concurrent tasks, and much cheaper.
    synchronous: bool = False
    # True when it is synchronous and no state's fields are JSONata, whose evaluation may
    # overrun its slice and finish in a worker: such a machine can run to its end inside
    # StartExecution (ExecutionRun.run_at_once).
    at_once: bool = False


@dataclass(frozen=True, slots=True)
class ParallelState(State):
    branches: tuple[Program, ...]
    parameters: Evaluable | None
    result_selector: Template | None
    result_path: Path | None
    retry: tuple[Retrier, ...]
    catch: tuple[Catcher, ...]


@dataclass(frozen=True, slots=True)
class MapState(State):
    processor: Program
    distributed: bool
    items_path: Path | None
    items: Evaluable | None  # JSONata Items (an expression, or a literal array compiled as a template)
    item_selector: Evaluable | None  # Template (JSONPath) or JSONata template
    # Each of these is a number, a Path (from the `...Path` field) or a JSONata expression.
    max_concurrency: Number | Path | Evaluable | None
    tolerated_failure_count: Number | Path | Evaluable | None
    tolerated_failure_percentage: Number | Path | Evaluable | None
    result_selector: Template | None
    result_path: Path | None
    retry: tuple[Retrier, ...]
    catch: tuple[Catcher, ...]
    label: str | None
    # A Distributed Map's data plumbing (asl_engine.distributed), None when absent.
    item_reader: ItemReader | None = None
    item_batcher: ItemBatcher | None = None
    result_writer: ResultWriter | None = None
    express_children: bool = False  # ProcessorConfig.ExecutionType EXPRESS


@dataclass(frozen=True, slots=True)
class StateMachine:
    """A compiled definition. `program` is the top-level scope."""

    program: Program
    timeout_seconds: int | None
    comment: str | None
    definition: Mapping[str, Any] = field(repr=False, default_factory=dict)
