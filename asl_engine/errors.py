"""Errors as data: the ASL error names AWS uses, and the two exceptions the engine raises.

`StatesError` is a runtime failure an execution can Retry or Catch; `DefinitionError` is a
definition that cannot be compiled, located the way ValidateStateMachineDefinition locates it.
"""

from __future__ import annotations

ALL = "States.ALL"
BRANCH_FAILED = "States.BranchFailed"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
HTTP_SOCKET = "States.Http.Socket"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
ITEM_READER_FAILED = "States.ItemReaderFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
PERMISSIONS = "States.Permissions"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
RUNTIME = "States.Runtime"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"

# "States.ALL ... does not catch States.DataLimitExceeded or States.Runtime" (AWS developer guide,
# concepts-error-handling).
NOT_MATCHED_BY_ALL = frozenset({DATA_LIMIT_EXCEEDED, RUNTIME})


class StatesError(Exception):
    """A runtime error with AWS's name and cause; Retry and Catch match on `error`.

    `in_state` marks errors AWS words as happening inside a state: the runner prefixes their
    cause with "An error occurred while executing the state 'X' (entered at the event id #N). ",
    since only it knows the state and the event id.
    `from_branches`: the error came out of a Map iteration or Parallel branch (the state then
    records MapStateFailed / ParallelStateFailed once it stops retrying).
    `from_task`: a task failed with it (TaskFailed, LambdaFunctionFailed...): such an error is
    the task's outcome, which Retry and Catch may always handle.

    Frozen: a catch site that knows more makes a new error with `replace`, never edits the one it
    caught (another catch site may hold it).
    """

    def __init__(self, error: str | None, cause: str | None = None, *, in_state: bool = False,
                 from_branches: bool = False, from_task: bool = False) -> None:
        super().__init__(f"{error}: {cause}")
        set_field = object.__setattr__
        set_field(self, "error", error)
        set_field(self, "cause", cause)
        set_field(self, "in_state", in_state)
        set_field(self, "from_branches", from_branches)
        set_field(self, "from_task", from_task)

    error: str | None
    cause: str | None
    in_state: bool
    from_branches: bool
    from_task: bool
    # Names an ErrorEquals may also match this error by (besides `error` and the wildcards).
    aliases: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: object) -> None:
        if not name.startswith("__"):  # Python itself sets __traceback__, __notes__ ...
            raise AttributeError(f"StatesError is frozen: make a new one with replace({name}=...)")
        super().__setattr__(name, value)

    def replace(self, **changes: object) -> StatesError:
        """A copy of this error (of the same class) with some fields changed."""
        fields: dict[str, object] = {name: getattr(self, name) for name in
                                     ("error", "cause", "in_state", "from_branches", "from_task")}
        fields.update(changes)
        return type(self)(**fields)  # type: ignore[arg-type]


class DefinitionError(Exception):
    """A definition the engine refuses, with AWS's diagnostic code and a JSON-pointer location."""

    def __init__(self, code: str, message: str, location: str = "/") -> None:
        super().__init__(f"{code}: {message} at {location}")
        self.code = code
        self.message = message
        self.location = location
