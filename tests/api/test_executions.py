"""Execution actions through boto3: start, describe, list, stop, history."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from postgres_server import committed_row
from sfn_support import ADD_FIELD, FAIL, PASS, WAIT_LONG, create, error_of, unique, wait_done

WAIT_A_DAY = json.dumps(
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86_400, "Next": "P"},
                                "P": {"Type": "Pass", "End": True}}}
)


def test_start_describe_and_output(sfn):
    machine = create(sfn, definition=ADD_FIELD, name=unique("run"))
    started = sfn.start_execution(stateMachineArn=machine, name="first", input='{"order": 7}')
    name = machine.split(":")[-1]
    assert started["executionArn"] == f"arn:aws:states:us-east-1:123456789012:execution:{name}:first"
    described = wait_done(sfn, started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"order": 7, "step": "done"}
    assert described["input"] == '{"order": 7}'
    assert described["stateMachineArn"] == machine
    assert described["stopDate"] >= described["startDate"] == started["startDate"]


def test_a_day_long_wait_finishes_at_once_on_the_virtual_clock(sfn):
    machine = create(sfn, definition=WAIT_A_DAY)
    described = wait_done(sfn, sfn.start_execution(stateMachineArn=machine)["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert (described["stopDate"] - described["startDate"]).total_seconds() >= 86_400


def test_failed_execution_reports_error_and_cause(sfn):
    machine = create(sfn, definition=FAIL)
    described = wait_done(sfn, sfn.start_execution(stateMachineArn=machine)["executionArn"])
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Oops", "on purpose")
    assert "output" not in described


def test_input_must_be_json(sfn):
    machine = create(sfn)
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=machine, input="{nope")
    code, message = error_of(excinfo)
    assert code == "InvalidExecutionInput"
    assert message.startswith("Invalid State Machine Execution Input: ")


def test_input_over_256_kib_is_refused(sfn):
    machine = create(sfn)
    big = json.dumps({"blob": "x" * 262_144})
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=machine, input=big)
    assert error_of(excinfo)[0] == "InvalidExecutionInput"


def test_bad_execution_name(sfn):
    machine = create(sfn)
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=machine, name="no spaces")
    assert error_of(excinfo) == ("InvalidName", "Invalid Name: 'no spaces'")


def test_start_on_a_missing_machine(sfn):
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:not-there"
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=missing)
    assert error_of(excinfo) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'")


def test_reusing_the_name_of_an_ended_execution_is_already_exists(sfn):
    machine = create(sfn)
    arn = sfn.start_execution(stateMachineArn=machine, name="once", input="{}")["executionArn"]
    wait_done(sfn, arn)
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=machine, name="once", input="{}")
    assert error_of(excinfo) == ("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")


def test_start_is_idempotent_while_running(live):
    machine = create(live, definition=WAIT_LONG)
    first = live.start_execution(stateMachineArn=machine, name="same", input='{"a": 1}')
    again = live.start_execution(stateMachineArn=machine, name="same", input='{"a":1}')
    assert again["executionArn"] == first["executionArn"]
    assert again["startDate"] == first["startDate"]
    with pytest.raises(ClientError) as excinfo:
        live.start_execution(stateMachineArn=machine, name="same", input='{"a": 2}')
    assert error_of(excinfo)[0] == "ExecutionAlreadyExists"
    live.stop_execution(executionArn=first["executionArn"])


def test_stop_aborts_a_running_execution(live):
    machine = create(live, definition=WAIT_LONG)
    arn = live.start_execution(stateMachineArn=machine)["executionArn"]
    assert live.describe_execution(executionArn=arn)["status"] == "RUNNING"
    stopped = live.stop_execution(executionArn=arn, error="Manual", cause="operator said so")
    described = live.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED"
    assert described["stopDate"] == stopped["stopDate"]
    assert (described["error"], described["cause"]) == ("Manual", "operator said so")
    events = live.get_execution_history(executionArn=arn)["events"]
    assert events[-1]["type"] == "ExecutionAborted"


def test_stop_without_error_leaves_no_error(live):
    machine = create(live, definition=WAIT_LONG)
    arn = live.start_execution(stateMachineArn=machine)["executionArn"]
    live.stop_execution(executionArn=arn)
    described = live.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED"
    assert "error" not in described and "cause" not in described


def test_history_is_readable_while_running(live):
    machine = create(live, definition=WAIT_LONG)
    arn = live.start_execution(stateMachineArn=machine)["executionArn"]
    types = [e["type"] for e in live.get_execution_history(executionArn=arn)["events"]]
    assert types[:2] == ["ExecutionStarted", "WaitStateEntered"]
    live.stop_execution(executionArn=arn)


def test_describe_missing_and_malformed_executions(sfn):
    missing = "arn:aws:states:us-east-1:123456789012:execution:sm:nope"
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_execution(executionArn=missing)
    assert error_of(excinfo) == ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'")
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_execution(executionArn="arn:nonsense")
    assert error_of(excinfo)[0] == "InvalidArn"
    with pytest.raises(ClientError) as excinfo:
        sfn.stop_execution(executionArn=missing)
    assert error_of(excinfo)[0] == "ExecutionDoesNotExist"


def test_list_newest_first_with_status_filter_and_pages(sfn):
    ok = create(sfn)
    bad_machine = create(sfn, definition=FAIL)
    arns = [sfn.start_execution(stateMachineArn=ok, name=f"e{i}")["executionArn"] for i in range(5)]
    for arn in arns:
        wait_done(sfn, arn)
    listed = [e["executionArn"] for e in
              sfn.get_paginator("list_executions").paginate(stateMachineArn=ok, PaginationConfig={"PageSize": 2})
              .build_full_result()["executions"]]
    assert listed == arns[::-1]
    assert sfn.list_executions(stateMachineArn=ok, statusFilter="FAILED")["executions"] == []
    failed = sfn.start_execution(stateMachineArn=bad_machine)["executionArn"]
    wait_done(sfn, failed)
    only = sfn.list_executions(stateMachineArn=bad_machine, statusFilter="FAILED")["executions"]
    assert [e["executionArn"] for e in only] == [failed]
    # ExecutionListItem as recorded against AWS (LocalStack's ListExecutions snapshots): redriveCount 0 included
    assert set(only[0]) == {"executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate", "redriveCount"}


def test_list_executions_of_a_missing_machine(sfn):
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nobody"
    with pytest.raises(ClientError) as excinfo:
        sfn.list_executions(stateMachineArn=missing)
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"


def test_history_pages_reverse_and_without_data(sfn):
    machine = create(sfn, definition=ADD_FIELD)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"secret": 1}')["executionArn"]
    wait_done(sfn, arn)
    full = sfn.get_execution_history(executionArn=arn)["events"]
    assert [e["type"] for e in full] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"
    ]
    assert [e["id"] for e in full] == [1, 2, 3, 4]
    first = sfn.get_execution_history(executionArn=arn, maxResults=3)
    rest = sfn.get_execution_history(executionArn=arn, maxResults=3, nextToken=first["nextToken"])
    assert [e["id"] for e in first["events"] + rest["events"]] == [1, 2, 3, 4]
    assert "nextToken" not in rest
    backwards = sfn.get_paginator("get_execution_history").paginate(
        executionArn=arn, reverseOrder=True, PaginationConfig={"PageSize": 1}
    ).build_full_result()["events"]
    assert [e["id"] for e in backwards] == [4, 3, 2, 1]
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
    assert "output" not in bare[-1]["executionSucceededEventDetails"]


def test_history_token_is_bound_to_its_execution(sfn):
    machine = create(sfn)
    one = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    two = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_done(sfn, one)
    wait_done(sfn, two)
    token = sfn.get_execution_history(executionArn=one, maxResults=1)["nextToken"]
    with pytest.raises(ClientError) as excinfo:
        sfn.get_execution_history(executionArn=two, maxResults=1, nextToken=token)
    assert error_of(excinfo)[0] == "InvalidToken"


def test_describe_state_machine_for_execution_shows_the_revision_it_ran(sfn):
    machine = create(sfn, definition=PASS)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_done(sfn, arn)
    sfn.update_state_machine(stateMachineArn=machine, definition=ADD_FIELD)
    described = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert described["definition"] == PASS
    assert described["stateMachineArn"] == machine
    later = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_done(sfn, later)
    assert sfn.describe_state_machine_for_execution(executionArn=later)["definition"] == ADD_FIELD


def test_executions_outlive_their_deleted_machine(sfn):
    machine = create(sfn)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_done(sfn, arn)
    sfn.delete_state_machine(stateMachineArn=machine)
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    assert len(sfn.get_execution_history(executionArn=arn)["events"]) == 4


def test_a_started_execution_is_on_disk_when_start_returns(live, real_time_server):
    machine = create(live, definition=WAIT_LONG)
    arn = live.start_execution(stateMachineArn=machine)["executionArn"]
    # another connection: committed data only
    status = committed_row(real_time_server.db, "SELECT status FROM executions WHERE arn = ?", (arn,))
    first = committed_row(real_time_server.db,
                          "SELECT body FROM history_events WHERE execution_arn = ? AND event_id = 1", (arn,))
    assert status == ("RUNNING",)
    assert json.loads(first[0])["type"] == "ExecutionStarted"
    live.stop_execution(executionArn=arn)


def test_empty_input_in_aws_words(sfn):
    """Recorded against AWS (LocalStack's test_sfn_api snapshot, StartExecution with input "")."""
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=create(sfn), input="")
    assert error_of(excinfo) == ("InvalidExecutionInput", "Invalid State Machine Execution Input: 'Invalid execution input.'")


