"""Use cases behind both HTTP APIs: state machines, executions, tags, validation.

No HTTP here. Each method checks its arguments the way AWS does, raises a `ServiceError` named
as AWS names it, and returns records; `api/` turns them into wire shapes. Executions run as
asyncio tasks on this process's event loop; their history goes to the store through a sink that
never blocks the runner. One `TaskDispatcher` serves every execution's Task states; it reaches
back here (`ChildExecutions`) to run `states:startExecution` children on this server.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

from .. import arns
from ..arns import Scope
from ..clock import Clock
from ..config import Config
from ..compile import compile_definition
from ..encryption import check_encryption
from ..errors import DefinitionError
from .activities import Activities
from .console import Console
from .test_state import TestStateRequest, TestStateResult, test_state
from .executions import Executions, Page, SyncResult
from .versions import Versions, split_qualified
from ..aws_errors import (
    InvalidArn,
    InvalidDefinition,
    InvalidName,
    MissingRequiredParameter,
    ResourceNotFound,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    TooManyTags,
    ValidationException,
)
from ..store import ActivityRecord, ExecutionRecord, StateMachineRecord, Store
from ..tasks.dispatcher import TaskDispatcher
from ..tasks.mock import MockConfigError
from ..validate import Diagnostic, format_invalid_definition, validate_definition

log = logging.getLogger("asl_engine.service")
TYPES = ("STANDARD", "EXPRESS")
MAX_DEFINITION = 1_048_576
MAX_TAGS = 50
DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}
DEFAULT_TRACING = {"enabled": False}


@dataclass(frozen=True)
class Validation:
    result: str  # OK | FAIL
    diagnostics: list[Diagnostic]  # the validator's, with severity, code, message, location
    truncated: bool


class Service:
    def __init__(self, store: Store, clock: Clock, config: Config) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.tasks = TaskDispatcher(config.tasks, clock, children=self)
        self.executions = Executions(store, clock, self.tasks)
        self.activities = Activities(store, clock, self.tasks, config.activity_poll_seconds)
        self.versions = Versions(self)
        self.map_runs = self.executions.map_runs  # DescribeMapRun, ListMapRuns, UpdateMapRun
        self.console = Console(self)  # the web console's read-only overviews (api/ui)

    def default_scope(self) -> Scope:
        return Scope(self.config.account_id, self.config.region)

    async def shutdown(self) -> None:
        await self.executions.shutdown()

    # -- state machines ----------------------------------------------------------------------

    async def create_state_machine(
        self,
        scope: Scope,
        name: str,
        definition: str,
        role_arn: str,
        machine_type: str | None = None,
        logging_configuration: dict[str, Any] | None = None,
        tracing_configuration: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        encryption_configuration: dict[str, Any] | None = None,
    ) -> StateMachineRecord:
        """CreateStateMachine. Idempotent: the same name, definition, type, logging, tracing and
        encryption return the existing machine (a different roleArn or tags are ignored, as on AWS)."""
        arns.check_name(name)
        arns.check_role_arn(role_arn)
        machine_type = _check_type(machine_type)
        encryption_configuration = check_encryption(encryption_configuration)
        logging_configuration = {**DEFAULT_LOGGING, **(logging_configuration or {})}
        tracing_configuration = {**DEFAULT_TRACING, **(tracing_configuration or {})}
        arn = arns.state_machine_arn(scope, name)
        existing = await self.store.get_state_machine(arn)
        if existing is not None:
            same = (existing.definition, existing.type, existing.logging_configuration,
                    existing.tracing_configuration, existing.encryption_configuration)
            if same == (definition, machine_type, logging_configuration, tracing_configuration,
                        encryption_configuration):
                return existing
            raise StateMachineAlreadyExists.for_arn(arn)
        self.check_definition(definition, machine_type)
        record = StateMachineRecord(
            arn=arn, account=scope.account, region=scope.region, name=name, type=machine_type,
            definition=definition, role_arn=role_arn, creation_date=self.clock.time(),
            logging_configuration=logging_configuration, tracing_configuration=tracing_configuration,
            tags=tag_dict(tags or []), encryption_configuration=encryption_configuration,
        )
        await self.store.put_state_machine(record, new_revision=True)
        log.info("state machine created %s", arn)
        return record

    async def describe_state_machine(self, scope: Scope, arn: str) -> StateMachineRecord:
        """DescribeStateMachine; on a version ARN, the version (with its description)."""
        _check_machine_arn(arn)
        qualifier = split_qualified(arn)[1]
        if qualifier is not None and qualifier.isdigit():
            return (await self.versions.version(scope, arn))[0]
        return await self._machine(scope, arn)

    async def update_state_machine(
        self,
        scope: Scope,
        arn: str,
        definition: str | None = None,
        role_arn: str | None = None,
        logging_configuration: dict[str, Any] | None = None,
        tracing_configuration: dict[str, Any] | None = None,
        encryption_configuration: dict[str, Any] | None = None,
    ) -> StateMachineRecord:
        """UpdateStateMachine: a new revision; running executions keep the one they started with."""
        record = await self._machine(scope, arn)
        encryption_configuration = check_encryption(encryption_configuration)
        if definition is None and role_arn is None and logging_configuration is None \
                and tracing_configuration is None and encryption_configuration is None:
            raise MissingRequiredParameter(
                "Either the definition, the role ARN, the LoggingConfiguration, "
                "or the TracingConfiguration must be specified"
            )
        if role_arn is not None:
            arns.check_role_arn(role_arn)
        if definition is not None:
            self.check_definition(definition, record.type)
        updated = replace(
            record,
            definition=definition if definition is not None else record.definition,
            role_arn=role_arn or record.role_arn,
            logging_configuration={**DEFAULT_LOGGING, **(logging_configuration or record.logging_configuration)},
            tracing_configuration={**DEFAULT_TRACING, **(tracing_configuration or record.tracing_configuration)},
            encryption_configuration=encryption_configuration or record.encryption_configuration,
            revision_id=str(uuid.uuid4()),
            update_date=self.clock.time(),
        )
        await self.store.put_state_machine(updated, new_revision=True)
        log.info("state machine updated %s revision %s", arn, updated.revision_id)
        return updated

    async def put_state_machine(
        self, scope: Scope, name: str, definition: str, role_arn: str | None, machine_type: str | None
    ) -> tuple[StateMachineRecord, bool]:
        """The REST upload: create the machine, or update its definition; True if created."""
        arns.check_name(name)
        role_arn = role_arn or f"arn:{scope.partition}:iam::{scope.account}:role/asl-engine"
        arn = arns.state_machine_arn(scope, name)
        existing = await self.store.get_state_machine(arn)
        if existing is None:
            return await self.create_state_machine(scope, name, definition, role_arn, machine_type), True
        if machine_type is not None and _check_type(machine_type) != existing.type:
            raise ValidationException("The type of an existing state machine cannot be changed")
        if existing.definition == definition and existing.role_arn == role_arn:
            return existing, False
        return await self.update_state_machine(scope, arn, definition, role_arn), False

    async def delete_state_machine(self, scope: Scope, arn: str) -> None:
        """DeleteStateMachine. Deleting an absent machine succeeds, as on AWS; its executions
        (and their history) stay readable, and running ones finish."""
        try:
            await self._machine(scope, arn)
        except StateMachineDoesNotExist:
            return
        await self.store.delete_state_machine(arn)
        log.info("state machine deleted %s", arn)

    async def list_state_machines(self, scope: Scope, after: str | None, limit: int) -> Page[StateMachineRecord]:
        rows = await self.store.list_state_machines(scope.account, scope.region, after, limit + 1)
        page = rows[:limit]
        return Page(page, page[-1].name if len(rows) > limit else None)

    async def machine_for_execution(self, scope: Scope, execution_arn: str) -> StateMachineRecord:
        """DescribeStateMachineForExecution: the revision the execution started with."""
        execution = await self.executions.describe(scope, execution_arn)
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

    # -- executions (the ones that need the machine; the rest are on `self.executions`) -------

    async def start_execution(
        self, scope: Scope, machine_arn: str, name: str | None, input_text: str | None
    ) -> ExecutionRecord:
        """StartExecution; `<arn>#<TestCase>` runs a test case of the mock file (SFN Local)."""
        machine, test_case, version_arn, alias_arn = await self._machine_and_test_case(scope, machine_arn)
        return await self.executions.start(scope, machine, name, input_text, test_case,
                                           version_arn=version_arn, alias_arn=alias_arn)

    async def start_sync_execution(
        self, scope: Scope, machine_arn: str, name: str | None, input_text: str | None
    ) -> SyncResult:
        machine, test_case, version_arn, alias_arn = await self._machine_and_test_case(scope, machine_arn)
        return await self.executions.start_sync(scope, machine, name, input_text, test_case,
                                                version_arn=version_arn, alias_arn=alias_arn)

    async def _machine_and_test_case(
        self, scope: Scope, arn: str
    ) -> tuple[StateMachineRecord, str | None, str | None, str | None]:
        """(machine, test case, version ARN, alias ARN) to start: the ARN may name a version or
        an alias (service_versions). Split off SFN Local's `#TestCase` suffix; an unknown test
        case is InvalidName, as in LocalStack (AWS itself has no mock file and answers
        StateMachineDoesNotExist)."""
        machine_arn, marker, test_case = arn.partition("#")
        _check_machine_arn(machine_arn)
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
        return await self.start_execution(scope, state_machine_arn, name, input_text)

    async def child_outcome(self, execution_arn: str) -> ExecutionRecord:
        return await self.executions.ended(execution_arn)

    async def list_executions(
        self, scope: Scope, machine_arn: str, status: str | None, after: int | None, limit: int
    ) -> Page[ExecutionRecord]:
        machine = await self._machine(scope, machine_arn)
        return await self.executions.list(machine, status, after, limit)

    # -- tags ----------------------------------------------------------------------------------

    async def tag_resource(self, scope: Scope, arn: str, tags: list[dict[str, str]]) -> None:
        record = await self._tagged(scope, arn)
        merged = {**record.tags, **tag_dict(tags)}
        if len(merged) > MAX_TAGS:
            raise TooManyTags(f"Too many tags: the limit is {MAX_TAGS} tags per resource")
        await self._put_tagged(replace(record, tags=merged))

    async def untag_resource(self, scope: Scope, arn: str, keys: list[str]) -> None:
        record = await self._tagged(scope, arn)
        kept = {key: value for key, value in record.tags.items() if key not in set(keys)}
        await self._put_tagged(replace(record, tags=kept))

    async def list_tags(self, scope: Scope, arn: str) -> dict[str, str]:
        return (await self._tagged(scope, arn)).tags

    async def _tagged(self, scope: Scope, arn: str) -> StateMachineRecord | ActivityRecord:
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

    async def test_state(self, scope: Scope, request: TestStateRequest) -> TestStateResult:
        """TestState: run one state on its own (see service_test_state)."""
        return await test_state(self, scope, request)

    # -- validation ----------------------------------------------------------------------------

    def check_definition(self, definition: str, machine_type: str) -> None:
        """Refuse what AWS refuses: the validator's first ERROR, then anything the compiler
        cannot compile, both as InvalidDefinition with AWS's wording."""
        if len(definition) > MAX_DEFINITION:
            raise ValidationException.constraint(
                "definition", "definition", f"Member must have length less than or equal to {MAX_DEFINITION}"
            )
        for diagnostic in validate_definition(definition, machine_type):
            if diagnostic.severity == "ERROR":
                raise InvalidDefinition(format_invalid_definition(diagnostic))
        try:
            compile_definition(definition)
        except DefinitionError as error:
            raise InvalidDefinition(
                f"Invalid State Machine Definition: '{error.code}: {error.message} at {error.location}'"
            ) from None

    def validate(self, definition: str, machine_type: str | None, severity: str | None,
                 max_results: int | None) -> Validation:
        """ValidateStateMachineDefinition: ERROR shows errors only, WARNING shows both."""
        levels = ("ERROR",) if (severity or "ERROR") == "ERROR" else ("ERROR", "WARNING")
        found = [d for d in validate_definition(definition, _check_type(machine_type)) if d.severity in levels]
        limit = max_results or 100
        failed = any(d.severity == "ERROR" for d in found)
        return Validation("FAIL" if failed else "OK", found[:limit], len(found) > limit)

    async def _machine(self, scope: Scope, arn: str) -> StateMachineRecord:
        _check_machine_arn(arn)
        record = await self.store.get_state_machine(arn)
        if record is None or (record.account, record.region) != (scope.account, scope.region):
            raise StateMachineDoesNotExist.for_arn(arn)
        return record


def _check_machine_arn(arn: str) -> None:
    parsed = arns.parse_arn(arn)
    if parsed.resource_type != "stateMachine":
        raise InvalidArn.for_arn(arn)


def _check_type(machine_type: str | None) -> str:
    machine_type = machine_type or "STANDARD"
    if machine_type not in TYPES:
        raise ValidationException.constraint(
            machine_type, "type", "Member must satisfy enum value set: [STANDARD, EXPRESS]"
        )
    return machine_type


def tag_dict(tags: list[dict[str, str]]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise TooManyTags(f"Too many tags: the limit is {MAX_TAGS} tags per resource")
    for tag in tags:
        if not isinstance(tag, dict) or not isinstance(tag.get("key"), str) \
                or not isinstance(tag.get("value", ""), str):
            raise ValidationException("Each tag must be an object with a string 'key' and 'value'")
    return {tag["key"]: tag.get("value", "") for tag in tags}


