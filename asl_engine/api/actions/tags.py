"""Tagging actions. Tags live on state machines and activities."""

from __future__ import annotations

from asl_engine.arns import AccountRegion
from asl_engine.service import Service

from ..protocol import Body, required


async def tag_resource(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.tag_resource(scope, required(body, "resourceArn"), required(body, "tags", list))
    return {}


async def untag_resource(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.untag_resource(scope, required(body, "resourceArn"), required(body, "tagKeys", list))
    return {}


async def list_tags_for_resource(service: Service, scope: AccountRegion, body: Body) -> Body:
    tags = await service.list_tags(scope, required(body, "resourceArn"))
    return {"tags": [{"key": key, "value": value} for key, value in tags.items()]}
