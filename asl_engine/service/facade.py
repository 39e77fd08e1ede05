"""The service's facade: the one object `asl_engine/api/` calls, composing the use cases of each aggregate.

No HTTP here. Each method checks its arguments the way AWS does, raises a `ServiceError` named
as AWS names it, and returns records; `asl_engine/api/` turns them into wire shapes. Executions run as
asyncio tasks on this process's event loop; their history goes to the store through a sink that
never blocks the runner. One `TaskDispatcher` serves every execution's Task states; it reaches
back here (`ChildExecutions`) to run `states:startExecution` children on this server.
"""

from __future__ import annotations

import json
from dataclasses import replace

from .. import arns
from ..arns import AccountRegion
from ..aws_errors import (
    InvalidName,
    ResourceNotFound,
    ServiceError,
    StateMachineDoesNotExist,
    TooManyTags,
    ValidationException,
)
from ..clock import Clock
from ..config import Config
from ..distributed import names
from ..store import ActivityRecord, ExecutionRecord, StateMachineRecord, Store
from ..tasks.children import ChildRefused
from ..tasks.dispatcher import TaskDispatcher
from ..tasks.mock import MockConfigError
from .activities import Activities
from .console import Console
from .executions import Executions, Page, SyncResult
from .map_children import MapChildren
from .redrive import Redrive
from .machines import DEFAULT_LOGGING, DEFAULT_TRACING, MAX_TAGS, Machines, check_machine_arn, check_unlabelled, tag_dict
from .test_state import TestStateRequest, TestStateResult, test_state
from .versions import Versions, is_version, split_qualified


