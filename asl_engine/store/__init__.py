"""What the service needs from persistence: one small Protocol per aggregate, and the records.

The service depends on these interfaces, not on SQLite, so that tests and a later backend can swap
it; each service module asks for the narrowest one it uses, and `Store` is all of them together
(a PostgreSQL store would implement the same). Two guarantees matter to users and are part of
the contract:

- `create_execution` returns only once the execution is committed (a StartExecution that
  answered is on disk);
- every read of executions or history sees all events emitted before it (read-your-writes),
  even though `sink(...).emit` only queues them for a background group commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Sequence

from ..execution import EventSink, ExecutionOutcome, HistoryEvent


@dataclass
class StateMachineRecord:
    """A state machine's current revision and its settings, in AWS's terms."""

    arn: str
    account: str
    region: str
    name: str
    type: str  # STANDARD | EXPRESS
    definition: str  # the JSON text exactly as the user sent it
    role_arn: str
    creation_date: float
    revision_id: str | None = None  # None until the first UpdateStateMachine
    update_date: float | None = None
    logging_configuration: dict[str, Any] = field(default_factory=dict)
    tracing_configuration: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    description: str | None = None  # a version's description (not stored with the machine)
    encryption_configuration: dict[str, Any] | None = None  # None: AWS's default, AWS_OWNED_KEY


@dataclass
class ExecutionRecord:
    """One Standard execution; `input`/`output` are JSON text as the API returns them."""

    arn: str
    state_machine_arn: str
    name: str
    revision_id: str | None
    status: str
    input: str
    start_date: float
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop_date: float | None = None
    redrive_count: int = 0
    test_case: str | None = None  # the SFN Local mock test case it runs (`<arn>#<TestCase>`)
    state_machine_version_arn: str | None = None  # started through this version (or an alias's)
    state_machine_alias_arn: str | None = None  # started through this alias
    redrive_date: float | None = None  # when RedriveExecution last redrove it
    map_run_arn: str | None = None  # a Distributed Map's child: the Map Run that started it


@dataclass
class ActivityRecord:
    """An activity (CreateActivity): workers poll its ARN for the tasks executions queue on it."""

    arn: str
    account: str
    region: str
    name: str
    creation_date: float
    tags: dict[str, str] = field(default_factory=dict)
    encryption_configuration: dict[str, Any] | None = None  # None: AWS's default, AWS_OWNED_KEY


@dataclass
class VersionRecord:
    """A published version: an immutable revision of its state machine, numbered from 1."""

    state_machine_arn: str
    version: int
    revision_id: str | None  # the revision it snapshots (None: the machine's first revision)
    description: str | None
    creation_date: float
    logging_configuration: dict[str, Any] = field(default_factory=dict)
    tracing_configuration: dict[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"{self.state_machine_arn}:{self.version}"


@dataclass
class AliasRecord:
    """An alias: a name routing executions to one or two versions by weight."""

    arn: str
    state_machine_arn: str
    name: str
    description: str | None
    routing_configuration: list[dict[str, Any]]  # [{"stateMachineVersionArn", "weight"}]
    creation_date: float
    update_date: float | None = None


@dataclass
class MapRunRecord:
    """The Map Run of one Distributed Map state (DescribeMapRun); `item_counts` in AWS's
    MapRunItemCounts shape. `state_machine_arn` is the map run's own, `stateMachine:<name>/<label>`."""

    arn: str
    execution_arn: str
    state_machine_arn: str
    status: str  # RUNNING | SUCCEEDED | FAILED | ABORTED
    start_date: float
    stop_date: float | None
    max_concurrency: int
    tolerated_failure_percentage: float
    tolerated_failure_count: int
    item_counts: dict[str, int]
    redrive_count: int = 0


@dataclass(frozen=True)
class TaskTokenRecord:
    """What was committed for a task token before SendTask* answered: the answer (JSON text,
    `{"output": ...}` or `{"error": ..., "cause": ...}`) and the last heartbeat (epoch seconds)."""

    token: str
    execution_arn: str
    answer: str | None
    heartbeat: float | None


@dataclass(frozen=True)
class Position:
    """Where a RUNNING execution was when last saved (see asl_engine/position.py)."""

    frames: dict[str, dict[str, Any]]  # frame id -> snapshot
    last_event: HistoryEvent | None


@dataclass(frozen=True)
class Revision:
    """The definition an execution ran, kept after later updates (DescribeStateMachineForExecution)."""

    definition: str
    role_arn: str
    update_date: float


