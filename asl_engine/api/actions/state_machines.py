"""State machine actions: request fields in, AWS's response shapes out."""

from __future__ import annotations

from asl_engine.arns import AccountRegion
from asl_engine.encryption import customer_managed, described
from asl_engine.service import Service
from asl_engine.aws_errors import ValidationException
from asl_engine.store import StateMachineRecord
from asl_engine.variable_references import variable_references

from ..protocol import Body, metadata_only, next_token, optional, page_request, present, required


def machine_shape(record: StateMachineRecord) -> Body:
    """DescribeStateMachine's shape (the REST API returns the same)."""
    shape: Body = {
        "stateMachineArn": record.arn,
        "name": record.name,
        "status": "ACTIVE",
        "definition": record.definition,
        "roleArn": record.role_arn,
        "type": record.type,
        "creationDate": record.creation_date,
        "loggingConfiguration": record.logging_configuration,
        "tracingConfiguration": record.tracing_configuration,
        "encryptionConfiguration": described(record.encryption_configuration),
    }
    shape.update(present(revisionId=record.revision_id, description=record.description))
    references = variable_references(record.definition)
    if references:
        shape["variableReferences"] = references
    return shape


async def create_state_machine(service: Service, scope: AccountRegion, body: Body) -> Body:
    publish = _publish_request(body)
    record = await service.machines.create(
        scope,
        name=required(body, "name"),
        definition=required(body, "definition"),
        role_arn=required(body, "roleArn"),
        machine_type=optional(body, "type"),
        logging_configuration=optional(body, "loggingConfiguration", dict),
        tracing_configuration=optional(body, "tracingConfiguration", dict),
        tags=optional(body, "tags", list),
        encryption_configuration=optional(body, "encryptionConfiguration", dict),
    )
    response = {"stateMachineArn": record.arn, "creationDate": record.creation_date}
    return await _with_version(service, body, publish, record, response)


async def describe_state_machine(service: Service, scope: AccountRegion, body: Body) -> Body:
    metadata = metadata_only(body)
    record = await service.describe_state_machine(scope, required(body, "stateMachineArn"))
    return _metadata(machine_shape(record), record, metadata)


def _metadata(shape: Body, record: StateMachineRecord, metadata: bool) -> Body:
    """`includedData=METADATA_ONLY`: a definition under a customer managed key is left out."""
    if metadata and customer_managed(record.encryption_configuration):
        del shape["definition"]
    return shape


async def update_state_machine(service: Service, scope: AccountRegion, body: Body) -> Body:
    publish = _publish_request(body)
    record, changed = await service.machines.update(
        scope,
        required(body, "stateMachineArn"),
        definition=optional(body, "definition"),
        role_arn=optional(body, "roleArn"),
        logging_configuration=optional(body, "loggingConfiguration", dict),
        tracing_configuration=optional(body, "tracingConfiguration", dict),
        encryption_configuration=optional(body, "encryptionConfiguration", dict),
    )
    # Nothing changed: no new revision to name (recorded against AWS, see Machines.update).
    response: Body = {"updateDate": record.update_date or record.creation_date}
    if changed:
        response["revisionId"] = record.revision_id
    return await _with_version(service, body, publish, record, response)


async def _with_version(service: Service, body: Body, publish: bool, record: StateMachineRecord,
                        response: Body) -> Body:
    """`publish=true` on Create/UpdateStateMachine: publish the revision the call made, and name
    the version in the answer."""
    if publish:
        version = await service.versions.snapshot(record, optional(body, "versionDescription"))
        response["stateMachineVersionArn"] = version.arn
    return response


async def delete_state_machine(service: Service, scope: AccountRegion, body: Body) -> Body:
    await service.machines.delete(scope, required(body, "stateMachineArn"))
    return {}


async def list_state_machines(service: Service, scope: AccountRegion, body: Body) -> Body:
    cursor, limit = page_request("ListStateMachines", body)
    page = await service.machines.list(scope, cursor, limit)
    items = [
        {"stateMachineArn": r.arn, "name": r.name, "type": r.type, "creationDate": r.creation_date}
        for r in page.items
    ]
    return {"stateMachines": items, **next_token("ListStateMachines", body, page.cursor)}


async def describe_state_machine_for_execution(service: Service, scope: AccountRegion, body: Body) -> Body:
    metadata = metadata_only(body)
    record = await service.machine_for_execution(scope, required(body, "executionArn"))
    shape = _metadata(machine_shape(record), record, metadata)
    for key in ("status", "type", "creationDate"):
        del shape[key]
    execution = await service.executions.describe(scope, required(body, "executionArn"))
    if execution.map_run_arn is not None:  # a Distributed Map's child: its Map Run and the Map's label
        shape.update(mapRunArn=execution.map_run_arn, label=record.name.rsplit("/", 1)[1])
    return {**shape, "updateDate": record.update_date}


async def validate_state_machine_definition(service: Service, scope: AccountRegion, body: Body) -> Body:
    validation = service.machines.validate(
        required(body, "definition"),
        optional(body, "type"),
        optional(body, "severity"),
        optional(body, "maxResults", int),
    )
    diagnostics = []
    for diagnostic in validation.diagnostics:
        item = {"severity": diagnostic.severity, "code": diagnostic.code, "message": diagnostic.message}
        if diagnostic.location is not None:
            item["location"] = diagnostic.location
        diagnostics.append(item)
    return {"result": validation.result, "diagnostics": diagnostics, "truncated": validation.truncated}


def _publish_request(body: Body) -> bool:
    """`publish` (and `versionDescription`, which only goes with it) of create and update."""
    publish = bool(optional(body, "publish", bool))
    if optional(body, "versionDescription") is not None and not publish:
        raise ValidationException("Version description can only be set when publish is true")
    return publish
