"""Execution actions: request fields in, AWS's response shapes out."""

from __future__ import annotations

import json

from asl_engine.arns import AccountRegion
from asl_engine.aws_errors import ValidationException
from asl_engine.encryption import customer_managed
from asl_engine.service import Service
from asl_engine.store import ExecutionRecord

from ..protocol import Body, metadata_only, next_token, optional, page_request, required


def execution_shape(record: ExecutionRecord) -> Body:
    """DescribeExecution's shape (the REST API returns the same)."""
    shape: Body = {
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "status": record.status,
        "startDate": record.start_date,
        "input": record.input,
        "inputDetails": {"included": True},
        "redriveCount": record.redrive_count,
    }
    if record.output is not None:
        shape["output"] = record.output
        shape["outputDetails"] = {"included": True}
    for key, attribute in _OPTIONAL_FIELDS:  # absent members are left out, not null (as `present`)
        value = getattr(record, attribute)
        if value is not None:
            shape[key] = value
    return shape


_LIST_ITEM = frozenset(("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate", "mapRunArn",
                        "stateMachineVersionArn", "stateMachineAliasArn", "redriveCount", "redriveDate"))


def _leave_out_data(shape: Body) -> None:
    """`includedData=METADATA_ONLY` under a customer managed key: no input or output, and their
    details say so (API_DescribeExecution: "inputDetails ... included")."""
    for key in ("input", "output"):
        if shape.pop(key, None) is not None:
            shape[f"{key}Details"] = {"included": False}


_OPTIONAL_FIELDS = (
    ("stopDate", "stop_date"), ("error", "error"), ("cause", "cause"),
    ("stateMachineVersionArn", "state_machine_version_arn"), ("stateMachineAliasArn", "state_machine_alias_arn"),
    ("redriveDate", "redrive_date"), ("mapRunArn", "map_run_arn"),
)


def _check_trace_header(body: Body) -> None:
    """`traceHeader`, the model's pattern `\\p{ASCII}*` (its length is checked with the model's
    bounds): kept nowhere, since no trace goes to X-Ray (README, "Logging and tracing")."""
    header = optional(body, "traceHeader")
    if header is not None and not header.isascii():
        raise ValidationException.constraint(header, "traceHeader", "Member must satisfy regular expression pattern: \\p{ASCII}*")


async def start_execution(service: Service, scope: AccountRegion, body: Body) -> Body:
    _check_trace_header(body)
    record = await service.start_execution(
        scope, required(body, "stateMachineArn"), optional(body, "name"), optional(body, "input")
    )
    return {"executionArn": record.arn, "startDate": record.start_date}


async def start_sync_execution(service: Service, scope: AccountRegion, body: Body) -> Body:
    metadata = metadata_only(body)
    _check_trace_header(body)
    result = await service.start_sync_execution(
        scope, required(body, "stateMachineArn"), optional(body, "name"), optional(body, "input")
    )
    shape = execution_shape(result.record)
    if metadata and customer_managed(
            (await service.describe_state_machine(scope, result.record.state_machine_arn)).encryption_configuration):
        _leave_out_data(shape)
    for key in ("redriveCount", "stateMachineVersionArn", "stateMachineAliasArn"):
        shape.pop(key, None)
    billing = {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": result.billed_ms}
    return {**shape, "billingDetails": billing}


async def describe_execution(service: Service, scope: AccountRegion, body: Body) -> Body:
    metadata = metadata_only(body)
    record = await service.executions.describe(scope, required(body, "executionArn"), express_children=True)
    redrive = await service.redrive.described(record)
    shape = execution_shape(record)
    if metadata and customer_managed(
            (await service.machine_for_execution(scope, record.arn)).encryption_configuration):
        _leave_out_data(shape)
    shape["redriveStatus"] = redrive.status
    if redrive.reason is not None:
        shape["redriveStatusReason"] = redrive.reason
    return shape


async def redrive_execution(service: Service, scope: AccountRegion, body: Body) -> Body:
    date = await service.redrive_execution(scope, required(body, "executionArn"), optional(body, "clientToken"))
    return {"redriveDate": date}


async def list_executions(service: Service, scope: AccountRegion, body: Body) -> Body:
    cursor, limit = page_request("ListExecutions", body)
    page = await service.list_executions(
        scope, optional(body, "stateMachineArn"), optional(body, "statusFilter"), cursor, limit,
        optional(body, "redriveFilter"), optional(body, "mapRunArn"),
    )
    batched = False  # listing a Map Run's children: each has `itemCount` items (a batch's `Items`)
    if optional(body, "mapRunArn") is not None:
        batched = await service.map_runs.batched(scope, required(body, "mapRunArn"))
    items = []
    for record in page.items:
        # ExecutionListItem's members; redriveCount always, 0 included (recorded: LocalStack's
        # AWS snapshots of ListExecutions).
        item = {key: value for key, value in execution_shape(record).items() if key in _LIST_ITEM}
        if record.map_run_arn is not None and optional(body, "mapRunArn") is not None:
            item["itemCount"] = len(json.loads(record.input)["Items"]) if batched else 1
        items.append(item)
    return {"executions": items, **next_token("ListExecutions", body, page.cursor)}


async def stop_execution(service: Service, scope: AccountRegion, body: Body) -> Body:
    stop_date = await service.executions.stop(
        scope, required(body, "executionArn"), optional(body, "error"), optional(body, "cause")
    )
    return {"stopDate": stop_date}


async def get_execution_history(service: Service, scope: AccountRegion, body: Body) -> Body:
    cursor, limit = page_request("GetExecutionHistory", body)
    include = optional(body, "includeExecutionData", bool)
    page = await service.executions.history(
        scope,
        required(body, "executionArn"),
        cursor,
        limit,
        reverse=bool(optional(body, "reverseOrder", bool)),
        include_data=include is not False,
    )
    return {"events": page.items, **next_token("GetExecutionHistory", body, page.cursor)}
