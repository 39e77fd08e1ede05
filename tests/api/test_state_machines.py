"""State machine actions through boto3, as a user sees them."""

from __future__ import annotations

import datetime
import json

import pytest
from botocore.exceptions import ClientError
from sfn_support import ADD_FIELD, PASS, ROLE, create, error_of, unique, wait_done


def test_create_then_describe(sfn):
    name = unique("describe")
    arn = create(sfn, name=name)
    assert arn == f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["name"] == name
    assert described["definition"] == PASS
    assert described["roleArn"] == ROLE
    assert described["type"] == "STANDARD"
    assert described["status"] == "ACTIVE"
    assert isinstance(described["creationDate"], datetime.datetime)
    assert described["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}


def test_create_is_idempotent_for_the_same_definition(sfn):
    name = unique("idem")
    first = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)
    again = sfn.create_state_machine(
        name=name, definition=PASS, roleArn="arn:aws:iam::123456789012:role/other"
    )
    assert again["stateMachineArn"] == first["stateMachineArn"]
    assert again["creationDate"] == first["creationDate"]


def test_create_with_another_definition_is_already_exists(sfn):
    name = unique("dup")
    arn = create(sfn, name=name)
    with pytest.raises(ClientError) as excinfo:
        create(sfn, definition=ADD_FIELD, name=name)
    assert error_of(excinfo) == ("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")


def test_create_with_another_type_is_already_exists(sfn):
    name = unique("dup-type")
    create(sfn, name=name)
    with pytest.raises(ClientError) as excinfo:
        create(sfn, name=name, type="EXPRESS")
    assert error_of(excinfo)[0] == "StateMachineAlreadyExists"


def test_invalid_definition_reports_aws_code_and_location(sfn):
    with pytest.raises(ClientError) as excinfo:
        create(sfn, definition=json.dumps({"StartAt": "Missing", "States": {"P": {"Type": "Pass", "End": True}}}))
    code, message = error_of(excinfo)
    assert code == "InvalidDefinition"
    assert message.startswith("Invalid State Machine Definition: '")


def test_definition_that_is_not_json_is_invalid(sfn):
    with pytest.raises(ClientError) as excinfo:
        create(sfn, definition="{not json")
    assert error_of(excinfo)[0] == "InvalidDefinition"


@pytest.mark.parametrize("name", ["has space", "a/b", "semi;colon", "tab\tname"])  # over 80: tests/fidelity
def test_invalid_names(sfn, name):
    with pytest.raises(ClientError) as excinfo:
        create(sfn, name=name)
    assert error_of(excinfo) == ("InvalidName", f"Invalid Name: '{name}'")


def test_unknown_type_is_a_validation_error(sfn):
    with pytest.raises(ClientError) as excinfo:
        create(sfn, type="BATCH")
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert "'type'" in message


def test_invalid_role_arn(sfn):
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine(name=unique("role"), definition=PASS, roleArn="not-an-arn")
    assert error_of(excinfo) == ("InvalidArn", "Invalid Arn: 'not-an-arn'")


def test_describe_missing_and_malformed(sfn):
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nope-never"
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine(stateMachineArn=missing)
    assert error_of(excinfo) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'")
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine(stateMachineArn="garbage")
    # Recorded against AWS: LocalStack's snapshots (stepfunctions/v2) of DescribeStateMachine,
    # DescribeActivity and others on 'invalid_state_machine_arn', 'not_a_valid_arn'.
    assert error_of(excinfo) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: garbage'")


def test_update_makes_a_new_revision(sfn):
    arn = create(sfn)
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=ADD_FIELD)
    assert updated["revisionId"]
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["definition"] == ADD_FIELD
    assert described["revisionId"] == updated["revisionId"]


def test_update_needs_something_to_change(sfn):
    arn = create(sfn)
    with pytest.raises(ClientError) as excinfo:
        sfn.update_state_machine(stateMachineArn=arn)
    assert error_of(excinfo)[0] == "MissingRequiredParameter"


def test_update_rejects_invalid_definition_and_keeps_the_old_one(sfn):
    arn = create(sfn)
    with pytest.raises(ClientError) as excinfo:
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps({"States": {}}))
    assert error_of(excinfo)[0] == "InvalidDefinition"
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == PASS