class MachineStore(Protocol):
    """State machines and the revisions executions ran (DescribeStateMachineForExecution)."""

    async def put_state_machine(self, record: StateMachineRecord, *, new_revision: bool) -> None:
        """Insert or replace; `new_revision` also keeps the definition under its revision id."""
        ...

    async def get_state_machine(self, arn: str) -> StateMachineRecord | None: ...

    async def get_revision(self, arn: str, revision_id: str | None) -> Revision | None: ...

    async def delete_state_machine(self, arn: str) -> None:
        """Also deletes the machine's versions and aliases."""
        ...

    async def list_state_machines(
        self, account: str, region: str, after: str | None, limit: int
    ) -> list[StateMachineRecord]:
        """Ordered by name; `after` is the last name of the previous page."""
        ...


class VersionStore(MachineStore, Protocol):
    """A machine's published versions and its aliases (the machine's own rows come with it)."""

    async def put_version(self, record: VersionRecord) -> None:
        """Insert a version; its number must be above every number the machine ever had."""
        ...

    async def last_version_number(self, state_machine_arn: str) -> int:
        """The highest number ever published for the machine, deleted versions included; 0 if none."""
        ...

    async def get_version(self, state_machine_arn: str, version: int) -> VersionRecord | None:
        """A version that is not deleted."""
        ...

    async def list_versions(
        self, state_machine_arn: str, before: int | None, limit: int
    ) -> list[VersionRecord]:
        """Versions that are not deleted, newest first, numbered below `before`."""
        ...

    async def delete_version(self, state_machine_arn: str, version: int) -> None: ...

    async def put_alias(self, record: AliasRecord) -> None:
        """Insert or replace."""
        ...

    async def get_alias(self, arn: str) -> AliasRecord | None: ...

    async def delete_alias(self, arn: str) -> None: ...

    async def list_aliases(self, state_machine_arn: str) -> list[AliasRecord]:
        """The machine's aliases, newest first."""
        ...


class Committing(Protocol):
    """The group commit every writer shares: waiting for what was emitted."""

    async def flush(self, committed: bool = False) -> None:
        """Wait until everything emitted so far has been tried; with `committed`, until it has
        committed (a full disk may hold an execution's writes back until space returns)."""
        ...


class ExecutionStore(Committing, Protocol):
    """Executions, their history and their saved position (what recovery resumes from)."""

    # Told when an execution's write failed for good (execution ARN, why): the service ends it.
    on_write_failed: Callable[[str, str], None] | None

    async def create_execution(self, record: ExecutionRecord, events: Sequence[HistoryEvent] = ()) -> None:
        """Commit the execution row, and its first events, before returning."""
        ...

    def sink(self, execution_arn: str) -> EventSink:
        """An `EventSink` whose `emit` queues events (and checkpoint) for group commit."""
        ...

    async def finish_execution(self, arn: str, outcome: ExecutionOutcome, output: str | None,
                               events: Sequence[HistoryEvent] = (), frames: Mapping[str, str] | None = None) -> None:
        """The closing `events` and the status in one commit; an execution that did not succeed
        keeps its frames (and the changed `frames`, id -> JSON text) for RedriveExecution."""
        ...

    async def redrive_execution(self, arn: str, redrive_count: int, redrive_date: float, tokens: str,
                                event: HistoryEvent, frames: Mapping[str, str],
                                map_runs: Mapping[str, int] | None = None) -> None:
        """Commit a redrive: RUNNING again, the redrive fields and client `tokens` (JSON text),
        `frames` (id -> JSON text) in place of the saved ones, the ExecutionRedriven `event`, and
        `map_runs` (Map Run ARN -> its new redrive count)."""
        ...

    async def redrive_tokens(self, arn: str) -> str | None:
        """The client tokens `redrive_execution` saved last (JSON text), or None."""
        ...

    async def close_execution(self, arn: str, event_type: str, status: str, error: str | None,
                              cause: str | None, stop_time: float) -> None:
        """Append a closing event after the last recorded one and set the status, in one commit."""
        ...

    def failure(self, execution_arn: str) -> str | None:
        """Why a write of this execution failed for good (it must be ended), or None."""
        ...

    async def get_execution(self, arn: str) -> ExecutionRecord | None: ...

    async def list_executions(
        self, state_machine_arn: str, status: str | None, after: int | None, limit: int,
        redriven: bool | None = None, map_run_arn: str | None = None,
        version_arn: str | None = None, alias_arn: str | None = None,
    ) -> tuple[list[ExecutionRecord], int | None]:
        """Newest first; returns the page and the cursor of its last row when more may follow.
        `redriven`: only executions redriven at least once (True) or never (False).
        `map_run_arn`: the child executions of that Map Run instead of the machine's.
        `version_arn`, `alias_arn`: only the machine's executions of that version, or started
        through that alias."""
        ...

    async def get_history(
        self, execution_arn: str, after: int | None, limit: int, reverse: bool
    ) -> list[HistoryEvent]:
        """Events by id (descending with `reverse`), starting after event id `after`."""
        ...

    async def get_position(self, execution_arn: str, flushed: bool = False) -> Position:
        """The saved frames of an execution (RUNNING, or ended without success) and its last
        recorded event. `flushed`: the caller knows every write of the execution has been tried
        (a parked execution, service/parking.py), so the read need not wait for the queue."""
        ...

    async def list_running(self) -> list[ExecutionRecord]:
        """Executions recorded RUNNING: the ones to resume after a restart, oldest first."""
        ...


