"""`asl-engine run DEFINITION`: one execution in process, its status, output and history printed;
exit 0 on SUCCEEDED, 1 otherwise. JSON and YAML definitions alike (SAM keeps them in YAML).

Mock files: https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from asl_engine.__main__ import main
from cli_support import ASL_ENGINE, START_TIMEOUT, asl_engine, environment

ORDERS_YAML = """\
Comment: charge, then wait a day, then finish
StartAt: Charge
States:
  Charge:
    Type: Task
    Resource: arn:aws:states:::lambda:invoke
    Parameters:
      FunctionName: charge
      Payload.$: $
    OutputPath: $.Payload
    Next: Settle
  Settle:
    Type: Wait
    Timestamp: 2020-01-01T00:00:00Z
    Next: Day
  Day:
    Type: Wait
    Seconds: 86400
    End: true
"""
MOCKS = {
    "StateMachines": {"orders": {"TestCases": {
        "Happy": {"Charge": "Paid"}, "Declined": {"Charge": "Refused"}}}},
    "MockedResponses": {"Paid": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": 7}}}},
                        "Refused": {"0": {"Throw": {"Error": "Card.Declined", "Cause": "insufficient funds"}}}},
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "orders.asl.yaml").write_text(ORDERS_YAML)
    (tmp_path / "MockConfigFile.json").write_text(json.dumps(MOCKS))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["run", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_mocked_test_case_succeeds_and_prints_the_history(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, str(project / "orders.asl.yaml"), "--input", '{"id": 7}', "--virtual-clock",
                         "--mock-config", str(project / "MockConfigFile.json"), "--test-case", "Happy")
    assert status == 0
    head, events = out.split("events:\n")
    assert head == 'status: SUCCEEDED\noutput: {\n  "charged": 7\n}\n'
    rows = [line.split() for line in events.splitlines()]
    assert [row[2] for row in rows] == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
        "WaitStateEntered", "WaitStateExited", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]
    assert rows[1][3] == "Charge" and rows[-2][3] == "Day"
    assert rows[-1][1] == "+86400.000s"  # the day's Wait on the virtual clock; the 2020 Timestamp is past


def test_a_failed_execution_exits_1_with_error_and_cause(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, str(project / "orders.asl.yaml"), "--mock-config",
                         str(project / "MockConfigFile.json"), "--test-case", "Declined")
    assert status == 1
    assert out.startswith("status: FAILED\nerror: Card.Declined\ncause: insufficient funds\nevents:\n")
    assert out.splitlines()[-1].split()[2:] == ["ExecutionFailed", "Card.Declined:", "insufficient", "funds"]


def test_a_json_definition_and_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "greet.json"
    path.write_text(json.dumps({"StartAt": "Greet", "States": {"Greet": {
        "Type": "Pass", "Parameters": {"text.$": "States.Format('hello {}', $.who)"}, "End": True}}}))
    status, out, _ = run(capsys, str(path), "--input", '{"who": "run"}')
    assert status == 0 and out.startswith('status: SUCCEEDED\noutput: {\n  "text": "hello run"\n}\n')


@pytest.mark.parametrize(("args", "message"), [
    (["--input", "{oops"], "asl-engine run: --input is not JSON: "),
    (["--test-case", "Happy"], "asl-engine run: --test-case needs a mock file: --mock-config FILE or SFN_MOCK_CONFIG"),
    (["--mock-config", "MockConfigFile.json", "--test-case", "Unknown"],
     "asl-engine run: the mock file has no test case 'Unknown' for the state machine 'orders' "
     "(its test cases: Declined, Happy); --name says which state machine"),
    (["--mock-config", "nowhere.json"], "asl-engine run: cannot read the mock config file nowhere.json: No such file"),
])
def test_mistakes_exit_1_with_one_line(project: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(project)
    monkeypatch.delenv("SFN_MOCK_CONFIG", raising=False)
    (project / "MockConfigFile.json").rename(project / "mocks-elsewhere.json")  # no default mock file here
    if "MockConfigFile.json" in args:
        (project / "mocks-elsewhere.json").rename(project / "MockConfigFile.json")
    status, out, err = run(capsys, "orders.asl.yaml", *args)
    assert (status, out) == (1, "") and err.startswith(message) and err.count("\n") == 1


def test_an_invalid_definition_is_reported_with_awss_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.asl.yaml"
    path.write_text("StartAt: A\nStates:\n  A: {Type: Pass, Next: B, End: false}\n")
    status, out, err = run(capsys, str(path))
    assert status == 1 and out == ""
    assert f"{path}: /States/A/Next: MISSING_TRANSITION_TARGET" in err


def test_yaml_that_is_not_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- StartAt\n")
    status, _, err = run(capsys, str(path))
    assert status == 1 and err == f"asl-engine run: {path} must hold a YAML or JSON object (the state machine)\n"


def test_validate_takes_yaml_too(project: Path) -> None:
    done = asl_engine("validate", str(project / "orders.asl.yaml"))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_installed_command_exits_with_the_executions_outcome(project: Path) -> None:
    """The real console script, in a process of its own, from the project folder: the default mock
    file ./MockConfigFile.json and the name from the file name, as SFN Local users lay them out."""
    succeeded = asl_engine("run", "orders.asl.yaml", "--test-case", "Happy", "--virtual-clock", cwd=project)
    assert succeeded.returncode == 0 and succeeded.stdout.startswith("status: SUCCEEDED\n"), succeeded.stderr
    failed = asl_engine("run", "orders.asl.yaml", "--test-case", "Declined", "--virtual-clock", cwd=project)
    assert failed.returncode == 1 and failed.stdout.startswith("status: FAILED\nerror: Card.Declined\n")


def test_a_run_that_could_only_wait_forever_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On the virtual clock nothing would ever answer this activity (no worker in process)."""
    path = tmp_path / "approve.json"
    path.write_text(json.dumps({"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:approve", "End": True}}}))
    status, out, err = run(capsys, str(path), "--virtual-clock")
    assert (status, out) == (1, "")
    assert err.startswith("asl-engine run: the execution arn:aws:states:us-east-1:123456789012:execution:approve:run "
                          "can only wait forever: the state 'Approve' waits for a worker to poll the activity")


def test_a_timed_out_run_prints_its_error_and_no_cause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ExecutionTimedOut has an error, States.Timeout, and no cause
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionTimedOutEventDetails.html)."""
    path = tmp_path / "slow.json"
    path.write_text(json.dumps({"TimeoutSeconds": 5, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 60, "End": True}}}))
    status, out, _ = run(capsys, str(path), "--virtual-clock")
    assert status == 1
    assert out.startswith("status: TIMED_OUT\nerror: States.Timeout\nevents:\n")
    assert "None" not in out


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path, command: str) -> None:
    """`asl-engine run X | head -3`: the pipe's reader has gone before the report is written; the
    command ends with SIGPIPE's status (141) and no BrokenPipeError traceback, as other tools do."""
    path = tmp_path / "loop.json"
    path.write_text(json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                                           "B": {"Type": "Pass", "Next": "Gone"}}}
                               if command == "validate" else
                               {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}))
    reader, writer = os.pipe()
    os.close(reader)  # the reader has gone, as `head` has after its lines
    try:
        done = subprocess.run([ASL_ENGINE, command, str(path)], stdout=writer, stderr=subprocess.PIPE, text=True,
                              env=environment({}), timeout=START_TIMEOUT)
    finally:
        os.close(writer)
    assert (done.returncode, done.stderr) == (141, "")
