"""State machine versions and aliases: publish, list, delete, route, and resolve for a start.

A version is an immutable revision of its machine: it names the revision (whose definition and
role `state_machine_revisions` keeps), so an execution of a version compiles that definition, and
DescribeStateMachineForExecution and recovery find it like any other revision. An alias routes
each StartExecution to one of its one or two versions at random, by weight.
See https://docs.aws.amazon.com/step-functions/latest/dg/concepts-state-machine-version.html and
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-state-machine-alias.html.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import replace
from typing import Any, TypeGuard

from .. import arns
from ..arns import AccountRegion
from ..aws_errors import (
    ConflictException,
    InvalidArn,
    ResourceNotFound,
    StateMachineDoesNotExist,
    ValidationException,
    invalid_routing,
)
from ..clock import Clock
from ..store import AliasRecord, StateMachineRecord, VersionRecord, VersionStore
from .machines import Machines

ALIAS_NAME = re.compile(r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$")
MAX_DESCRIPTION = 256
_MAX_VERSION = 2**63 - 1
"""The largest version number the store holds (a 64-bit integer); an ARN may name any number."""
# Our own generator: drawing from the module-level one would shift the global random state that
# user code and test tools (Hypothesis replays) rely on.
_ROUTING = random.Random()


def not_found(arn: str, message: str | None = None) -> ResourceNotFound:
    error = ResourceNotFound.for_arn(arn) if message is None else ResourceNotFound(message)
    error.fields["resourceName"] = arn
    return error


def split_qualified(arn: str) -> tuple[str, str | None]:
    """(unqualified machine ARN, qualifier or None) of a state machine ARN."""
    parsed = arns.parse_arn(arn)
    if parsed.resource_type != "stateMachine" or len(parsed.parts) > 2:
        raise InvalidArn.for_arn(arn)
    base = arns.state_machine_arn(parsed.scope, parsed.parts[0])
    return base, parsed.parts[1] if len(parsed.parts) == 2 else None


class Versions:
    def __init__(self, store: VersionStore, clock: Clock, machines: Machines) -> None:
        self.store = store
        self.clock = clock
        self.machines = machines
        self._publishing = asyncio.Lock()  # one number per publish, never two the same

    # -- versions ------------------------------------------------------------------------------

    async def publish(self, scope: AccountRegion, machine_arn: str, description: str | None = None,
                      revision_id: str | None = None) -> VersionRecord:
        """PublishStateMachineVersion: a version of the machine as it is now."""
        _check_description(description, "description")
        machine = await self.machines.get(scope, machine_arn)
        current = machine.revision_id or "INITIAL"
        if revision_id is not None and revision_id != current:
            raise ConflictException(
                f"Failed to publish the State Machine version for revision {revision_id}. "
                f"The current State Machine revision is {current}."
            )
        return await self.snapshot(machine, description)

    async def snapshot(self, machine: StateMachineRecord, description: str | None = None) -> VersionRecord:
        """A version of `machine` as given: `publish=true` on create and update publishes the
        revision that call made, not whatever the machine is by the time it publishes (a
        concurrent update answered one caller with another's version)."""
        _check_description(description, "description")
        async with self._publishing:
            latest = await self.store.list_versions(machine.arn, None, 1)
            if latest and await self._same(machine, latest[0]) and description in (None, latest[0].description):
                return latest[0]  # idempotent: this revision is already published (a new description
                # publishes a new version: moto's aws_verified test_create_state_machine_with_version_description)
            number = await self.store.last_version_number(machine.arn) + 1
            record = VersionRecord(
                machine.arn, number, machine.revision_id, description, self.clock.time(),
                dict(machine.logging_configuration), dict(machine.tracing_configuration),
            )
            await self.store.put_version(record)
        return record

    async def _same(self, machine: StateMachineRecord, version: VersionRecord) -> bool:
        """Whether `version` already snapshots the machine as it is now: the same revision, or
        one with the same definition, role and settings."""
        if version.revision_id == machine.revision_id:
            return True
        revision = await self.store.get_revision(machine.arn, version.revision_id)
        return revision is not None and (revision.definition, revision.role_arn) == (
            machine.definition, machine.role_arn
        ) and (version.logging_configuration, version.tracing_configuration) == (
            machine.logging_configuration, machine.tracing_configuration
        )

    async def list_versions(self, scope: AccountRegion, machine_arn: str, before: int | None,
                            limit: int) -> tuple[list[VersionRecord], int | None]:
        """ListStateMachineVersions, newest first; the cursor is the last number listed."""
        base, qualifier = split_qualified(machine_arn)
        if qualifier is not None:
            raise InvalidArn.for_arn(machine_arn)
        if arns.parse_arn(base).scope != scope:
            return [], None
        rows = await self.store.list_versions(base, before, limit + 1)
        page = rows[:limit]
        return page, (page[-1].version if len(rows) > limit else None)

    async def delete_version(self, scope: AccountRegion, version_arn: str) -> None:
        """DeleteStateMachineVersion; deleting an absent version succeeds."""
        base, number = _version_arn(version_arn)
        if arns.parse_arn(base).scope != scope or await self._stored(base, number) is None:
            return
        users = [alias.name for alias in await self.store.list_aliases(base)  # names, as AWS's (recorded) message
                 if any(route["stateMachineVersionArn"] == version_arn for route in alias.routing_configuration)]
        if users:
            raise ConflictException(
                "Version to be deleted must not be referenced by an alias. "
                f"Current list of aliases referencing this version: [{', '.join(users)}]"
            )
        await self.store.delete_version(base, number)

    async def _stored(self, base: str, number: int) -> VersionRecord | None:
        """Version `number` of machine `base`, unless deleted; none past the store's integers
        (a version ARN of 23 digits was an OverflowError from the database, answered 500)."""
        return await self.store.get_version(base, number) if number <= _MAX_VERSION else None

    async def version(self, scope: AccountRegion, version_arn: str) -> tuple[StateMachineRecord, VersionRecord]:
        """The machine as the version snapshots it (DescribeStateMachine on a version ARN)."""
        base, number = _version_arn(version_arn)
        version = await self._stored(base, number) if arns.parse_arn(base).scope == scope else None
        machine = await self.store.get_state_machine(base) if version is not None else None
        revision = await self.store.get_revision(base, version.revision_id) if version and machine else None
        if version is None or machine is None or revision is None:
            raise StateMachineDoesNotExist.for_arn(version_arn)
        record = replace(
            machine, arn=version_arn, definition=revision.definition, role_arn=revision.role_arn,
            revision_id=version.revision_id, creation_date=version.creation_date,
            logging_configuration=version.logging_configuration,
            tracing_configuration=version.tracing_configuration, description=version.description,
        )
        return record, version

    async def resolve(self, scope: AccountRegion, arn: str) -> tuple[StateMachineRecord, str | None, str | None]:
        """What StartExecution runs for a machine, version or alias ARN: the machine record
        (under its unqualified ARN, with the version's definition and revision), the version
        ARN and the alias ARN."""
        base, qualifier = split_qualified(arn)
        if qualifier is None:
            return await self.machines.get(scope, arn), None, None
        alias_arn = None
        version_arn = arn
        if not is_version(qualifier):
            alias = await self.store.get_alias(arn) if arns.parse_arn(base).scope == scope else None
            if alias is None:
                raise StateMachineDoesNotExist.for_arn(arn)
            routes = alias.routing_configuration
            chosen = _ROUTING.choices(routes, weights=[route["weight"] for route in routes])[0]
            alias_arn, version_arn = arn, chosen["stateMachineVersionArn"]
        record, _ = await self.version(scope, version_arn)
        return replace(record, arn=base), version_arn, alias_arn

    # -- aliases -------------------------------------------------------------------------------

    async def create_alias(self, scope: AccountRegion, name: str, routing: list[Any],
                           description: str | None) -> AliasRecord:
        """CreateStateMachineAlias; idempotent over name, description and routing."""
        arns.check_length(name, "name", arns.MAX_NAME)  # the length message comes before the pattern's
        if not ALIAS_NAME.match(name):
            raise ValidationException.constraint(
                name, "name", f"Member must satisfy regular expression pattern: {ALIAS_NAME.pattern}"
            )
        _check_description(description, "description")
        base = await self._check_routing(scope, routing)
        arn = f"{base}:{name}"
        existing = await self.store.get_alias(arn)
        if existing is not None:
            if (existing.description, existing.routing_configuration) == (description, routing):
                return existing
            raise ConflictException(
                "Failed to create alias because an alias with the same name and a different "
                "routing configuration already exists."
            )
        record = AliasRecord(arn, base, name, description, routing, self.clock.time())
        await self.store.put_alias(record)
        return record

    async def describe_alias(self, scope: AccountRegion, alias_arn: str) -> AliasRecord:
        base, qualifier = split_qualified(alias_arn)
        if qualifier is None or is_version(qualifier):
            raise InvalidArn.for_arn(alias_arn)
        alias = await self.store.get_alias(alias_arn) if arns.parse_arn(base).scope == scope else None
        if alias is None:
            raise not_found(alias_arn)
        return alias

    async def update_alias(self, scope: AccountRegion, alias_arn: str, routing: list[Any] | None,
                           description: str | None) -> AliasRecord:
        """UpdateStateMachineAlias: a new description, routing, or both."""
        if routing is None and description is None:
            error = ValidationException(
                "Either the description or the RoutingConfiguration must be specified"
            )
            error.fields["reason"] = "MISSING_REQUIRED_PARAMETER"
            raise error
        try:
            alias = await self.describe_alias(scope, alias_arn)
        except ResourceNotFound:  # AWS's words for this call (recorded: LocalStack's snapshots)
            raise not_found(alias_arn, "Request references a resource that does not exist.") from None
        _check_description(description, "description")
        if routing is not None and await self._check_routing(scope, routing) != alias.state_machine_arn:
            raise invalid_routing("The routing configuration must only contain versions of the alias's state machine")
        updated = replace(
            alias,
            routing_configuration=routing if routing is not None else alias.routing_configuration,
            description=description if description is not None else alias.description,
            update_date=self.clock.time(),
        )
        await self.store.put_alias(updated)
        return updated

    async def delete_alias(self, scope: AccountRegion, alias_arn: str) -> None:
        """DeleteStateMachineAlias; deleting an absent alias succeeds, as AWS answers a second
        delete (recorded: LocalStack's snapshot test_delete_no_such_alias_arn)."""
        base, qualifier = split_qualified(alias_arn)
        if qualifier is None or is_version(qualifier):
            raise InvalidArn.for_arn(alias_arn)
        if arns.parse_arn(base).scope == scope:
            await self.store.delete_alias(alias_arn)

    async def list_aliases(self, scope: AccountRegion, machine_arn: str) -> list[AliasRecord]:
        """ListStateMachineAliases of a machine, or only those routing to a version ARN."""
        base, qualifier = split_qualified(machine_arn)
        if qualifier is not None and not is_version(qualifier):
            raise InvalidArn.for_arn(machine_arn)
        await self.machines.get(scope, base)
        if qualifier is not None and await self._stored(base, int(qualifier)) is None:
            raise not_found(machine_arn)
        aliases = await self.store.list_aliases(base)
        if qualifier is None:
            return aliases
        return [alias for alias in aliases
                if any(route["stateMachineVersionArn"] == machine_arn for route in alias.routing_configuration)]

    async def _check_routing(self, scope: AccountRegion, routing: list[Any]) -> str:
        """Check a routing configuration; returns the machine ARN its versions belong to."""
        bases: set[str] = set()
        seen: set[str] = set()
        for route in routing:
            if not isinstance(route, dict) or not isinstance(route.get("stateMachineVersionArn"), str) \
                    or isinstance(route.get("weight"), bool) or not isinstance(route.get("weight"), int):
                raise invalid_routing("Each routing configuration needs a stateMachineVersionArn and an integer weight")
            arn, weight = route["stateMachineVersionArn"], route["weight"]
            if not 0 <= weight <= 100:
                raise ValidationException.constraint(
                    weight, "routingConfiguration.member.weight",
                    "Member must have value between 0 and 100" if weight > 100 else
                    "Member must have value greater than or equal to 0",
                )
            base, qualifier = split_qualified(arn)
            if not is_version(qualifier):
                raise invalid_routing(f"Routing configuration must contain state machine version ARNs. "
                                      f"Received: [{arn}]")
            if arn in seen:
                raise invalid_routing("Routing configuration must contain distinct state machine version ARNs. "
                                      f"Received: [{', '.join(r['stateMachineVersionArn'] for r in routing)}]")
            seen.add(arn)
            bases.add(base)
        if len(bases) > 1:
            raise invalid_routing("Routing configuration must contain state machine version ARNs "
                                  "of the same state machine")
        if sum(route["weight"] for route in routing) != 100:
            raise invalid_routing("Sum of routing configuration weights must equal 100. "
                                  f"Received: {[route['weight'] for route in routing]}")
        base = bases.pop()
        if arns.parse_arn(base).scope != scope:
            raise not_found(routing[0]["stateMachineVersionArn"])
        for route in routing:
            _, number = _version_arn(route["stateMachineVersionArn"])
            if await self._stored(base, number) is None:
                raise not_found(route["stateMachineVersionArn"])
        return base


def is_version(qualifier: str | None) -> TypeGuard[str]:
    """Does an ARN's qualifier name a version: ASCII digits (str.isdigit alone takes '٣' and '²')."""
    return qualifier is not None and qualifier.isascii() and qualifier.isdigit()


def _version_arn(arn: str) -> tuple[str, int]:
    base, qualifier = split_qualified(arn)
    if not is_version(qualifier):
        raise InvalidArn.for_arn(arn)
    return base, int(qualifier)


def _check_description(description: str | None, field: str) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise ValidationException.constraint(
            description, field, f"Member must have length less than or equal to {MAX_DESCRIPTION}"
        )
