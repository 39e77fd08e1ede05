"""The test environment's API, used through the `asl` fixture as a user's tests would.

Mock answers follow SFN Local's mock responses (Return / Throw, one answer per invocation, the
Lambda function-ARN form getting only the Payload: sfn-local-mock-cfg-file,
https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html); retries,
timers and heartbeats are AWS's (concepts-error-handling, state-wait, state-task:
https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html).
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from asl_engine.testing import Environment, Stuck, run_definition

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:price"
INVOKE = "arn:aws:states:::lambda:invoke"


def task(resource: str = INVOKE, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Price", "States": {"Price": {"Type": "Task", "Resource": resource, "End": True,
                                                     **fields}}}


def test_a_definition_may_be_yaml_text_or_a_file(asl: Environment, tmp_path: Path) -> None:
    yaml_file = tmp_path / "machine.asl.yaml"
    yaml_file.write_text("StartAt: Hello\nStates:\n  Hello: {Type: Pass, Result: 1, End: true}\n")
    json_file = tmp_path / "machine.asl.json"
    json_file.write_text(json.dumps({"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": True}}}))

    arn = asl.create("FromYamlFile", yaml_file)
    asl.create("FromYamlText", yaml_file.read_text())
    asl.create("FromJsonPath", str(json_file))

    assert asl.start(arn).wait().output == 1  # by ARN
    assert asl.start("FromYamlText", {"x": 1}).wait().output == 1  # by name
    assert asl.start("FromJsonPath", name="first").wait().output == {}  # no input: {}
    described = asl.client.describe_state_machine(stateMachineArn=arn)
    assert json.loads(described["definition"])["States"]["Hello"]["Result"] == 1


def test_a_yaml_timestamp_stays_the_string_asl_reads(asl: Environment, tmp_path: Path) -> None:
    """ASL timestamps are RFC3339 strings (state-wait, "Timestamp": "2016-03-14T01:59:00Z":
    https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html); YAML 1.1 would read the
    unquoted value as a date, so asl.create reads YAML with definition_file's loader, as the CLI
    and the REST API do."""
    text = ("StartAt: Stamp\nStates:\n"
            "  Stamp: {Type: Pass, Result: 2024-01-02T03:04:05Z, Next: Until}\n"
            "  Until: {Type: Wait, Timestamp: 2016-03-14T01:59:00Z, End: true}\n")
    (tmp_path / "stamp.asl.yaml").write_text(text)
    for name, definition in (("StampText", text), ("StampFile", tmp_path / "stamp.asl.yaml")):
        arn = asl.create(name, definition)
        assert asl.start(arn).wait().output == "2024-01-02T03:04:05Z"
        stored = json.loads(asl.client.describe_state_machine(stateMachineArn=arn)["definition"])
        assert stored["States"]["Until"]["Timestamp"] == "2016-03-14T01:59:00Z"


def test_mocks_queue_up_each_for_its_times(asl: Environment) -> None:
    asl.create("Pricing", task(Retry=[{"ErrorEquals": ["Busy"], "MaxAttempts": 5, "IntervalSeconds": 1}]))
    asl.mock("Pricing", "Price", raises=("Busy", "later"), times=2)
    asl.mock("Pricing", "Price", returns=[{"StatusCode": 200, "Payload": 1}, {"StatusCode": 200, "Payload": 2}])

    first = asl.start("Pricing").wait()
    second = asl.start("Pricing").wait()  # every execution counts its own invocations

    assert first.output["Payload"] == 1 and second.output["Payload"] == 1
    assert [e["type"] for e in first.events].count("TaskFailed") == 2
    assert first.state_output("Price") == {"StatusCode": 200, "Payload": 1}


def test_a_mocked_state_past_its_last_answer_fails_as_sfn_local_does(asl: Environment) -> None:
    asl.create("Loop", {"StartAt": "Price", "States": {
        "Price": {"Type": "Task", "Resource": INVOKE, "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [{"Variable": "$.Payload", "NumericLessThan": 2, "Next": "Price"}],
                  "Default": "Done"},
        "Done": {"Type": "Succeed"}}})
    asl.mock("Loop", "Price", returns={"StatusCode": 200, "Payload": 1}, times=1)

    execution = asl.start("Loop").wait()

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "has no answer for invocation 1" in (execution.cause or "")
    assert execution.path == ["Price", "Again", "Price"]


def test_the_function_arn_form_gets_the_payload_and_lambda_handlers_run(asl: Environment) -> None:
    asl.create("Direct", task(LAMBDA))
    asl.mock("Direct", "Price", returns={"StatusCode": 200, "Payload": {"cents": 250}})
    assert asl.start("Direct").wait().output == {"cents": 250}

    asl.create("Handled", task(INVOKE, Parameters={"FunctionName": "price", "Payload.$": "$"}))
    asl.lambda_handler("price", lambda event, context: {"cents": event["n"] * 100})
    assert asl.start("Handled", {"n": 3}).wait().output["Payload"] == {"cents": 300}


def test_a_local_handler_gets_lambdas_context(asl: Environment) -> None:
    """The context properties of https://docs.aws.amazon.com/lambda/latest/dg/python-context.html:
    invoked_function_arn is the full ARN the invoker used (with its version or alias), whatever
    form the state named the function in."""
    def handler(event: Any, context: Any) -> Any:
        return {"arn": context.invoked_function_arn, "name": context.function_name,
                "version": context.function_version, "group": context.log_group_name,
                "stream": context.log_stream_name, "memory": context.memory_limit_in_mb,
                "identity": context.identity, "client": context.client_context,
                "account": context.invoked_function_arn.split(":")[4]}

    asl.lambda_handler("price", handler)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:price"
    for index, (resource, parameters, invoked) in enumerate([
        (INVOKE, {"FunctionName": "price"}, arn),
        (INVOKE, {"FunctionName": "price", "Qualifier": "live"}, arn + ":live"),
        (INVOKE, {"FunctionName": "price:live"}, arn + ":live"),
        (INVOKE, {"FunctionName": "123456789012:function:price"}, arn),
        (LAMBDA + ":7", None, arn + ":7"),
    ]):
        name = f"Context{index}"
        asl.create(name, task(resource, **({"Parameters": parameters} if parameters else {})))
        output = asl.start(name).wait().output
        context = output["Payload"] if resource == INVOKE else output
        assert context["arn"] == invoked
        assert context["account"] == "123456789012"
    assert context["name"] == "price" and context["version"] == "$LATEST" and context["memory"] == 128
    assert context["group"] == "/aws/lambda/price"
    assert context["stream"].startswith(asl.now().strftime("%Y/%m/%d/[$LATEST]"))
    assert context["identity"] is None and context["client"] is None


@pytest.mark.parametrize(("arguments", "message"), [
    ({"returns": 1, "raises": ("E", "C")}, "not both"),
    ({"raises": "Error"}, "raises= takes"),
    ({"returns": [1, 2], "times": 2}, "one answer per call"),
    ({"returns": 1, "times": 0}, "positive number"),
])
def test_a_mock_that_makes_no_sense_is_refused(asl: Environment, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        asl.mock("Any", "State", **arguments)


def test_a_mock_behind_one_that_answers_forever_is_refused(asl: Environment) -> None:
    asl.create("Any", task())
    asl.mock("Any", "Price", returns=1)
    with pytest.raises(ValueError, match="answers every call"):
        asl.mock("Any", "Price", returns=2)


def test_time_moves_only_when_the_test_says(asl: Environment) -> None:
    asl.create("Timers", {"StartAt": "Short", "States": {
        "Short": {"Type": "Wait", "Seconds": 60, "Next": "Long"},
        "Long": {"Type": "Wait", "Seconds": 86400, "Next": "Done"},
        "Done": {"Type": "Pass", "End": True}}})
    start = asl.now()
    execution = asl.start("Timers")

    assert execution.wait(state="Short").path == ["Short"]
    assert asl.now() == start  # reaching the Wait took no virtual time
    asl.advance(minutes=30)  # fires Short at its own moment, then waits in Long
    assert execution.path == ["Short", "Long"]
    assert execution.events[-1]["timestamp"] - execution.events[0]["timestamp"] == timedelta(seconds=60)
    assert execution.status == "RUNNING"
    execution.wait()
    assert execution.status == "SUCCEEDED"
    assert asl.now() - start == timedelta(seconds=60 + 86400)
    assert execution.state_input("Done") == {}


def test_a_test_can_stop_in_a_retry_backoff(asl: Environment) -> None:
    asl.create("Retried", task(Retry=[{"ErrorEquals": ["Busy"], "IntervalSeconds": 600}]))
    asl.mock("Retried", "Price", raises=("Busy", "later"), times=1)
    asl.mock("Retried", "Price", returns={"StatusCode": 200, "Payload": "ok"})
    start = asl.now()
    execution = asl.start("Retried").wait(state="Price")

    assert [e["type"] for e in execution.events][-1] == "TaskFailed"
    asl.advance(minutes=9)
    assert execution.status == "RUNNING"
    asl.advance(minutes=1)
    assert execution.status == "SUCCEEDED"
    assert asl.now() - start == timedelta(minutes=10)


def test_waiting_for_a_state_the_execution_never_reaches_fails(asl: Environment) -> None:
    asl.create("Quick", {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    with pytest.raises(AssertionError, match="ended SUCCEEDED without waiting in the state 'B'"):
        asl.start("Quick").wait(state="B")


def test_nested_states_show_in_the_path_once_per_iteration(asl: Environment) -> None:
    asl.create("Nested", {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemProcessor": {"StartAt": "Double", "States": {
            "Double": {"Type": "Pass", "End": True}}}, "End": True}}})
    execution = asl.start("Nested", [1, 2, 3]).wait()
    assert execution.path == ["Each", "Each/Double", "Each/Double", "Each/Double"]
    assert execution.state_output("Each/Double") == 3


def test_a_heartbeat_nobody_sends_times_the_task_out(asl: Environment) -> None:
    asl.lambda_handler("notify", lambda event, context: {})
    asl.create("Beat", task(INVOKE + ".waitForTaskToken", HeartbeatSeconds=600,
                            Parameters={"FunctionName": "notify", "Payload": {"t.$": "$$.Task.Token"}}))
    execution = asl.start("Beat").wait()
    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")


def test_an_activity_worker_in_another_thread_is_waited_for(asl: Environment) -> None:
    activity = asl.client.create_activity(name="review")["activityArn"]
    asl.create("Reviewed", task(activity, TimeoutSeconds=3600))

    def worker() -> None:
        job = asl.client.get_activity_task(activityArn=activity, workerName="bob")
        asl.client.send_task_success(taskToken=job["taskToken"], output=json.dumps({"by": "bob"}))

    thread = threading.Thread(target=worker)
    thread.start()
    execution = asl.start("Reviewed").wait()
    thread.join()
    assert (execution.status, execution.output) == ("SUCCEEDED", {"by": "bob"})


def test_stuck_names_the_state_and_what_it_waits_for(asl: Environment) -> None:
    activity = asl.client.create_activity(name="nobody")["activityArn"]
    asl.create("Orphan", task(activity))
    execution = asl.start("Orphan")
    with pytest.raises(Stuck) as stuck:
        execution.wait()
    assert (stuck.value.state, stuck.value.waiting_for) == ("Price", "activity")
    assert execution.status == "RUNNING"
    with pytest.raises(LookupError, match="no worker has taken the activity task"):
        execution.task_token("Price")
    # the test takes the task as a worker would, answers, and the execution moves on
    job = asl.client.get_activity_task(activityArn=activity, workerName="test")
    assert execution.task_token("Price") == job["taskToken"]
    asl.client.send_task_success(taskToken=job["taskToken"], output="[]")
    assert execution.wait().output == []


def test_an_express_execution_cannot_be_waited_for(asl: Environment) -> None:
    """AWS keeps no history of Express executions (DescribeExecution refuses their ARNs)."""
    asl.create("Quick", {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}, type="EXPRESS")
    with pytest.raises(ValueError, match="is an Express execution"):
        asl.start("Quick").wait()


def test_a_synchronous_express_execution_runs_in_virtual_time(asl: Environment) -> None:
    """StartSyncExecution answers once the run ends; its caller cannot call advance() meanwhile."""
    arn = asl.create("Backoff", task(Retry=[{"ErrorEquals": ["Busy"], "IntervalSeconds": 30}]), type="EXPRESS")
    asl.mock("Backoff", "Price", raises=("Busy", "later"), times=1)
    asl.mock("Backoff", "Price", returns={"StatusCode": 200, "Payload": "ok"})
    start = asl.now()

    answer = asl.client.start_sync_execution(stateMachineArn=arn)

    assert (answer["status"], json.loads(answer["output"])["Payload"]) == ("SUCCEEDED", "ok")
    assert asl.now() - start == timedelta(seconds=30)


def test_an_environment_without_pytest() -> None:
    with Environment() as asl:
        asl.create("Plain", {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 3600, "End": True}}})
        assert asl.start("Plain").wait().status == "SUCCEEDED"
    with pytest.raises(RuntimeError, match="not open"):
        _ = asl.endpoint_url


def test_a_run_definition_task_function_may_be_plain_and_its_exceptions_fail_the_task() -> None:
    """A `tasks=` function stands for the integration: an unhandled exception fails the task as
    it fails a Lambda function (error: the exception's type; TaskFailed, which Retry and Catch
    handle: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    calls: list[Any] = []

    def price(request: Any) -> Any:  # plain, not async
        calls.append(request.input)
        if len(calls) == 1:
            raise ConnectionError("pricing service unreachable")
        if len(calls) == 2:
            raise KeyError("sku")
        return {"cents": 250}

    definition = task(Parameters={"FunctionName": "price"},
                      Retry=[{"ErrorEquals": ["ConnectionError"], "IntervalSeconds": 1}],
                      Catch=[{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}])
    definition["States"]["Price"]["End"] = True
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = run_definition(definition, {}, tasks=price)
    assert result.status == "SUCCEEDED" and len(calls) == 2
    failures = [event["taskFailedEventDetails"] for event in result.events if event["type"] == "TaskFailed"]
    assert [(f["error"], f["cause"]) for f in failures] == [
        ("ConnectionError", "pricing service unreachable"), ("KeyError", "'sku'")]
    assert result.output == {"error": {"Error": "KeyError", "Cause": "'sku'"}}
    assert run_definition(task(), {}, tasks=lambda request: {"cents": 1}).output == {"cents": 1}


def test_run_definition_raises_stuck_instead_of_hanging() -> None:
    with pytest.raises(Stuck) as stuck:
        run_definition(task(INVOKE + ".waitForTaskToken"), tasks=_sends)
    assert (stuck.value.state, stuck.value.waiting_for) == ("Price", "token")


async def _sends(request: Any) -> Any:
    return {"sent": True}


def test_an_execution_that_polls_forever_times_out_after_a_year(asl: Environment) -> None:
    """A Standard execution runs one year at most: "If an execution runs for more than the 1-year
    maximum, it will fail with a States.Timeout error"
    (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)."""
    asl.create("Poll", {"StartAt": "Sleep", "States": {
        "Sleep": {"Type": "Wait", "Seconds": 30 * 86400, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.done", "IsPresent": True, "Next": "Done"}],
                  "Default": "Sleep"},
        "Done": {"Type": "Succeed"}}})
    execution = asl.start("Poll")
    started = asl.now()
    assert execution.wait().status == "TIMED_OUT"
    assert execution.error == "States.Timeout"
    assert asl.now() - started == timedelta(days=365)
