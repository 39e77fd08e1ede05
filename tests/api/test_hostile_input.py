"""Bad input is a 4xx in AWS's error shape at every entry point, never a 500 (issue 13, item 5).

AWS's wire contract: a body that is not JSON is `SerializationException`; execution input that is
not JSON is `InvalidExecutionInput` and task output `InvalidOutput`
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#API_StartExecution_Errors,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html#API_SendTaskSuccess_Errors).
Python's json module accepts NaN, Infinity, 1e400 (as inf) and unpaired surrogates, which are
not JSON as AWS's parser reads it (RFC 8259 has no NaN; an unpaired surrogate is not Unicode).
"""

from __future__ import annotations

import json

import httpx
import pytest
from botocore.exceptions import ClientError
from sfn_support import PASS, create, unique, wait_done

from asl_engine.api.errors import ApiError, encode_json

AWS_HEADERS = {"Content-Type": "application/x-amz-json-1.0"}
REST_JSON = {"Content-Type": "application/json"}
NOT_JSON_INPUTS = ['{"a": NaN}', "[Infinity]", '{"a": -Infinity}', '{"a": 1e400}', '"\\ud800"', '{"\\udfff": 1}']


def call(server, action: str, content: bytes) -> httpx.Response:
    return httpx.post(server.url + "/", content=content,
                      headers={**AWS_HEADERS, "X-Amz-Target": f"AWSStepFunctions.{action}"})


def error_of(response: httpx.Response) -> str:
    assert 400 <= response.status_code < 500, response.text
    return str(response.json()["__type"])


@pytest.mark.parametrize("text", NOT_JSON_INPUTS)
def test_execution_input_that_is_not_json_is_invalid_execution_input(sfn, text):
    arn = create(sfn)
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(stateMachineArn=arn, input=text)
    assert caught.value.response["Error"]["Code"] == "InvalidExecutionInput"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_surrogate_pair_is_ordinary_text(sfn):
    arn = create(sfn)
    started = sfn.start_execution(stateMachineArn=arn, input='{"smile": "\\ud83d\\ude00"}')
    assert sfn.describe_execution(executionArn=started["executionArn"])["input"] == '{"smile": "\\ud83d\\ude00"}'


def test_task_output_that_is_not_json_is_invalid_output(sfn):
    activity = sfn.create_activity(name=unique("hostile"))["activityArn"]
    machine = create(sfn, json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": activity,
                                                                      "End": True}}}))
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    token = sfn.get_activity_task(activityArn=activity)["taskToken"]
    for text in NOT_JSON_INPUTS:
        with pytest.raises(ClientError) as caught:
            sfn.send_task_success(taskToken=token, output=text)
        assert caught.value.response["Error"]["Code"] == "InvalidOutput", text
    sfn.send_task_success(taskToken=token, output='{"ok": true}')
    assert json.loads(wait_done(sfn, execution)["output"]) == {"ok": True}


@pytest.mark.parametrize("text", NOT_JSON_INPUTS)
def test_test_state_input_that_is_not_json_is_invalid_execution_input(sfn, text):
    definition = json.dumps({"Type": "Pass", "End": True})
    with pytest.raises(ClientError) as caught:
        sfn.test_state(definition=definition, roleArn="arn:aws:iam::123456789012:role/r", input=text)
    assert caught.value.response["Error"]["Code"] == "InvalidExecutionInput"


def test_an_unpaired_surrogate_in_a_request_member_is_a_validation_error(sfn):
    # botocore escapes it as \ud800 in the body: valid JSON, but not Unicode text.
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(stateMachineArn=create(sfn), name="bad\ud800name")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as caught:
        sfn.tag_resource(resourceArn=create(sfn), tags=[{"key": "k", "value": "\udc00"}])
    assert caught.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("body", [
    b"\xff\xfe{}",  # not UTF-8
    b'{"maxResults": NaN}',
    b'{"maxResults": 1e400}',
    b"[" * 100_000 + b"]" * 100_000,  # was a RecursionError, answered 500
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    b"[" * 100_000,
])
def test_undecodable_or_too_deep_bodies_are_serialization_errors(server, body):
    assert error_of(call(server, "ListStateMachines", body)) == "SerializationException"


def test_deep_execution_input_is_invalid_execution_input(sfn):
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(stateMachineArn=create(sfn), input="[" * 5_000 + "]" * 5_000)
    assert caught.value.response["Error"]["Code"] == "InvalidExecutionInput"
    nested = "[" * 500 + "]" * 500  # inside the bound: runs like any other input
    started = sfn.start_execution(stateMachineArn=create(sfn), input=nested)
    assert sfn.describe_execution(executionArn=started["executionArn"])["input"] == nested


