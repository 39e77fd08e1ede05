"""Tags, ValidateStateMachineDefinition, and account/region isolation."""

from __future__ import annotations

import json

import httpx
import pytest
from botocore.exceptions import ClientError
from sfn_support import PASS, create, error_of, unique


def test_tag_untag_list(sfn):
    arn = create(sfn, tags=[{"key": "team", "value": "core"}])
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}, {"key": "team", "value": "ops"}])
    tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "ops", "env": "dev"}
    sfn.untag_resource(resourceArn=arn, tagKeys=["team", "absent"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]


def test_tags_on_a_missing_resource(sfn):
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:untaggable"
    with pytest.raises(ClientError) as excinfo:
        sfn.list_tags_for_resource(resourceArn=missing)
    assert error_of(excinfo) == ("ResourceNotFound", f"Resource not found: '{missing}'")
    with pytest.raises(ClientError) as excinfo:
        sfn.tag_resource(resourceArn="nope", tags=[{"key": "a", "value": "b"}])
    assert error_of(excinfo)[0] == "InvalidArn"


def test_malformed_tags_are_a_serialization_error(sfn, server):
    """A string where AWS's model has a Tag structure: AWS's JSON reader refuses the body
    (api/model_check.py), as it refuses any member of the wrong JSON type."""
    response = httpx.post(server.url, json={"resourceArn": create(sfn), "tags": ["not-a-tag"]},
                          headers={"X-Amz-Target": "AWSStepFunctions.TagResource"})
    assert response.status_code == 400
    assert response.json() == {"__type": "SerializationException", "message": "Unexpected value type for 'tags.1.member'"}


def test_at_most_50_tags(sfn):
    arn = create(sfn)
    with pytest.raises(ClientError) as excinfo:
        sfn.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(51)])
    assert error_of(excinfo)[0] == "TooManyTags"


def test_validate_ok_and_fail(sfn):
    assert sfn.validate_state_machine_definition(definition=PASS)["result"] == "OK"
    broken = json.dumps({"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "End": True}}})
    response = sfn.validate_state_machine_definition(definition=broken)
    assert response["result"] == "FAIL"
    assert response["truncated"] is False
    diagnostic = response["diagnostics"][0]
    assert diagnostic["severity"] == "ERROR"
    assert diagnostic["code"] and diagnostic["message"] and diagnostic["location"].startswith("/")


def test_validate_truncates_to_max_results(sfn):
    many = json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "X1"}, "B": {"Type": "Pass", "Next": "X2"},
        "C": {"Type": "Pass", "Next": "X3"}}})
    response = sfn.validate_state_machine_definition(definition=many, maxResults=1)
    assert len(response["diagnostics"]) == 1
    assert response["truncated"] is True


def test_regions_do_not_see_each_other(make_client):
    east, west = make_client("us-east-1"), make_client("eu-west-1")
    name = unique("regional")
    east_arn = create(east, name=name)
    west_arn = create(west, name=name)  # same name, another region: another machine
    assert west_arn == east_arn.replace("us-east-1", "eu-west-1")
    with pytest.raises(ClientError) as excinfo:
        west.describe_state_machine(stateMachineArn=east_arn)
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"
    west_names = {m["name"] for m in west.get_paginator("list_state_machines").paginate()
                  .build_full_result()["stateMachines"]}
    assert name in west_names
    assert all(arn.split(":")[3] == "eu-west-1" for arn in
               (m["stateMachineArn"] for m in west.list_state_machines()["stateMachines"]))
    west.delete_state_machine(stateMachineArn=east_arn)  # not west's to delete: nothing happens
    assert east.describe_state_machine(stateMachineArn=east_arn)["name"] == name
    with pytest.raises(ClientError) as excinfo:
        west.start_execution(stateMachineArn=east_arn)
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"
    execution = east.start_execution(stateMachineArn=east_arn)["executionArn"]
    with pytest.raises(ClientError) as excinfo:
        west.describe_execution(executionArn=execution)
    assert error_of(excinfo)[0] == "ExecutionDoesNotExist"


def test_a_twelve_digit_access_key_selects_the_account(make_client):
    client = make_client("us-east-1", access_key="000000000042")
    arn = create(client)
    assert arn.split(":")[4] == "000000000042"
    with pytest.raises(ClientError):
        make_client("us-east-1").describe_state_machine(stateMachineArn=arn)
