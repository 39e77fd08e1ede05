"""Version and alias actions: request fields in, AWS's response shapes out."""

from __future__ import annotations

from asl_engine.arns import AccountRegion
from asl_engine.service import Service
from asl_engine.store import AliasRecord

from ..protocol import Body, next_token, optional, page_request, present, required


async def publish_state_machine_version(service: Service, scope: AccountRegion, body: Body) -> Body:
    version = await service.versions.publish(
        scope, required(body, "stateMachineArn"), optional(body, "description"), optional(body, "revisionId")
    )
    return {"stateMachineVersionArn": version.arn, "creationDate": version.creation_date}


async def list_state_machine_versions(service: Service, scope: AccountRegion, body: Body) -> Body:
    cursor, limit = page_request("ListStateMachineVersions", body)
    versions, after = await service.versions.list_versions(scope, required(body, "stateMachineArn"), cursor, limit)
    items = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in versions]
    return {"stateMachineVersions": items, **next_token("ListStateMachineVersions", body, after)}


async def delete_state_machine_version(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.versions.delete_version(scope, required(body, "stateMachineVersionArn"))
    return {}


def alias_shape(alias: AliasRecord) -> Body:
    return {
        "stateMachineAliasArn": alias.arn,
        "name": alias.name,
        "routingConfiguration": alias.routing_configuration,
        "creationDate": alias.creation_date,
        **present(description=alias.description, updateDate=alias.update_date),
    }


async def create_state_machine_alias(service: Service, scope: AccountRegion, body: Body) -> Body:
    alias = await service.versions.create_alias(
        scope, required(body, "name"), required(body, "routingConfiguration", list), optional(body, "description")
    )
    return {"stateMachineAliasArn": alias.arn, "creationDate": alias.creation_date}


async def describe_state_machine_alias(service: Service, scope: AccountRegion, body: Body) -> Body:
    return alias_shape(await service.versions.describe_alias(scope, required(body, "stateMachineAliasArn")))


async def update_state_machine_alias(service: Service, scope: AccountRegion, body: Body) -> Body:
    alias = await service.versions.update_alias(
        scope, required(body, "stateMachineAliasArn"), optional(body, "routingConfiguration", list),
        optional(body, "description"),
    )
    return {"updateDate": alias.update_date}


async def delete_state_machine_alias(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.versions.delete_alias(scope, required(body, "stateMachineAliasArn"))
    return {}


async def list_state_machine_aliases(service: Service, scope: AccountRegion, body: Body) -> Body:
    """Newest first; all of a machine's aliases (at most 100 on AWS) are read, then paged."""
    cursor, limit = page_request("ListStateMachineAliases", body)
    aliases = await service.versions.list_aliases(scope, required(body, "stateMachineArn"))
    start = int(cursor or 0)
    page = aliases[start:start + limit]
    items = [{"stateMachineAliasArn": a.arn, "creationDate": a.creation_date} for a in page]
    after = start + limit if start + limit < len(aliases) else None
    return {"stateMachineAliases": items, **next_token("ListStateMachineAliases", body, after)}
