"""Every request checked against AWS's model of the API before an action reads it (api/model_check.py).

The model is botocore's `stepfunctions` service model, the one every AWS SDK is generated from:
member types and length/value bounds ("Length Constraints: Maximum length of 256" on each
member of https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
and the other action pages). AWS's wording for a failed bound is recorded in LocalStack's AWS
snapshots (tests/aws/services/stepfunctions/v2, e.g. "Value '<invalid_token_1025_chars>' at
'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024").
The bodies below were a 500 or were accepted before this check.
"""

from __future__ import annotations

import json

import httpx
import pytest
from sfn_support import PASS, ROLE, create, unique

HEADERS = {"Content-Type": "application/x-amz-json-1.0"}
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:model-check"
MAP_RUN = "arn:aws:states:us-east-1:123456789012:mapRun:model-check/Map:0f7f5ea4-4d0f-3cbf-a4b2-2c1b0f6a5f6e"


def call(server, action: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + "/", content=json.dumps(body).encode(),
                      headers={**HEADERS, "X-Amz-Target": f"AWSStepFunctions.{action}"})


def refused(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 400, response.text
    return response.json()["__type"], response.json()["message"]


@pytest.mark.parametrize("action, body, member", [
    ("UntagResource", {"resourceArn": MACHINE, "tagKeys": [[]]}, "tagKeys.1.member"),
    ("UntagResource", {"resourceArn": MACHINE, "tagKeys": [{}]}, "tagKeys.1.member"),
    ("TestState", {"definition": '{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}',
                   "roleArn": ROLE, "mock": {"result": 123}}, "mock.result"),
    ("TestState", {"definition": '{"Type": "Pass", "End": true}', "revealSecrets": "yes"}, "revealSecrets"),
    ("CreateStateMachine", {"name": "m", "definition": PASS, "roleArn": ROLE,
                            "tracingConfiguration": {"enabled": "yes"}}, "tracingConfiguration.enabled"),
    ("StartExecution", {"stateMachineArn": MACHINE, "traceHeader": 123}, "traceHeader"),
    ("ListExecutions", {"stateMachineArn": MACHINE, "maxResults": True}, "maxResults"),
])
def test_a_member_of_the_wrong_type_is_a_serialization_error(server, action, body, member):
    assert refused(call(server, action, body)) == ("SerializationException", f"Unexpected value type for '{member}'")


@pytest.mark.parametrize("member, number, kind", [
    ("maxConcurrency", 2 ** 31, "int"), ("maxConcurrency", 10 ** 30, "int"),
    ("toleratedFailureCount", 2 ** 63, "long"),
])
def test_a_number_beyond_its_integer_type_is_a_serialization_error(server, member, number, kind):
    """UpdateMapRun's maxConcurrency is an `integer` (32 bits) and toleratedFailureCount a `long`
    in the model, with no upper bound: 2**63 went to the database and came back a 500."""
    assert refused(call(server, "UpdateMapRun", {"mapRunArn": MAP_RUN, member: number})) == (
        "SerializationException", f"Numeric value ({number}) out of range of {kind} for '{member}'")


@pytest.mark.parametrize("action, body, message", [
    ("StartExecution", {"stateMachineArn": MACHINE, "traceHeader": "t" * 257},
     f"Value '{'t' * 257}' at 'traceHeader' failed to satisfy constraint: Member must have length less than or equal to 256"),
    ("TagResource", {"resourceArn": MACHINE, "tags": [{"key": "k" * 129, "value": "v"}]},
     f"Value '{'k' * 129}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"),
    ("TagResource", {"resourceArn": MACHINE, "tags": [{"key": "a", "value": "v"}, {"key": "", "value": "v"}]},
     "Value '' at 'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ("TagResource", {"resourceArn": MACHINE, "tags": [{"key": "k", "value": "v" * 257}]},
     f"Value '{'v' * 257}' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"),
    ("UntagResource", {"resourceArn": MACHINE, "tagKeys": ["k" * 129]},
     f"Value '{'k' * 129}' at 'tagKeys.1.member' failed to satisfy constraint: Member must have length less than or equal to 128"),
    ("ListStateMachines", {"nextToken": "x" * 1025},
     f"Value '{'x' * 1025}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024"),
    ("ListExecutions", {"stateMachineArn": MACHINE, "nextToken": "x" * 3097},
     f"Value '{'x' * 3097}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 3096"),
    ("ValidateStateMachineDefinition", {"definition": PASS, "maxResults": 101},
     "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"),
    ("ValidateStateMachineDefinition", {"definition": ""},  # sensitive: its value is not repeated
     "Value at 'definition' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ("UpdateMapRun", {"mapRunArn": MAP_RUN, "toleratedFailurePercentage": 100.5},
     "Value '100.5' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100"),
    ("TestState", {"definition": '{"Type": "Pass", "End": true}', "stateConfiguration": {"retrierRetryCount": -1}},
     "Value '-1' at 'stateConfiguration.retrierRetryCount' failed to satisfy constraint: Member must have value greater than or equal to 0"),
])
def test_a_member_beyond_its_bounds_is_a_validation_error(server, action, body, message):
    assert refused(call(server, action, body)) == ("ValidationException", f"1 validation error detected: {message}")


def test_stop_execution_error_and_cause_are_bounded_and_not_repeated(server, sfn):
    """StopExecution's `error` (max 256) and `cause` (max 32768) were stored at any length; both
    are sensitive in the model, so AWS's message leaves the value out."""
    activity = sfn.create_activity(name=unique("model-check"))["activityArn"]
    machine = create(sfn, json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity, "End": True}}}))
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    for member, size in (("error", 257), ("cause", 32_769)):
        assert refused(call(server, "StopExecution", {"executionArn": execution, member: "e" * size})) == (
            "ValidationException", f"1 validation error detected: Value at '{member}' failed to satisfy "
            f"constraint: Member must have length less than or equal to {size - 1}")
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    sfn.stop_execution(executionArn=execution, error="e" * 256, cause="c" * 32_768)
    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"], len(described["cause"])) == ("ABORTED", "e" * 256, 32_768)


