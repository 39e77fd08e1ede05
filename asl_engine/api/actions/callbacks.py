"""Task-token actions: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat. They answer a token
held by an activity worker or by whoever received a `.waitForTaskToken` task's message."""

from __future__ import annotations

from asl_engine.arns import AccountRegion
from asl_engine.service import Service

from ..protocol import Body, optional, required


async def send_task_success(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.activities.send_success(required(body, "taskToken"), required(body, "output"), scope)
    return {}


async def send_task_failure(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.activities.send_failure(
        required(body, "taskToken"), optional(body, "error"), optional(body, "cause"), scope
    )
    return {}


async def send_task_heartbeat(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.activities.send_heartbeat(required(body, "taskToken"), scope)
    return {}
