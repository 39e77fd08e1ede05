"""The REST API: upload a definition, run it, read the result and history."""

from __future__ import annotations

import json

import httpx
from sfn_support import ADD_FIELD, PASS, ROLE, unique, wait_done

JSON = {"Content-Type": "application/json"}


def test_upload_run_and_inspect(server):
    base = f"{server.url}/state-machines/{unique('rest')}"
    created = httpx.put(base, content=PASS, headers=JSON)
    assert created.status_code == 201
    assert created.json()["definition"] == PASS
    assert httpx.put(base, content=PASS, headers=JSON).status_code == 200  # unchanged
    updated = httpx.put(base, content=ADD_FIELD, headers=JSON)
    assert updated.status_code == 200 and updated.json()["revisionId"]
    assert httpx.get(base).json()["definition"] == ADD_FIELD

    started = httpx.post(f"{base}/executions", params={"name": "r1"}, content='{"n": 1}', headers=JSON)
    assert started.status_code == 201
    arn = started.json()["executionArn"]
    assert arn.endswith(":r1")
    for _ in range(200):
        execution = httpx.get(f"{server.url}/executions/{arn}").json()
        if execution["status"] != "RUNNING":
            break
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"n": 1, "step": "done"}
    history = httpx.get(f"{server.url}/executions/{arn}/history").json()["events"]
    assert history[0]["type"] == "ExecutionStarted" and history[-1]["type"] == "ExecutionSucceeded"

    assert httpx.delete(base).status_code == 204
    missing = httpx.get(base)
    assert missing.status_code == 404
    assert missing.json()["__type"] == "StateMachineDoesNotExist"


def test_rest_errors_have_the_aws_shape(server):
    bad = httpx.put(f"{server.url}/state-machines/{unique('bad')}", content='{"States": {}}', headers=JSON)
    assert bad.status_code == 400
    assert bad.json()["__type"] == "InvalidDefinition"
    name = unique("dup")
    httpx.put(f"{server.url}/state-machines/{name}", content=PASS, headers=JSON)
    started = httpx.post(f"{server.url}/state-machines/{name}/executions", params={"name": "x"}, headers=JSON)
    assert started.status_code == 201
    again = httpx.post(f"{server.url}/state-machines/{name}/executions", params={"name": "x"}, content='{"a":1}',
                       headers=JSON)
    assert again.status_code == 409
    assert again.json()["__type"] == "ExecutionAlreadyExists"
    unknown = httpx.get(f"{server.url}/executions/arn:aws:states:us-east-1:123456789012:execution:a:b")
    assert unknown.status_code == 404


def test_openapi_documents_the_rest_routes(server):
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert "/state-machines/{name}" in paths and "/executions/{arn}/history" in paths
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_unknown_paths_methods_and_parameters_answer_in_the_aws_error_shape(server):
    """README "REST API": errors have the AWS protocol's body, `{"__type", "message"}`; the status
    codes stay HTTP's (404 no such path, 405 no such method, 422 a parameter of the wrong type)."""
    missing = httpx.get(f"{server.url}/nope")
    assert missing.status_code == 404
    assert missing.json() == {"__type": "UnknownOperationException", "message": "No resource at /nope"}
    name = unique("verbs")
    assert httpx.put(f"{server.url}/state-machines/{name}", content=PASS, headers=JSON).status_code == 201
    patched = httpx.patch(f"{server.url}/state-machines/{name}", content=PASS, headers=JSON)
    assert patched.status_code == 405
    assert patched.json()["__type"] == "UnknownOperationException" and "PATCH" in patched.json()["message"]
    assert "PUT" in patched.headers["allow"]  # Starlette names the first matching route's methods
    started = httpx.post(f"{server.url}/state-machines/{name}/executions", headers=JSON)
    arn = started.json()["executionArn"]
    wrong = httpx.get(f"{server.url}/executions/{arn}/history", params={"reverseOrder": "maybe"})
    assert wrong.status_code == 422
    assert wrong.json()["__type"] == "ValidationException"
    assert wrong.json()["message"].startswith("1 validation error detected: Value 'maybe' at 'reverseOrder'")


def test_a_distributed_map_child_execution_is_reachable(server, sfn):
    """A Distributed Map's child executions have a '/' in their ARN (…:execution:<machine>/<label>:<id>,
    https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html); the REST
    API answers for them as DescribeExecution does, with the '/' as it is or as %2F."""
    machine = sfn.create_state_machine(name=unique("restdm"), roleArn=ROLE, definition=json.dumps({
        "StartAt": "Fan", "States": {"Fan": {"Type": "Map", "Label": "lbl", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}}}}}))["stateMachineArn"]
    parent = sfn.start_execution(stateMachineArn=machine, input="[7]")["executionArn"]
    assert wait_done(sfn, parent)["status"] == "SUCCEEDED"
    run = sfn.list_map_runs(executionArn=parent)["mapRuns"][0]["mapRunArn"]
    child = sfn.list_executions(mapRunArn=run)["executions"][0]["executionArn"]
    assert "/lbl:" in child
    described = sfn.describe_execution(executionArn=child)
    for arn in (child, child.replace("/", "%2F")):
        answer = httpx.get(f"{server.url}/executions/{arn}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["executionArn"] == child and answer.json()["status"] == described["status"]
        events = httpx.get(f"{server.url}/executions/{arn}/history").json()["events"]
        assert [e["type"] for e in events] == [
            e["type"] for e in sfn.get_execution_history(executionArn=child)["events"]]


def test_yaml_values_json_cannot_hold_and_non_utf8_paths_are_refused(server):
    """A definition is JSON (https://states-language.net/spec.html): YAML's !!binary, !!set,
    !!timestamp have no JSON form and are refused, not stored as a Python text of them; a path
    that is not UTF-8 names nothing (it would otherwise become U+FFFD)."""
    yaml_type = {"Content-Type": "application/yaml"}
    for value in ("!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2026-01-01T00:00:00Z", "!!omap [a: 1]"):
        body = f"Comment: {value}\nStartAt: P\nStates:\n  P:\n    Type: Pass\n    End: true\n"
        answer = httpx.put(f"{server.url}/state-machines/{unique('yaml')}", content=body, headers=yaml_type)
        assert answer.status_code == 400, (value, answer.text)
        assert answer.json()["__type"] == "InvalidDefinition" and "JSON cannot hold" in answer.json()["message"]
    plain = httpx.put(f"{server.url}/state-machines/{unique('yaml')}", headers=yaml_type,
                      content="Comment: 'text'\nStartAt: P\nStates:\n  P: {Type: Pass, End: true}\n")
    assert plain.status_code == 201 and json.loads(plain.json()["definition"])["Comment"] == "text"
    bad = httpx.put(f"{server.url}/state-machines/a%FFb", content=PASS, headers=JSON)
    assert bad.status_code == 400 and bad.json()["__type"] == "ValidationException"
    assert httpx.get(f"{server.url}/state-machines/a%EF%BF%BDb").status_code == 404  # nothing was created