def test_centuries_of_retries_time_out_after_a_year_and_the_server_goes_on(tmp_path):
    """Step Functions service quotas: "If an execution runs for more than the 1-year maximum, it
    will fail with a States.Timeout error". On a virtual-clock server, a Retry of 99,999,999 s
    pushed the clock past the year 9999: the execution ended as an internal error and every later
    CreateStateMachine and ListExecutions answered a ValueError until a restart. A server of its
    own: the year it skips would move the shared test server's clock too."""
    from postgres_server import fresh_db
    from serving import ServerThread, boto_client

    from asl_engine.api.app import create_app
    from asl_engine.config import Config

    thread = ServerThread(create_app(Config(db_path=fresh_db(tmp_path, "year.db"), clock="virtual")))
    thread.start()
    try:
        client = boto_client(thread.url)
        machine = create(client, json.dumps({"StartAt": "P", "States": {"P": {
            "Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}],
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99999999, "IntervalSeconds": 99999999}],
            "End": True}}}))
        described = wait_done(client, client.start_execution(stateMachineArn=machine)["executionArn"])
        assert (described["status"], described["error"]) == ("TIMED_OUT", "States.Timeout")
        assert (described["stopDate"] - described["startDate"]).days == 365
        after = create(client)
        assert wait_done(client, client.start_execution(stateMachineArn=after)["executionArn"])["status"] == "SUCCEEDED"
        assert len(client.list_executions(stateMachineArn=machine)["executions"]) == 1
    finally:
        thread.stop()


def test_pending_redrive_lists_a_map_runs_children_only(sfn):
    """API_ListExecutions statusFilter: "If you provide a stateMachineArn and a PENDING_REDRIVE
    statusFilter, the API returns a validation exception." It listed nothing instead."""
    with pytest.raises(ClientError) as excinfo:
        sfn.list_executions(stateMachineArn=create(sfn), statusFilter="PENDING_REDRIVE")
    assert error_of(excinfo)[0] == "ValidationException"


@pytest.mark.parametrize("text, words", [
    ("not some json", "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token "
                      "'null', 'true' or 'false')"),
    ("{'not': 'json'", "Unexpected character (''' (code 39)): was expecting double-quote to start field name"),
])
def test_input_that_is_not_json_in_aws_words(sfn, text, words):
    """Recorded against AWS (LocalStack's test_sfn_api snapshot, StartExecution): AWS reads JSON
    with Jackson and quotes its words in the cause."""
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=create(sfn), input=text)
    assert error_of(excinfo) == ("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{words}'")
