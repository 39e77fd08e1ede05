"""State machines: create, describe, update, delete and list them, and check their definitions.

`get` is the one lookup of a machine by ARN in a scope that versions, executions and tags share.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

from .. import arns
from ..arns import AccountRegion
from ..aws_errors import (
    InvalidArn,
    InvalidDefinition,
    InvalidLoggingConfiguration,
    MissingRequiredParameter,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    TooManyTags,
    ValidationException,
)
from ..clock import Clock
from ..compile import compile_definition
from ..encryption import check_encryption
from ..errors import DefinitionError
from ..store import MachineStore, StateMachineRecord
from ..validate import Diagnostic, format_invalid_definition, validate_definition
from .executions import Page

log = logging.getLogger("asl_engine.service")
TYPES = ("STANDARD", "EXPRESS")
MAX_DEFINITION = 1_048_576
MAX_TAGS = 50
DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}
LOG_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")  # the model's order
DEFAULT_TRACING = {"enabled": False}


@dataclass(frozen=True)
class Validation:
    result: str  # OK | FAIL
    diagnostics: list[Diagnostic]  # the validator's, with severity, code, message, location
    truncated: bool


class Machines:
    def __init__(self, store: MachineStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def create(
        self,
        scope: AccountRegion,
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
        machine_type = check_type(machine_type)
        encryption_configuration = check_encryption(encryption_configuration)
        logging_configuration = check_logging(logging_configuration or {})
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
        check_definition(definition, machine_type)
        record = StateMachineRecord(
            arn=arn, account=scope.account, region=scope.region, name=name, type=machine_type,
            definition=definition, role_arn=role_arn, creation_date=self.clock.time(),
            logging_configuration=logging_configuration, tracing_configuration=tracing_configuration,
            tags=tag_dict(tags or []), encryption_configuration=encryption_configuration,
        )
        await self.store.put_state_machine(record, new_revision=True)
        log.info("state machine created %s", arn)
        return record

    async def update(
        self,
        scope: AccountRegion,
        arn: str,
        definition: str | None = None,
        role_arn: str | None = None,
        logging_configuration: dict[str, Any] | None = None,
        tracing_configuration: dict[str, Any] | None = None,
        encryption_configuration: dict[str, Any] | None = None,
    ) -> tuple[StateMachineRecord, bool]:
        """UpdateStateMachine: a new revision, unless nothing changes; running executions keep the
        one they started with. Returns the machine and whether it changed."""
        check_unlabelled(arn)
        record = await self.get(scope, arn)
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
            check_definition(definition, record.type)
        updated = replace(
            record,
            definition=definition if definition is not None else record.definition,
            role_arn=role_arn or record.role_arn,
            logging_configuration=check_logging(logging_configuration or record.logging_configuration),
            tracing_configuration={**DEFAULT_TRACING, **(tracing_configuration or record.tracing_configuration)},
            encryption_configuration=encryption_configuration or record.encryption_configuration,
        )
        if updated == record:
            # Nothing changes: no new revision, so a publish that follows finds the version this
            # revision already has (recorded against AWS: LocalStack's snapshots
            # test_empty_revision_with_publish_*: version 1 on every such update, no revisionId).
            return record, False
        updated = replace(updated, revision_id=str(uuid.uuid4()), update_date=self.clock.time())
        await self.store.put_state_machine(updated, new_revision=True)
        log.info("state machine updated %s revision %s", arn, updated.revision_id)
        return updated, True

    async def put(
        self, scope: AccountRegion, name: str, definition: str, role_arn: str | None, machine_type: str | None
    ) -> tuple[StateMachineRecord, bool]:
        """The REST upload: create the machine, or update its definition; True if created."""
        arns.check_name(name)
        role_arn = role_arn or f"arn:{scope.partition}:iam::{scope.account}:role/asl-engine"
        arn = arns.state_machine_arn(scope, name)
        existing = await self.store.get_state_machine(arn)
        if existing is None:
            return await self.create(scope, name, definition, role_arn, machine_type), True
        if machine_type is not None and check_type(machine_type) != existing.type:
            raise ValidationException("The type of an existing state machine cannot be changed")
        if existing.definition == definition and existing.role_arn == role_arn:
            return existing, False
        return (await self.update(scope, arn, definition, role_arn))[0], False

    async def delete(self, scope: AccountRegion, arn: str) -> None:
        """DeleteStateMachine. Deleting an absent machine succeeds, as on AWS; its executions
        (and their history) stay readable, and running ones finish."""
        check_unlabelled(arn)
        try:
            await self.get(scope, arn)
        except StateMachineDoesNotExist:
            return
        await self.store.delete_state_machine(arn)
        log.info("state machine deleted %s", arn)

    async def list(self, scope: AccountRegion, after: str | None, limit: int) -> Page[StateMachineRecord]:
        rows = await self.store.list_state_machines(scope.account, scope.region, after, limit + 1)
        page = rows[:limit]
        return Page(page, page[-1].name if len(rows) > limit else None)

    @staticmethod
    def validate(definition: str, machine_type: str | None, severity: str | None,
                 max_results: int | None) -> Validation:
        """ValidateStateMachineDefinition: ERROR shows errors only, WARNING shows both."""
        check_definition_length(definition)
        if severity not in (None, "ERROR", "WARNING"):
            raise ValidationException.constraint(severity, "severity", "Member must satisfy enum value set: [ERROR, WARNING]")
        levels = ("ERROR",) if (severity or "ERROR") == "ERROR" else ("ERROR", "WARNING")
        found = [d for d in validate_definition(definition, check_type(machine_type)) if d.severity in levels]
        limit = max_results or 100
        failed = any(d.severity == "ERROR" for d in found)
        return Validation("FAIL" if failed else "OK", found[:limit], len(found) > limit)

    async def get(self, scope: AccountRegion, arn: str) -> StateMachineRecord:
        """The machine an unqualified ARN names in this scope, or StateMachineDoesNotExist."""
        check_machine_arn(arn)
        record = await self.store.get_state_machine(arn)
        if record is None or (record.account, record.region) != (scope.account, scope.region):
            raise StateMachineDoesNotExist.for_arn(arn)
        return record


def check_definition(definition: str, machine_type: str) -> None:
    """Refuse what AWS refuses: the validator's first ERROR, then anything the compiler
    cannot compile, both as InvalidDefinition with AWS's wording."""
    check_definition_length(definition)
    for diagnostic in validate_definition(definition, machine_type):
        if diagnostic.severity == "ERROR":
            raise InvalidDefinition(format_invalid_definition(diagnostic))
    try:
        compile_definition(definition)
    except DefinitionError as error:
        raise InvalidDefinition(
            f"Invalid State Machine Definition: '{error.code}: {error.message} at {error.location}'"
        ) from None