class TokenStore(Committing, Protocol):
    """What a task token's answer or heartbeat committed, before SendTask* answered."""

    async def record_task_answer(self, token: str, execution_arn: str, answer: str) -> None: ...

    async def record_heartbeat(self, token: str, execution_arn: str, at: float) -> None: ...

    async def record_task_timeout(self, token: str, execution_arn: str) -> None: ...

    async def task_token_closed(self, token: str) -> bool:
        """Whether the token's task was answered or timed out, even if its execution ended."""
        ...

    async def task_tokens(self) -> list[TaskTokenRecord]:
        """Recorded answers and heartbeats of the tokens of RUNNING executions."""
        ...


class ActivityStore(TokenStore, Protocol):
    """Activities, and the task tokens their workers (and callback clients) answer."""

    async def put_activity(self, record: ActivityRecord) -> None:
        """Insert or replace (tags change in place)."""
        ...

    async def get_activity(self, arn: str) -> ActivityRecord | None: ...

    async def delete_activity(self, arn: str) -> None: ...

    async def list_activities(
        self, account: str, region: str, after: str | None, limit: int
    ) -> list[ActivityRecord]:
        """Ordered by name; `after` is the last name of the previous page."""
        ...

    async def activity_arns(self) -> list[str]:
        """Every activity of every scope: what Task states may queue on after a restart."""
        ...


class MapRunStore(Protocol):
    """The Map Runs of Distributed Map states."""

    def save_map_run(self, record: MapRunRecord, items: str | None = None) -> None:
        """Queue (never wait for) an insert, or an update of status, stop date and counts only:
        the settings of an existing row are UpdateMapRun's (`update_map_run`). `items` (JSON
        text): what the Map Run's ItemReader read, kept with the inserted row only."""
        ...

    async def update_map_run(self, arn: str, max_concurrency: int | None,
                             tolerated_failure_percentage: float | None,
                             tolerated_failure_count: int | None) -> None:
        """Replace the settings given (None keeps one), committed on return."""
        ...

    async def get_map_run(self, arn: str) -> MapRunRecord | None:
        """Sees every map run saved before it."""
        ...

    async def map_run_items(self, arn: str) -> str | None:
        """The items `save_map_run` kept for the Map Run (JSON text), or None."""
        ...

    async def list_map_runs(self, execution_arn: str, before: int | None, limit: int
                            ) -> tuple[list[MapRunRecord], int | None]:
        """An execution's map runs, newest first, and the cursor of the next page (or None)."""
        ...


class ConsoleStore(Protocol):
    """The web console's read-only overviews across state machines."""

    async def state_machine_arns_with_data(self) -> list[str]:
        """Every state machine ARN that exists or has recorded executions (the web console)."""
        ...

    async def execution_counts(self, state_machine_arns: Sequence[str]) -> dict[str, dict[str, int]]:
        """state machine ARN -> status -> number of its executions."""
        ...

    async def recent_executions(self, arn_prefix: str, status: str | None, limit: int) -> list[ExecutionRecord]:
        """The newest executions whose ARN starts with `arn_prefix`, optionally of one status."""
        ...


class Store(VersionStore, ExecutionStore, ActivityStore, MapRunStore, ConsoleStore, Protocol):
    """Every aggregate's store, opened and closed as one (the SQLite store implements it all)."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...