def test_update_missing_machine(sfn):
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:gone-gone"
    with pytest.raises(ClientError) as excinfo:
        sfn.update_state_machine(stateMachineArn=missing, definition=PASS)
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"


def test_delete_then_describe_and_delete_again(sfn):
    arn = create(sfn)
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"
    sfn.delete_state_machine(stateMachineArn=arn)  # AWS: deleting an absent machine succeeds


def test_list_pages_through_every_machine_in_name_order(fresh):
    names = sorted(unique(f"list{i}") for i in range(7))
    for name in names:
        create(fresh, name=name)
    first = fresh.list_state_machines(maxResults=3)
    assert [m["name"] for m in first["stateMachines"]] == names[:3]
    assert "nextToken" in first
    second = fresh.list_state_machines(maxResults=3, nextToken=first["nextToken"])
    assert [m["name"] for m in second["stateMachines"]] == names[3:6]
    third = fresh.list_state_machines(maxResults=3, nextToken=second["nextToken"])
    assert [m["name"] for m in third["stateMachines"]] == names[6:]
    assert "nextToken" not in third
    item = third["stateMachines"][0]
    assert set(item) == {"stateMachineArn", "name", "type", "creationDate"}


def test_list_with_the_paginator(fresh):
    for i in range(5):
        create(fresh, name=f"pg-{i}")
    pages = list(fresh.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["stateMachines"]) for p in pages] == [2, 2, 1]


def test_list_rejects_a_forged_token_and_too_large_pages(sfn):
    """A forged token: AWS's words recorded in LocalStack's snapshots (aliasing, pagination)."""
    with pytest.raises(ClientError) as excinfo:
        sfn.list_state_machines(nextToken="forged")
    assert error_of(excinfo) == ("InvalidToken", "Invalid Token: 'Invalid token'")
    with pytest.raises(ClientError) as excinfo:
        sfn.list_state_machines(maxResults=1001)
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert "maxResults" in message


def test_a_token_cannot_be_used_with_other_arguments(fresh):
    for i in range(3):
        create(fresh, name=f"tok-{i}")
    page = fresh.list_state_machines(maxResults=1)
    with pytest.raises(ClientError) as excinfo:
        fresh.list_executions(stateMachineArn=page["stateMachines"][0]["stateMachineArn"],
                              nextToken=page["nextToken"])
    assert error_of(excinfo)[0] == "InvalidToken"


def test_variable_references_name_what_each_state_reads(sfn):
    """API_DescribeStateMachine variableReferences: "A map of state name to a list of variables
    referenced by that state. States that do not use variable references will not be shown".
    What counts follows AWS's recorded answers (LocalStack's test_sfn_api_variable_references
    snapshots): paths and `.$` fields that start with `$name`, intrinsic arguments, Choice rules,
    nested states under their own names, JSONata `$name` but `$states` and functions; a plain
    string "$bucket" (no `.$`) and `$.field` paths are no reference."""
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"n": 1, "who": "x", "items": [1], "limit": 2, "bucket": "b"},
                "Parameters": {"plain": "$bucket", "field.$": "$.field"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$n", "NumericEqualsPath": "$limit", "Next": "Fan"}],
                  "Default": "Fan"},
        "Fan": {"Type": "Map", "ItemsPath": "$items", "MaxConcurrencyPath": "$limit",
                "ItemSelector": {"greeting.$": "States.Format('hi {} {}', $who, $$.Map.Item.Value)"},
                "ItemProcessor": {"StartAt": "Inner", "States": {
                    "Inner": {"Type": "Pass", "Parameters": {"w.$": "$who"}, "End": True}}},
                "Next": "Later"},
        "Later": {"Type": "Pass", "QueryLanguage": "JSONata",
                  "Output": "{% $count($states.input) + $n + ($local := 2; $local) %}", "End": True}}}
    arn = create(sfn, json.dumps(definition))
    expected = {"Check": ["limit", "n"], "Fan": ["items", "limit", "who"], "Inner": ["who"], "Later": ["n"]}
    assert sfn.describe_state_machine(stateMachineArn=arn)["variableReferences"] == expected
    execution = sfn.start_execution(stateMachineArn=arn, input='{"field": 1}')["executionArn"]
    wait_done(sfn, execution)
    assert sfn.describe_state_machine_for_execution(executionArn=execution)["variableReferences"] == expected
    assert "variableReferences" not in sfn.describe_state_machine(stateMachineArn=create(sfn))