def check_definition_length(definition: str) -> None:
    """The API's length constraint on `definition` (Create, Update and ValidateStateMachineDefinition:
    "Maximum length of 1048576"), checked before anything reads the text."""
    if len(definition) > MAX_DEFINITION:
        raise ValidationException.constraint(
            "definition", "definition", f"Member must have length less than or equal to {MAX_DEFINITION}"
        )


def check_logging(configuration: dict[str, Any]) -> dict[str, Any]:
    """A state machine's loggingConfiguration as AWS stores it, or the error AWS answers.

    Recorded against AWS (LocalStack's snapshots of test_sfn_api_logs): a level other than OFF
    needs exactly one destination ("Must specify exactly one Log Destination.", also for two);
    `{}` or no destinations at all is level OFF without execution data. The configuration is kept
    and described back; no log is written anywhere (README, "Logging and tracing")."""
    level = configuration.get("level", "OFF")
    if level not in LOG_LEVELS:
        raise ValidationException.constraint(
            level, "loggingConfiguration.level", f"Member must satisfy enum value set: [{', '.join(LOG_LEVELS)}]")
    destinations = configuration.get("destinations") or []
    if len(destinations) > 1 or (level != "OFF" and not destinations):
        raise InvalidLoggingConfiguration("Invalid Logging Configuration: Must specify exactly one Log Destination.")
    return {**DEFAULT_LOGGING, **configuration}


def check_machine_arn(arn: str) -> None:
    parsed = arns.parse_arn(arn)
    if parsed.resource_type != "stateMachine":
        raise InvalidArn.for_arn(arn)


def check_unlabelled(arn: str) -> None:
    """StartExecution, DescribeStateMachine, UpdateStateMachine and DeleteStateMachine refuse a
    Distributed Map's labelled ARN (`stateMachine:<name>/<label>`; no machine name holds a '/'): "If you provide a
    qualified state machine ARN that refers to a Distributed Map state, the request fails with
    ValidationException" (API_StartExecution), reason API_DOES_NOT_SUPPORT_LABELED_ARNS (the
    model's). It was StateMachineDoesNotExist, and DeleteStateMachine answered 200."""
    if "/" in arns.parse_arn(arn).parts[0]:
        error = ValidationException(f"The action does not support labeled ARNs: '{arn}'")
        error.fields["reason"] = "API_DOES_NOT_SUPPORT_LABELED_ARNS"
        raise error


def check_type(machine_type: str | None) -> str:
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
