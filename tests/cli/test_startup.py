"""`asl-engine serve` checks its configuration before it listens, and its ready line tells the truth.

Each refusal runs the installed command in a real process: exit status 2, nothing on stdout, and
exactly one line on stderr that names the setting at fault. SFN Local's variables and their
meaning: https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-config-options.html; the
mock file format: https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from botocore.exceptions import ClientError

from asl_engine.tasks.config import ENDPOINT_VARIABLES
from cli_support import Served, asl_engine, serve
from serving import boto_client

GOOD_MOCK = {
    "StateMachines": {"orders": {"TestCases": {"HappyPath": {"Charge": "Charged"}, "Declined": {"Charge": "No"}}}},
    "MockedResponses": {"Charged": {"0": {"Return": {"ok": True}}},
                        "No": {"0": {"Throw": {"Error": "Card.Declined", "Cause": "no funds"}}}},
}


def refusal(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    """The one line `asl-engine serve` refuses to start with."""
    done = asl_engine("serve", "--port", "0", *args, env=env, cwd=cwd)
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and done.stdout == "" and len(lines) == 1, (done.returncode, done.stdout, done.stderr)
    assert lines[0].startswith("asl-engine: ")
    return lines[0]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("value", ["fast", "-1", "nan"])
def test_a_wait_time_scale_that_is_not_a_number_at_least_zero(value: str) -> None:
    assert refusal({"WAIT_TIME_SCALE": value}) == f"asl-engine: WAIT_TIME_SCALE must be a number >= 0, not {value!r}"


@pytest.mark.parametrize("clock", ["sundial", "scaled:0", "scaled:x", "scaled"])
def test_an_unknown_clock(clock: str) -> None:
    line = refusal({"ASL_ENGINE_CLOCK": clock})
    assert "ASL_ENGINE_CLOCK must be 'real', 'virtual' or 'scaled:F' (F > 0)" in line


def test_the_clock_flag_is_checked_too() -> None:
    assert "ASL_ENGINE_CLOCK must be" in refusal({}, "--clock", "sundial")


def test_a_mock_file_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    assert refusal({"SFN_MOCK_CONFIG": str(missing)}) == (
        f"asl-engine: cannot read the mock config file {missing}: No such file or directory")


def test_a_mock_file_that_is_not_json(tmp_path: Path) -> None:
    path = write(tmp_path / "mock.json", '{"StateMachines": {')
    line = refusal({"SFN_MOCK_CONFIG": path})
    assert line.startswith(f"asl-engine: the mock config file {path} is not valid JSON: ") and "line 1" in line


@pytest.mark.parametrize(("content", "problem"), [
    ([], "the file must be a JSON object, not list"),
    ({"StateMachines": {"m": {"TestCases": {"t": {"S": 1}}}}}, "StateMachines.m.TestCases.t.S must name a mocked response"),
    ({"StateMachines": {"m": []}}, "StateMachines.m must be a JSON object, not list"),
    ({"StateMachines": {"m": {"TestCases": {"t": {"S": "Missing"}}}}, "MockedResponses": {"R": {"0": {"Return": 1}}}},
     "StateMachines.m.TestCases.t.S names the mocked response 'Missing', which MockedResponses does not define"),
    ({"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}}, "MockedResponses.R.0 must hold exactly one of Return or Throw"),
    ({"MockedResponses": {"R": {"0": {"Throw": {"Error": "E"}}}}}, "MockedResponses.R.0.Throw needs Error and Cause strings"),
    ({"MockedResponses": {"R": {"first": {"Return": 1}}}}, "MockedResponses.R has the invocation key 'first', which is not N or N-M"),
    ({"MockedResponses": {"R": {"3-1": {"Return": 1}}}}, "MockedResponses.R has the invocation key '3-1', which is not N or N-M"),
])
def test_a_mock_file_that_breaks_sfn_locals_format(tmp_path: Path, content: object, problem: str) -> None:
    path = write(tmp_path / "mock.json", json.dumps(content))
    assert refusal({"SFN_MOCK_CONFIG": path}) == (
        f"asl-engine: the mock config file {path} does not follow SFN Local's format: {problem}")


def test_the_default_mock_file_in_the_working_directory_is_checked(tmp_path: Path) -> None:
    """With the JAR, SFN Local also reads ./MockConfigFile.json (feature matrix 1.1)."""
    write(tmp_path / "MockConfigFile.json", "not json")
    assert "the mock config file MockConfigFile.json is not valid JSON" in refusal({}, cwd=tmp_path)


def test_a_lambda_handler_module_that_cannot_be_imported(tmp_path: Path) -> None:
    assert refusal({"ASL_LAMBDA_HANDLERS": "charge=no_such_module:handler"}, cwd=tmp_path) == (
        "asl-engine: ASL_LAMBDA_HANDLERS: cannot load charge=no_such_module:handler: "
        "ModuleNotFoundError: No module named 'no_such_module'")


def test_a_lambda_handler_module_that_fails_while_importing(tmp_path: Path) -> None:
    write(tmp_path / "broken_handlers.py", "import json\nraise RuntimeError('needs DATABASE_URL')\n")
    assert refusal({"ASL_LAMBDA_HANDLERS": "charge=broken_handlers:handler"}, cwd=tmp_path) == (
        "asl-engine: ASL_LAMBDA_HANDLERS: cannot load charge=broken_handlers:handler: RuntimeError: needs DATABASE_URL")


def test_a_lambda_handler_that_is_missing_or_not_a_function(tmp_path: Path) -> None:
    write(tmp_path / "handlers.py", "LIMIT = 3\n\ndef charge(event, context):\n    return event\n")
    missing = refusal({"ASL_LAMBDA_HANDLERS": "charge=handlers:refund"}, cwd=tmp_path)
    assert "cannot load charge=handlers:refund: AttributeError: " in missing and "'refund'" in missing
    assert refusal({"ASL_LAMBDA_HANDLERS": "limit=handlers:LIMIT"}, cwd=tmp_path) == (
        "asl-engine: ASL_LAMBDA_HANDLERS: limit=handlers:LIMIT is not a function")


def test_a_lambda_handlers_entry_that_is_not_name_equals_module_function() -> None:
    assert refusal({"ASL_LAMBDA_HANDLERS": "charge"}) == (
        "asl-engine: ASL_LAMBDA_HANDLERS entry 'charge' is not name=module:function")


BAD_URLS = ["host.docker.internal:3001", "ftp://127.0.0.1:21", "http://127.0.0.1:port", "http://"]


@pytest.mark.parametrize(("variable", "url"), [
    (variable, BAD_URLS[number % len(BAD_URLS)])
    for number, variable in enumerate([*ENDPOINT_VARIABLES.values(), "AWS_ENDPOINT_URL"])
])
def test_an_endpoint_that_is_not_a_url(variable: str, url: str) -> None:
    assert refusal({variable: url}) == f"asl-engine: {variable} must be a URL such as http://127.0.0.1:4566, not {url!r}"


# -- what it says once it listens ----------------------------------------------------------------


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[Served]:
    """A server with a mock file, a local Lambda handler, an endpoint and a clock."""
    write(tmp_path / "handlers.py", "def charge(event, context):\n    return {'charged': event}\n")
    env = {"SFN_MOCK_CONFIG": write(tmp_path / "mock.json", json.dumps(GOOD_MOCK)),
           "ASL_LAMBDA_HANDLERS": "charge=handlers:charge", "SQS_ENDPOINT": "http://127.0.0.1:4566",
           "ASL_ENGINE_CLOCK": "virtual", "WAIT_TIME_SCALE": "0"}
    yield from serve("--db", ":memory:", env=env, cwd=tmp_path)


def test_the_ready_line_says_where_and_what_was_loaded(loaded: Served, tmp_path: Path) -> None:
    assert loaded.ready_line.endswith(
        f"database :memory:, account 123456789012, region us-east-1, clock virtual, Wait states x0, "
        f"mock file {tmp_path / 'mock.json'} (2 test cases), Lambda handlers charge=handlers:charge, "
        "endpoints SQS_ENDPOINT")


def test_health_answers_with_the_version(loaded: Served) -> None:
    response = httpx.get(f"{loaded.url}/health")
    assert response.status_code == 200 and response.json() == {"status": "ok", "version": asl_version()}


def test_an_answer_carries_the_headers_aws_sends_and_names_no_server(loaded: Served) -> None:
    """Step Functions answers with x-amzn-RequestId, Content-Type, Content-Length and Date, and no
    Server header (recorded: the SdkHttpMetadata.HttpHeaders of a states:startExecution task's
    output, tests/conformance/cases/v2_callback_test_callback__TestCallback__test_start_execution_sync.json)."""
    response = httpx.post(f"{loaded.url}/", content=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
    assert response.status_code == 200
    assert {"x-amzn-requestid", "content-type", "content-length", "date"} <= set(response.headers)
    assert "server" not in response.headers


def test_version_flag() -> None:
    done = asl_engine("--version")
    assert (done.returncode, done.stdout) == (0, f"asl-engine {asl_version()}\n")


def test_the_defaults_a_clean_start_reports(tmp_path: Path) -> None:
    with_defaults = serve(cwd=tmp_path)
    served = next(with_defaults)
    try:
        assert served.ready_line.endswith(": database ./asl-engine.db, account 123456789012, region us-east-1, clock real")
        assert (tmp_path / "asl-engine.db").exists()
    finally:
        with_defaults.close()


def test_a_mock_file_broken_while_serving_is_a_400_not_a_500(loaded: Served, tmp_path: Path) -> None:
    """The file is re-read when it changes (as LocalStack does); a broken edit must not cost a 500
    (which every SDK retries) nor a traceback: StartExecution answers ValidationException."""
    sfn = boto_client(loaded.url)
    arn = sfn.create_state_machine(name="orders", roleArn="arn:aws:iam::123456789012:role/r", definition=json.dumps(
        {"StartAt": "Charge", "States": {"Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                    "Parameters": {"FunctionName": "charge"}, "End": True}}}))["stateMachineArn"]
    assert sfn.start_execution(stateMachineArn=f"{arn}#HappyPath")["executionArn"]
    mock = tmp_path / "mock.json"
    write(mock, '{"StateMachines": ')
    with pytest.raises(ClientError) as caught:
        sfn.start_execution(stateMachineArn=f"{arn}#HappyPath")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Error"]["Message"].startswith(f"the mock config file {mock} is not valid JSON")


def asl_version() -> str:
    from asl_engine.version import VERSION

    return VERSION


def test_debug_logs_one_line_per_request_and_no_third_party_chatter(tmp_path: Path) -> None:
    """The README: `debug` adds one line per request; aiosqlite's statements and botocore's set-up
    (their own DEBUG loggers) stay out of it."""
    served = serve("--db", ":memory:", "--log-level", "debug", cwd=tmp_path)
    server = next(served)
    try:
        sfn = boto_client(server.url)
        sfn.create_state_machine(name="p", roleArn="arn:aws:iam::123456789012:role/r",
                                 definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
        sfn.list_state_machines()
        server.process.terminate()
        _, stderr = server.process.communicate(timeout=60)
    finally:
        served.close()
    debug = [line for line in stderr.splitlines() if " DEBUG " in line]
    assert [line.split(" DEBUG ")[1].split(" AWSStepFunctions.")[1].split(" ")[0] for line in debug] == [
        "CreateStateMachine", "ListStateMachines"], stderr
    assert all(" DEBUG asl_engine.api: POST / " in line for line in debug)
    assert "aiosqlite" not in stderr and "botocore" not in stderr