def test_rest_refuses_writes_that_are_not_json(server):
    """A page in a browser may POST text/plain or a form cross-site without a CORS preflight:
    the REST API takes only a JSON Content-Type, so no such page can start an execution."""
    name = unique("rest-ct")
    base = f"{server.url}/state-machines/{name}"
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}):
        refused = httpx.put(base, content=PASS, headers=headers)
        assert refused.status_code == 415 and refused.json()["__type"] == "UnsupportedMediaTypeException"
    assert httpx.put(base, content=PASS, headers={"Content-Type": "application/json; charset=utf-8"}).status_code == 201
    refused = httpx.post(f"{base}/executions", content="{}", headers={"Content-Type": "text/plain"})
    assert refused.status_code == 415
    assert "access-control-allow-origin" not in refused.headers
    bad = httpx.post(f"{base}/executions", content=b"\xff", headers=REST_JSON)
    assert bad.status_code == 400 and bad.json()["__type"] == "SerializationException"
    nan = httpx.post(f"{base}/executions", content='{"a": NaN}', headers=REST_JSON)
    assert nan.status_code == 400 and nan.json()["__type"] == "InvalidExecutionInput"


def test_no_cors_allowance_is_sent(server):
    """No Access-Control-Allow-* header: a browser keeps other origins' pages from reading answers."""
    preflight = httpx.options(server.url + "/", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-amz-target,content-type",
    })
    assert not [key for key in preflight.headers if key.lower().startswith("access-control-")]
    answer = call(server, "ListStateMachines", b"{}")
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


def test_an_error_body_quoting_an_unpaired_surrogate_still_encodes():
    """A message may quote what the client sent; a surrogate has no UTF-8 form, so the body falls
    back to JSON's \\u escapes (was: the error response itself failed, a 500)."""
    body = encode_json(ApiError("ValidationException", "Value 'a\ud800' at 'name' failed").body())
    assert json.loads(body)["message"] == "Value 'a\ud800' at 'name' failed"
    assert encode_json({"message": "café"}) == '{"message":"café"}'.encode()  # UTF-8 otherwise, as AWS sends


@pytest.mark.parametrize("result", ["NaN", "1e400", '"\\ud800"', "[" * 600 + "]" * 600])
def test_a_definition_that_is_not_json_is_an_invalid_definition(sfn, result):
    """Was: 1e400 ran and wrote `Infinity` (not JSON) as output; an unpaired surrogate failed the
    execution at its first write."""
    definition = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": %s, "End": true}}}' % result
    with pytest.raises(ClientError) as caught:
        sfn.create_state_machine(name=unique("nan"), definition=definition, roleArn="arn:aws:iam::123456789012:role/r")
    assert caught.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "INVALID_JSON_DESCRIPTION" in caught.value.response["Error"]["Message"]


def test_a_hostile_yaml_definition_is_refused_quickly(server):
    """The REST upload takes YAML: nested aliases ("billion laughs") would expand to billions of
    values, deep nesting overflowed the parser's recursion (was a 500)."""
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi"))
    for body in (laughs, "[" * 5000, "StartAt: P\nStates: " + "{P: " * 3000):
        refused = httpx.put(f"{server.url}/state-machines/{unique('yaml')}", content=body,
                            headers={"Content-Type": "application/yaml"}, timeout=10)
        assert refused.status_code == 400 and refused.json()["__type"] == "InvalidDefinition", refused.text


def test_a_body_too_large_for_any_member_is_refused_as_it_arrives(server):
    """Nothing AWS accepts needs 8 MiB (the largest member, a definition, is 1,048,576 characters)."""
    def chunks():
        for _ in range(9):
            yield b" " * (1024 * 1024)

    refused = httpx.post(server.url + "/", content=chunks(), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListActivities"})
    assert refused.status_code == 413 and refused.json()["__type"] == "RequestEntityTooLargeException"


def test_a_body_too_large_with_its_length_announced_is_refused_too(server):
    """api/guard.py counts only bodies whose Content-Length does not already bound them; one that
    announces more than the limit is counted, and refused, like a chunked one."""
    refused = httpx.post(server.url + "/", content=b" " * (9 * 1024 * 1024), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListActivities"})
    assert refused.status_code == 413 and refused.json()["__type"] == "RequestEntityTooLargeException"


@pytest.mark.parametrize("action", ["validate", "create"])
def test_a_definition_past_its_length_constraint_is_refused_before_it_is_read(sfn, action):
    """API_ValidateStateMachineDefinition and API_CreateStateMachine: `definition` has "Maximum
    length of 1048576"; a longer one is a ValidationException, not a validation run over it
    (5 MB of text held the server's loop for 140 ms)."""
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}, "Comment": "x" * 1_048_576})
    with pytest.raises(ClientError) as refused:
        if action == "validate":
            sfn.validate_state_machine_definition(definition=definition)
        else:
            sfn.create_state_machine(name=unique("long"), definition=definition,
                                     roleArn="arn:aws:iam::123456789012:role/r")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must have length less than or equal to 1048576" in refused.value.response["Error"]["Message"]
