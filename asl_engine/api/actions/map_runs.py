"""Map Run actions (a Distributed Map's run): request fields in, AWS's response shapes out."""

from __future__ import annotations

from asl_engine.arns import AccountRegion
from asl_engine.service import Service
from asl_engine.service.map_runs import EXECUTIONS, shown_counts

from ..protocol import Body, next_token, optional, page_request, required


async def describe_map_run(service: Service, scope: AccountRegion, body: Body) -> Body:
    record = await service.map_runs.describe(scope, required(body, "mapRunArn"))
    shape: Body = {
        "mapRunArn": record.arn,
        "executionArn": record.execution_arn,
        "status": record.status,
        "startDate": record.start_date,
        "maxConcurrency": record.max_concurrency,
        "toleratedFailurePercentage": record.tolerated_failure_percentage,
        "toleratedFailureCount": record.tolerated_failure_count,
        "itemCounts": shown_counts(record),
        "executionCounts": shown_counts(record, EXECUTIONS),
        "redriveCount": record.redrive_count,
    }
    if record.stop_date is not None:
        shape["stopDate"] = record.stop_date
    return shape


async def list_map_runs(service: Service, scope: AccountRegion, body: Body) -> Body:
    cursor, limit = page_request("ListMapRuns", body)
    execution = await service.executions.describe(scope, required(body, "executionArn"))
    records, after = await service.map_runs.list(execution.arn, cursor, limit)
    items = []
    for record in records:
        item: Body = {"executionArn": record.execution_arn, "mapRunArn": record.arn,
                      "stateMachineArn": record.state_machine_arn, "startDate": record.start_date}
        if record.stop_date is not None:
            item["stopDate"] = record.stop_date
        items.append(item)
    return {"mapRuns": items, **next_token("ListMapRuns", body, after)}


async def update_map_run(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.map_runs.update(  # types and bounds: the model's (api/model_check.py)
        scope, required(body, "mapRunArn"), optional(body, "maxConcurrency", int),
        optional(body, "toleratedFailurePercentage", object), optional(body, "toleratedFailureCount", int),
    )
    return {}
