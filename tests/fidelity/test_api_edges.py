"""Item 7 of issue 15: API edge behaviour as AWS answers it, through boto3 and the real server.

Sources, per test: the API reference pages (https://docs.aws.amazon.com/step-functions/latest/apireference/)
for the model constraints (a model constraint is a ValidationException worded "1 validation error
detected: Value '...' at 'name' failed to satisfy constraint: ...", checked before the service's own
rules), moto's AWS-verified tests (tests/test_stepfunctions/test_stepfunctions_versions.py::
test_create_state_machine_with_version_description) and LocalStack's AWS-validated alias snapshots.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError
from sfn_support import PASS, create, error_of, unique

from asl_engine.arns import partition


def test_send_task_success_checks_the_token_before_the_output(sfn: Any) -> None:
    """API_SendTaskSuccess.html: InvalidToken and InvalidOutput are both possible; AWS reads the
    token first, so a bad token with bad output is InvalidToken."""
    with pytest.raises(ClientError) as excinfo:
        sfn.send_task_success(taskToken="not-a-token", output="{not json")
    assert error_of(excinfo)[0] == "InvalidToken"


def test_a_name_over_80_characters_is_a_validation_exception(sfn: Any) -> None:
    """API_CreateStateMachine.html, API_StartExecution.html, API_CreateActivity.html: name,
    "Length Constraints: Minimum length of 1. Maximum length of 80."; moto's
    test_state_machine_name_limits and test_state_machine_execution_name_limits."""
    long_name = "t" * 81
    expected = ("ValidationException", f"1 validation error detected: Value '{long_name}' at 'name' "
                                        "failed to satisfy constraint: Member must have length less than or equal to 80")
    with pytest.raises(ClientError) as excinfo:
        create(sfn, name=long_name)
    assert error_of(excinfo) == expected
    machine = create(sfn)
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=machine, name=long_name)
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError) as excinfo:
        sfn.create_activity(name=long_name)
    assert error_of(excinfo) == expected


def test_an_80_character_name_is_fine_and_characters_stay_invalid_name(sfn: Any) -> None:
    create(sfn, name="a" * 70 + unique("")[:10].replace("-", "b"))
    with pytest.raises(ClientError) as excinfo:
        create(sfn, name="has space")
    assert error_of(excinfo) == ("InvalidName", "Invalid Name: 'has space'")


def test_an_alias_name_gets_the_length_message_before_the_pattern_one(sfn: Any) -> None:
    """API_CreateStateMachineAlias.html: name, length 1-80, then the pattern."""
    published = sfn.create_state_machine(name=unique("aliased"), definition=PASS,
                                         roleArn="arn:aws:iam::123456789012:role/r", publish=True)
    routing = [{"stateMachineVersionArn": published["stateMachineVersionArn"], "weight": 100}]
    name = "!" * 81
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name=name, routingConfiguration=routing)
    assert error_of(excinfo) == ("ValidationException", f"1 validation error detected: Value '{name}' at 'name' "
                                 "failed to satisfy constraint: Member must have length less than or equal to 80")
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name="!", routingConfiguration=routing)
    assert "Member must satisfy regular expression pattern" in error_of(excinfo)[1]


def test_alias_weights_must_equal_100(sfn: Any) -> None:
    """API_RoutingConfigurationListItem.html ("The sum of the weights in the routing configuration
    must be equal to 100"); the error reads as LocalStack's AWS-validated snapshot records it."""
    first = sfn.create_state_machine(name=unique("weights"), definition=PASS,
                                     roleArn="arn:aws:iam::123456789012:role/r", publish=True)
    second = sfn.update_state_machine(stateMachineArn=first["stateMachineArn"], publish=True,
                                      definition=PASS.replace('"P"', '"Q"'))
    routing = [{"stateMachineVersionArn": first["stateMachineVersionArn"], "weight": 60},
               {"stateMachineVersionArn": second["stateMachineVersionArn"], "weight": 30}]
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name="live", routingConfiguration=routing)
    assert error_of(excinfo) == ("ValidationException",
                                 "Sum of routing configuration weights must equal 100. Received: [60, 30]")


def test_publish_with_a_new_description_on_an_unchanged_definition_publishes_a_version(sfn: Any) -> None:
    """moto's AWS-verified test_create_state_machine_with_version_description: UpdateStateMachine
    with the same definition, publish=true and a new versionDescription gives a version with it."""
    created = sfn.create_state_machine(name=unique("described"), definition=PASS, publish=True,
                                       roleArn="arn:aws:iam::123456789012:role/r", versionDescription="first version")
    updated = sfn.update_state_machine(stateMachineArn=created["stateMachineArn"], definition=PASS,
                                       versionDescription="second version", publish=True)
    assert updated["stateMachineVersionArn"] != created["stateMachineVersionArn"]
    assert sfn.describe_state_machine(stateMachineArn=updated["stateMachineVersionArn"])["description"] == \
        "second version"
    assert sfn.describe_state_machine(stateMachineArn=created["stateMachineVersionArn"])["description"] == \
        "first version"
    assert "description" not in sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])
    again = sfn.update_state_machine(stateMachineArn=created["stateMachineArn"], definition=PASS, publish=True)
    assert again["stateMachineVersionArn"] == updated["stateMachineVersionArn"]  # nothing new: idempotent


@pytest.mark.parametrize("region, expected", [
    ("us-east-1", "aws"), ("eu-west-3", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
])
def test_partitions(region: str, expected: str) -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: the partition."""
    assert partition(region) == expected


@pytest.mark.parametrize("region, prefix", [("cn-north-1", "arn:aws-cn:"), ("us-gov-west-1", "arn:aws-us-gov:"),
                                            ("us-isob-east-1", "arn:aws-iso-b:")])
def test_arns_use_the_region_partition(make_client: Callable[..., Any], region: str, prefix: str) -> None:
    client = make_client(region)
    machine = create(client, definition=PASS)
    assert machine.startswith(f"{prefix}states:{region}:123456789012:stateMachine:")
    execution = client.start_execution(stateMachineArn=machine)["executionArn"]
    assert execution.startswith(f"{prefix}states:{region}:")
    assert client.describe_state_machine(stateMachineArn=machine)["name"] == machine.rsplit(":", 1)[1]
    activity = client.create_activity(name=unique("act"))["activityArn"]
    assert activity.startswith(f"{prefix}states:{region}:")
    assert json.loads(client.describe_execution(executionArn=execution)["input"]) == {}