def test_lengths_count_utf16_code_units_as_aws_does(server, sfn):
    """An emoji is one Python character and two UTF-16 code units (Java's String.length, which
    AWS's bounds count): a tag value of 129 emoji is 258 units, past its 256; 128 are exactly 256."""
    arn = create(sfn)
    response = call(server, "TagResource", {"resourceArn": arn, "tags": [{"key": "k", "value": "\U0001F600" * 129}]})
    assert refused(response)[1].endswith("at 'tags.1.member.value' failed to satisfy constraint: "
                                         "Member must have length less than or equal to 256")
    assert call(server, "TagResource", {"resourceArn": arn, "tags": [{"key": "k", "value": "\U0001F600" * 128}]}
                ).status_code == 200


def test_members_the_model_does_not_know_are_ignored_and_null_is_absent(server, sfn):
    name = unique("model-check")
    created = call(server, "CreateStateMachine", {"name": name, "definition": PASS, "roleArn": ROLE,
                                                  "notInTheModel": [1, 2], "tags": None})
    assert created.status_code == 200, created.text
    assert sfn.describe_state_machine(stateMachineArn=created.json()["stateMachineArn"])["name"] == name


@pytest.mark.parametrize("action, body, message", [
    ("DescribeStateMachine", {"stateMachineArn": MACHINE, "includedData": "BOGUS"},
     "Value 'BOGUS' at 'includedData' failed to satisfy constraint: Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]"),
    ("ValidateStateMachineDefinition", {"definition": PASS, "severity": "BOGUS"},
     "Value 'BOGUS' at 'severity' failed to satisfy constraint: Member must satisfy enum value set: [ERROR, WARNING]"),
    ("StartExecution", {"stateMachineArn": MACHINE, "traceHeader": "Root=é"},
     "Value 'Root=é' at 'traceHeader' failed to satisfy constraint: Member must satisfy regular expression pattern: \\p{ASCII}*"),
])
def test_enumerations_and_patterns_the_actions_check(server, action, body, message):
    """The model's enumerations and patterns (https://docs.aws.amazon.com/step-functions/latest/
    apireference/API_DescribeStateMachine.html#API_DescribeStateMachine_RequestSyntax and the
    other action pages); each was accepted and ignored before."""
    assert refused(call(server, action, body)) == ("ValidationException", f"1 validation error detected: {message}")


def test_a_status_filter_lists_its_values_in_aws_order(server, sfn):
    """Recorded against AWS (LocalStack's snapshot of ListExecutions with statusFilter 'succeeded')."""
    assert refused(call(server, "ListExecutions", {"stateMachineArn": create(sfn), "statusFilter": "succeeded"})) == (
        "ValidationException", "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy "
        "constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")


def test_metadata_only_leaves_out_what_a_customer_managed_key_encrypts(server, sfn):
    """API_DescribeStateMachine: "you can call the API with includedData = METADATA_ONLY to get a
    successful response without the encrypted definition"; API_DescribeExecution likewise for the
    input and output (inputDetails / outputDetails: "included": false). Without a customer managed
    key, nothing is encrypted and everything is returned."""
    key = "arn:aws:kms:us-east-1:123456789012:key/0f7f5ea4-4d0f-3cbf-a4b2-2c1b0f6a5f6e"
    encrypted = sfn.create_state_machine(
        name=unique("kms"), definition=PASS, roleArn=ROLE,
        encryptionConfiguration={"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": key})["stateMachineArn"]
    plain = create(sfn)
    for arn, hidden in ((encrypted, True), (plain, False)):
        described = sfn.describe_state_machine(stateMachineArn=arn, includedData="METADATA_ONLY")
        assert ("definition" in described) is not hidden
        assert "definition" in sfn.describe_state_machine(stateMachineArn=arn, includedData="ALL_DATA")
        execution = sfn.start_execution(stateMachineArn=arn, input='{"secret": 1}')["executionArn"]
        for _ in range(200):
            metadata = sfn.describe_execution(executionArn=execution, includedData="METADATA_ONLY")
            if metadata["status"] != "RUNNING":
                break
        assert metadata["status"] == "SUCCEEDED"
        if hidden:
            assert "input" not in metadata and "output" not in metadata
            assert metadata["inputDetails"] == metadata["outputDetails"] == {"included": False}
        else:
            assert metadata["input"] == '{"secret": 1}' and metadata["inputDetails"] == {"included": True}
        assert sfn.describe_execution(executionArn=execution)["input"] == '{"secret": 1}'
        for_execution = sfn.describe_state_machine_for_execution(executionArn=execution, includedData="METADATA_ONLY")
        assert ("definition" in for_execution) is not hidden