class Service:
    def __init__(self, store: Store, clock: Clock, config: Config) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.machines = Machines(store, clock)  # the state machines' own use cases
        self.tasks = TaskDispatcher(config.tasks, clock, children=self)
        self.executions = Executions(store, clock, self.tasks)
        self.redrive = Redrive(store, clock, self.executions)  # RedriveExecution, redriveStatus
        # a Distributed Map's children are executions of their own
        self.executions.children = MapChildren(store, self.executions, self.redrive)
        self.activities = Activities(store, clock, self.tasks, config.activity_poll_seconds)
        self.versions = Versions(store, clock, self.machines)
        self.map_runs = self.executions.map_runs  # DescribeMapRun, ListMapRuns, UpdateMapRun
        self._default_scope = AccountRegion(config.account_id, config.region)  # frozen: one for every request
        # the web console's read-only overviews (asl_engine/api/ui)
        self.console = Console(store, self.default_scope(), self.machines, self.executions, self.tasks)

    def default_scope(self) -> AccountRegion:
        """Where a request acts when its credentials do not say (AWS_ACCOUNT_ID, AWS_DEFAULT_REGION)."""
        return self._default_scope

    async def shutdown(self) -> None:
        await self.executions.shutdown()

    # -- state machines ----------------------------------------------------------------------

    async def describe_state_machine(self, scope: AccountRegion, arn: str) -> StateMachineRecord:
        """DescribeStateMachine; on a version ARN, the version (with its description)."""
        check_machine_arn(arn)
        check_unlabelled(arn)
        if is_version(split_qualified(arn)[1]):
            return (await self.versions.version(scope, arn))[0]
        return await self.machines.get(scope, arn)

    async def machine_for_execution(self, scope: AccountRegion, execution_arn: str) -> StateMachineRecord:
        """DescribeStateMachineForExecution: the revision the execution started with. A
        Distributed Map's child ran its parent's ItemProcessor: that is its definition, under the
        Map Run's state machine ARN (API_DescribeStateMachineForExecution)."""
        execution = await self.executions.describe(scope, execution_arn)
        if execution.map_run_arn is not None:
            return await self._machine_for_child(scope, execution)
        revision = await self.store.get_revision(execution.state_machine_arn, execution.revision_id)
        current = await self.store.get_state_machine(execution.state_machine_arn)
        if revision is None:  # written by nothing we know: the history is all we have
            raise StateMachineDoesNotExist.for_arn(execution.state_machine_arn)
        name = execution.state_machine_arn.rsplit(":", 1)[-1]
        base = current or StateMachineRecord(
            arn=execution.state_machine_arn, account=scope.account, region=scope.region, name=name,
            type="STANDARD", definition="", role_arn="", creation_date=revision.update_date,
            logging_configuration=dict(DEFAULT_LOGGING), tracing_configuration=dict(DEFAULT_TRACING),
        )
        return replace(base, definition=revision.definition, role_arn=revision.role_arn,
                       update_date=revision.update_date, revision_id=execution.revision_id)

    async def _machine_for_child(self, scope: AccountRegion, child: ExecutionRecord) -> StateMachineRecord:
        map_run = await self.store.get_map_run(child.map_run_arn or "")
        processor = None
        if map_run is not None:
            parent = await self.machine_for_execution(scope, map_run.execution_arn)
            processor = names.processor_of(json.loads(parent.definition), names.label_of(child.state_machine_arn))
        if map_run is None or processor is None:
            raise StateMachineDoesNotExist.for_arn(child.state_machine_arn)
        return replace(parent, arn=child.state_machine_arn, name=child.state_machine_arn.split(":stateMachine:")[1],
                       definition=json.dumps(processor))

    # -- executions (the ones that need the machine; the rest are on `self.executions`) -------

    async def start_execution(
        self, scope: AccountRegion, machine_arn: str, name: str | None, input_text: str | None
    ) -> ExecutionRecord:
        """StartExecution; `<arn>#<TestCase>` runs a test case of the mock file (SFN Local)."""
        machine, test_case, version_arn, alias_arn = await self._machine_and_test_case(scope, machine_arn)
        return await self.executions.start(scope, machine, name, input_text, test_case,
                                           version_arn=version_arn, alias_arn=alias_arn)

    async def start_sync_execution(
        self, scope: AccountRegion, machine_arn: str, name: str | None, input_text: str | None
    ) -> SyncResult:
        machine, test_case, version_arn, alias_arn = await self._machine_and_test_case(scope, machine_arn)
        return await self.executions.start_sync(scope, machine, name, input_text, test_case,
                                                version_arn=version_arn, alias_arn=alias_arn)

    async def _machine_and_test_case(
        self, scope: AccountRegion, arn: str
    ) -> tuple[StateMachineRecord, str | None, str | None, str | None]:
        """(machine, test case, version ARN, alias ARN) to start: the ARN may name a version or
        an alias (service/versions.py). Split off SFN Local's `#TestCase` suffix; an unknown test
        case is InvalidName, as in LocalStack (AWS itself has no mock file and answers
        StateMachineDoesNotExist)."""
        machine_arn, marker, test_case = arn.partition("#")
        check_machine_arn(machine_arn)
        check_unlabelled(machine_arn)
        machine, version_arn, alias_arn = await self.versions.resolve(scope, machine_arn)
        if not marker:
            return machine, None, version_arn, alias_arn
        try:
            known = self.tasks.has_test_case(machine.name, test_case)
        except MockConfigError as exc:  # edited into a broken state while serving: a 400, never a 500
            raise ValidationException(str(exc)) from None
        if not known:
            where = ("the mock config file" if self.tasks.mock_file
                     else "a mock config file (set SFN_MOCK_CONFIG)")
            raise InvalidName(f"Invalid Name: '{test_case}' is not a test case of the state machine "
                              f"'{machine.name}' in {where}")
        return machine, test_case, version_arn, alias_arn

    # -- ChildExecutions: `states:startExecution` tasks run their child here -----------------

    async def start_child(self, state_machine_arn: str, name: str | None, input_text: str,
                          parent_arn: str) -> ExecutionRecord:
        """A child in the parent's account and region: a machine of another account or region does
        not exist from where the parent runs (there is no IAM here to grant cross-account access)."""
        scope = arns.parse_arn(parent_arn).scope
        try:
            return await self.start_execution(scope, state_machine_arn, name, input_text)
        except ServiceError as error:
            raise ChildRefused(error.type_name, error.message) from None

    async def child_outcome(self, execution_arn: str) -> ExecutionRecord:
        try:
            return await self.executions.ended(execution_arn)
        except ServiceError as error:
            raise ChildRefused(error.type_name, error.message) from None

    def wake_parent(self, execution_arn: str, parent_arn: str) -> bool:
        return self.executions.wake_on_end(execution_arn, parent_arn)

    async def list_executions(
        self, scope: AccountRegion, machine_arn: str | None, status: str | None, after: int | None, limit: int,
        redrive_filter: str | None = None, map_run_arn: str | None = None,
    ) -> Page[ExecutionRecord]:
        """ListExecutions of a state machine, or (`map_run_arn`) the children of a Map Run:
        "You can specify either a mapRunArn or a stateMachineArn, but not both" (API_ListExecutions)."""
        if (machine_arn is None) == (map_run_arn is None):
            raise ValidationException("Exactly one of stateMachineArn and mapRunArn must be specified")
        if status == "PENDING_REDRIVE" and map_run_arn is None:
            # API_ListExecutions: "If you provide a stateMachineArn and a PENDING_REDRIVE
            # statusFilter, the API returns a validation exception" (the words are ours).
            raise ValidationException("The statusFilter PENDING_REDRIVE needs a mapRunArn, not a stateMachineArn")
        if map_run_arn is not None:
            await self.map_runs.describe(scope, map_run_arn)  # InvalidArn, ResourceNotFound
            return await self.executions.list(None, status, after, limit, redrive_filter, map_run_arn)
        base, qualifier = split_qualified(machine_arn or "")
        if qualifier is None:
            return await self.executions.list(await self.machines.get(scope, base), status, after, limit, redrive_filter)
        # A version or alias ARN lists the executions of that version, or started through that
        # alias (API_ListExecutions; recorded: LocalStack's snapshot of ListExecutions on a version).
        if is_version(qualifier):
            await self.versions.version(scope, machine_arn or "")  # StateMachineDoesNotExist
            version_arn, alias_arn = machine_arn, None
        else:
            await self.versions.describe_alias(scope, machine_arn or "")  # ResourceNotFound
            version_arn, alias_arn = None, machine_arn
        return await self.executions.list(await self.machines.get(scope, base), status, after, limit, redrive_filter,
                                          version_arn=version_arn, alias_arn=alias_arn)

    async def redrive_execution(self, scope: AccountRegion, execution_arn: str, client_token: str | None) -> float:
        """RedriveExecution (service/redrive.py); returns the redrive date."""
        return await self.redrive.redrive(scope, execution_arn, client_token)

    # -- tags ----------------------------------------------------------------------------------

    async def tag_resource(self, scope: AccountRegion, arn: str, tags: list[dict[str, str]]) -> None:
        record = await self._tagged(scope, arn)
        merged = {**record.tags, **tag_dict(tags)}
        if len(merged) > MAX_TAGS:
            raise TooManyTags(f"Too many tags: the limit is {MAX_TAGS} tags per resource")
        await self._put_tagged(replace(record, tags=merged))

    async def untag_resource(self, scope: AccountRegion, arn: str, keys: list[str]) -> None:
        record = await self._tagged(scope, arn)
        kept = {key: value for key, value in record.tags.items() if key not in set(keys)}
        await self._put_tagged(replace(record, tags=kept))

    async def list_tags(self, scope: AccountRegion, arn: str) -> dict[str, str]:
        return (await self._tagged(scope, arn)).tags

    async def _tagged(self, scope: AccountRegion, arn: str) -> StateMachineRecord | ActivityRecord:
        """State machines and activities carry tags; anything else is not found."""
        parsed = arns.parse_arn(arn)
        record: StateMachineRecord | ActivityRecord | None = None
        if parsed.scope == scope and parsed.resource_type == "stateMachine":
            record = await self.store.get_state_machine(arn)
        elif parsed.scope == scope and parsed.resource_type == "activity":
            record = await self.store.get_activity(arn)
        if record is None:
            raise ResourceNotFound.for_arn(arn)
        return record

    async def _put_tagged(self, record: StateMachineRecord | ActivityRecord) -> None:
        if isinstance(record, ActivityRecord):
            await self.store.put_activity(record)
        else:
            await self.store.put_state_machine(record, new_revision=False)

    # -- TestState -----------------------------------------------------------------------------

    async def test_state(self, scope: AccountRegion, request: TestStateRequest) -> TestStateResult:
        """TestState: run one state on its own (see service/test_state.py)."""
        return await test_state(self.clock, self.tasks, scope, request)

    # -- validation ----------------------------------------------------------------------------
