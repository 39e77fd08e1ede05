"""Activity actions: CreateActivity, DescribeActivity, DeleteActivity, ListActivities and the
workers' long poll, GetActivityTask."""

from __future__ import annotations

from asl_engine.arns import AccountRegion
from asl_engine.encryption import described
from asl_engine.service import Service, tag_dict

from ..protocol import Body, next_token, optional, page_request, required


async def create_activity(service: Service, scope: AccountRegion, body: Body) -> Body:
    tags = tag_dict(optional(body, "tags", list) or [])
    record = await service.activities.create(scope, required(body, "name"), tags,
                                             optional(body, "encryptionConfiguration", dict))
    return {"activityArn": record.arn, "creationDate": record.creation_date}


async def describe_activity(service: Service, scope: AccountRegion, body: Body) -> Body:
    record = await service.activities.describe(scope, required(body, "activityArn"))
    return {"activityArn": record.arn, "name": record.name, "creationDate": record.creation_date,
            "encryptionConfiguration": described(record.encryption_configuration)}


async def delete_activity(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.activities.delete(scope, required(body, "activityArn"))
    return {}


async def list_activities(service: Service, scope: AccountRegion, body: Body) -> Body:
    cursor, limit = page_request("ListActivities", body)
    page = await service.activities.list(scope, cursor, limit)
    items = [{"activityArn": r.arn, "name": r.name, "creationDate": r.creation_date} for r in page.items]
    return {"activities": items, **next_token("ListActivities", body, page.cursor)}


async def get_activity_task(service: Service, scope: AccountRegion, body: Body) -> Body:
    """Holds the request up to 60 s; `{}` (no taskToken) when no task arrives, as AWS answers."""
    activity_arn, worker = required(body, "activityArn"), optional(body, "workerName")
    task = await service.activities.get_task(scope, activity_arn, worker)
    if task is None:
        return {}
    return {"taskToken": task.token, "input": task.input}
