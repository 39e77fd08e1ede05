"""The pytest plugin as a user gets it from `pip install asl-engine`: the `asl` fixture and
`--asl-coverage`, run through pytest's own `pytester` on test files a user would write.

The behaviours checked are AWS's where AWS defines them: a `.waitForTaskToken` task without
TimeoutSeconds waits for its token (for AWS, up to the implicit 99,999,999 s of the Task state
docs, https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html), which a test
environment reports as `Stuck` instead of waiting; SendTaskSuccess answers a waiting token
(https://docs.aws.amazon.com/step-functions/latest/APIReference/API_SendTaskSuccess.html).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

# Here, not in a conftest: pytest refuses `pytest_plugins` in a conftest below the top level.
pytest_plugins = ["pytester"]
# Without hypothesis's plugin, which would import hypothesis afresh in every in-process run (~1 s).
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")

APPROVAL_YAML = '''
StartAt: Approve
States:
  Approve:
    Type: Task
    Resource: arn:aws:states:::lambda:invoke.waitForTaskToken
    Parameters:
      FunctionName: notify
      Payload:
        token.$: $$.Task.Token
    TimeoutSeconds: 259200
    Catch:
      - ErrorEquals: [States.Timeout]
        Next: Expired
    Next: Done
  Done: {Type: Succeed}
  Expired: {Type: Fail, Error: Expired}
'''

USER_TESTS = f'''
import json
from datetime import timedelta

APPROVAL = """{APPROVAL_YAML}"""


def test_approved_after_two_days(asl):
    asl.lambda_handler("notify", lambda event, context: {{"sent": True}})
    asl.create("Approval", APPROVAL)
    execution = asl.start("Approval", {{"id": 1}}).wait(state="Approve")
    asl.advance(days=2)
    asl.client.send_task_success(taskToken=execution.task_token("Approve"), output=json.dumps({{"ok": 1}}))
    assert execution.wait().status == "SUCCEEDED"
    assert execution.path == ["Approve", "Done"]


def test_nobody_answers(asl):
    asl.lambda_handler("notify", lambda event, context: {{}})
    asl.create("Approval", APPROVAL)
    before = asl.now()
    execution = asl.start("Approval").wait()
    assert (execution.status, execution.error) == ("FAILED", "Expired")
    assert asl.now() - before == timedelta(hours=72)
'''


def test_the_installed_plugin_gives_a_user_test_file_the_asl_fixture(pytester: pytest.Pytester) -> None:
    """In a fresh interpreter, as `pip install asl-engine` leaves it: found by its entry point."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=2)


def test_a_user_project_with_its_own_api_package_keeps_the_fixture(pytester: pytest.Pytester) -> None:
    """`api` is a common name for a project's own package. asl-engine shipped its HTTP layer as a
    top-level `api` package, so a user's `api/` shadowed it (ImportError from `asl`) or was
    overwritten by it in site-packages; the HTTP layer is `asl_engine.api` now."""
    pytester.mkpydir("api")
    pytester.makepyfile(**{"api/app": "def create_app():\n    raise AssertionError('the user project's own api')\n"})
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=2)


def test_an_execution_that_could_only_wait_forever_is_stuck(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_stuck='''
        def test_forgotten_token(asl):
            asl.lambda_handler("notify", lambda event, context: {})
            asl.create("Forever", {"StartAt": "Approve", "States": {"Approve": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token"}},
                "End": True}}})
            asl.start("Forever").wait()

        def test_activity_nobody_polls(asl):
            activity = asl.client.create_activity(name="review")["activityArn"]
            asl.create("Queue", {"StartAt": "Review", "States": {"Review": {
                "Type": "Task", "Resource": activity, "End": True}}})
            asl.start("Queue").wait()
    ''')
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*Stuck: the execution arn:aws:states:us-east-1:123456789012:execution:Forever:* can only wait "
        "forever: the state 'Approve' waits for a task token that nobody has answered*",
        "*Stuck: *execution:Queue:* the state 'Review' waits for a worker to poll the activity "
        "arn:aws:states:us-east-1:123456789012:activity:review, and nobody polls it*",
    ])


def test_a_wait_longer_than_a_year_times_out_the_execution(pytester: pytest.Pytester) -> None:
    """"If an execution runs for more than the 1-year maximum, it will fail with a States.Timeout
    error" (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html): wait()
    moves time to that limit, as `asl-engine run --virtual-clock` does, instead of raising Stuck."""
    pytester.makepyfile(test_year='''
        from datetime import timedelta

        def test_a_long_wait(asl):
            asl.create("Year", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 40000000, "End": True}}})
            started = asl.now()
            execution = asl.start("Year").wait()
            assert (execution.status, execution.error) == ("TIMED_OUT", "States.Timeout")
            assert asl.now() - started == timedelta(days=365)
            assert execution.events[-1]["type"] == "ExecutionTimedOut"

        def test_a_timestamp_years_away(asl):
            asl.create("Later", {"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Timestamp": "2999-01-01T00:00:00Z", "End": True}}})
            assert asl.start("Later").wait().status == "TIMED_OUT"
    ''')
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)


def test_fixture_mistakes_are_reported_in_the_fixtures_own_terms(pytester: pytest.Pytester) -> None:
    """A typo is refused where it is made, and causes name the fixture's calls (asl.lambda_handler,
    asl.mock, asl.mock_config), never ASL_LAMBDA_HANDLERS or SFN_MOCK_CONFIG, which it ignores."""
    pytester.makepyfile(test_mistakes='''
        MACHINE = {"StartAt": "Reserve", "States": {
            "Reserve": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "reserve"}, "Next": "Each"},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True, "ItemProcessor": {
                "StartAt": "Ship", "States": {"Ship": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                                                       "Parameters": {"QueueUrl": "q", "MessageBody": "m"},
                                                       "Next": "Done"},
                                              "Done": {"Type": "Pass", "End": True}}}}}}

        def test_mock_of_a_missing_state(asl):
            asl.create("Saga", MACHINE)
            asl.mock("Saga", "Reserv", returns={"StatusCode": 200, "Payload": {}})

        def test_mock_of_a_pass_state(asl):
            asl.create("Saga", MACHINE)
            asl.mock("Saga", "Each/Done", returns={})

        def test_mock_of_a_missing_machine(asl):
            asl.mock("Sag", "Reserve", returns={})

        def test_unconfigured_lambda(asl):
            asl.create("Saga", MACHINE)
            execution = asl.start("Saga", {"items": []}).wait()
            print("CAUSE:", execution.cause)

        def test_test_case_without_a_mock_file(asl):
            asl.create("Saga", MACHINE)
            asl.start("Saga", test_case="HappyPath")

        def test_a_missing_definition_file(asl):
            asl.create("Saga", "examples/nope/definition.asl.json")
    ''')
    result = pytester.runpytest(*QUIET, "-s")
    result.assert_outcomes(failed=5, passed=1)
    output = result.stdout.str()
    for line in [
        "*ValueError: the state machine 'Saga' has no state 'Reserv' (its Task states: 'Reserve', 'Each/Ship')",
        "*ValueError: 'Each/Done' of the state machine 'Saga' is a Pass state: only Task states can be mocked*",
        "*ValueError: there is no state machine 'Sag' to mock: create it first (asl.create)",
        "*CAUSE: An error occurred while executing the state 'Reserve'*No Lambda function 'reserve' is configured. Give it a Python handler with "
        "asl.lambda_handler('reserve', function), set LAMBDA_ENDPOINT*or answer this state from the test "
        "with asl.mock(...) or a mock file (asl.mock_config).",
        "*ValueError: start(test_case='HappyPath') runs a test case of a mock file: load one first with "
        "asl.mock_config(path)",
        "*examples/nope/definition.asl.json: cannot read: No such file or directory",
    ]:
        result.stdout.fnmatch_lines([line])
    assert "ASL_LAMBDA_HANDLERS" not in output and "SFN_MOCK_CONFIG" not in output


def test_a_mock_file_naming_an_undefined_response_is_refused_when_loaded(pytester: pytest.Pytester) -> None:
    """SFN Local's format (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html):
    a test case maps a state to a MockedResponses entry; one the file lacks is refused at once."""
    pytester.makefile(".json", mocks=json.dumps({
        "StateMachines": {"Orders": {"TestCases": {"Happy": {"Charge": "Charged", "Ship": "Shipped"}}}},
        "MockedResponses": {"Charged": {"0": {"Return": {"ok": True}}}}}))
    pytester.makepyfile(test_mocks='''
        def test_load(asl):
            asl.mock_config("mocks.json")
    ''')
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*MockConfigError: the mock config file mocks.json does not follow SFN Local's "
                                 "format: StateMachines.Orders.TestCases.Happy.Ship names the mocked response "
                                 "'Shipped', which MockedResponses does not define"])


def test_an_activity_task_the_test_took_itself_times_out_without_waiting_for_a_worker(
        pytester: pytest.Pytester) -> None:
    """The test takes the activity task (as a worker would) and sends no heartbeat: nobody else
    can answer it, so wait() fires HeartbeatSeconds at once (state-task: a missed heartbeat fails
    the task with States.Timeout, https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html).
    A worker in another thread is still given real time (test_environment). Here the real time
    a worker is given is an hour, so a wait() that gave it would be stopped by the guard below."""
    pytester.makepyfile(test_own_task='''
        import asl_engine.testing.environment as environment

        def test_heartbeat_lapses(asl, monkeypatch):
            monkeypatch.setattr(environment, "WORKER_SECONDS", 3600.0)
            activity = asl.client.create_activity(name="work")["activityArn"]
            asl.create("Beat", {"StartAt": "T", "States": {"T": {
                "Type": "Task", "Resource": activity, "HeartbeatSeconds": 60, "End": True}}})
            execution = asl.start("Beat")
            task = asl.client.get_activity_task(activityArn=activity, workerName="me")
            assert execution.task_token("T") == task["taskToken"]
            assert (execution.wait().status, execution.error) == ("FAILED", "States.Timeout")
            assert [event["type"] for event in execution.events][-2:] == ["ActivityTimedOut", "ExecutionFailed"]
    ''')
    result = pytester.runpytest_subprocess(*QUIET, timeout=120)  # a guard against the hour, not a latency bound
    result.assert_outcomes(passed=1)


COVERED_TESTS = '''
import pytest

MACHINE = {"StartAt": "Route", "States": {
    "Route": {"Type": "Choice", "Choices": [
        {"Variable": "$.kind", "StringEquals": "book", "Next": "Ship"},
        {"Variable": "$.kind", "StringEquals": "ebook", "Next": "Mail"}],
        "Default": "Reject"},
    "Ship": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": "ship"},
             "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 5},
                       {"ErrorEquals": ["States.Timeout"]}],
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Reject"}],
             "End": True},
    "Mail": {"Type": "Pass", "End": True},
    "Reject": {"Type": "Fail", "Error": "Rejected"}}}


@pytest.fixture
def shop(asl):
    asl.create("Shop", MACHINE)
    return asl


def test_a_book_is_shipped_on_the_second_try(shop):
    shop.mock("Shop", "Ship", raises=("Busy", "try later"), times=1)
    shop.mock("Shop", "Ship", returns={"StatusCode": 200, "Payload": {"parcel": 1}})
    assert shop.start("Shop", {"kind": "book"}).wait().status == "SUCCEEDED"


def test_anything_else_is_rejected(shop):
    assert shop.start("Shop", {"kind": "vinyl"}).wait().error == "Rejected"
'''


def test_coverage_lists_what_the_tests_never_exercised(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=COVERED_TESTS)
    result = pytester.runpytest(*QUIET, "--asl-coverage", "--asl-coverage-json=coverage.json")

    result.assert_outcomes(passed=2)
    assert result.ret == 0
    # Mail never entered; the ebook rule never taken; no timeout retried; nothing caught.
    result.stdout.fnmatch_lines([
        "*asl-engine state machine coverage*",
        "state machine coverage: 60% (6/10 states, Choice rules, Retry and Catch clauses exercised)",
        "  Shop   60%  states 3/4  choices 2/3  retries 1/2  catches 0/1",
        "      never: state Mail",
        "      never: Choice rule Route #2 -> Mail",
        "      never: Retry Ship #2 [States.Timeout]",
        "      never: Catch Ship #1 [States.ALL] -> Reject",
    ])
    report = json.loads((pytester.path / "coverage.json").read_text())
    assert report["percent"] == 60.0
    assert report["machines"]["Shop"]["choices"] == {"covered": ["Route #1 -> Ship", "Route Default -> Reject"],
                                                     "missed": ["Route #2 -> Mail"]}
    assert report["machines"]["Shop"]["retries"]["covered"] == ["Ship #1 [Busy]"]


@pytest.mark.parametrize(("threshold", "status"), [("60", pytest.ExitCode.OK), ("61", pytest.ExitCode.TESTS_FAILED)])
def test_coverage_below_the_threshold_fails_the_session(pytester: pytest.Pytester, threshold: str,
                                                        status: pytest.ExitCode) -> None:
    pytester.makepyfile(test_shop=COVERED_TESTS)
    result = pytester.runpytest(*QUIET, f"--asl-coverage-fail-under={threshold}")

    result.assert_outcomes(passed=2)  # every test passed: only the coverage decides
    assert result.ret == status
    failure = f"FAIL Required state machine coverage of {threshold}% not reached. Total coverage: 60.00%"
    assert (failure in result.stdout.lines) == (status != pytest.ExitCode.OK)


def test_the_plugin_is_inert_unless_used(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_nothing():\n    assert True\n")
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1)
    assert "state machine coverage" not in result.stdout.str()
    help_text = pytester.runpytest("--help").stdout.str()
    assert "--asl-coverage-fail-under=PERCENT" in help_text


def test_the_readme_test_passes_as_written(pytester: pytest.Pytester) -> None:
    """README "Testing your workflows" opens with a complete test: it runs as it stands."""
    root = Path(__file__).resolve().parents[2]
    section = (root / "README.md").read_text().split("## Testing your workflows", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.splitlines()) == 10
    example = pytester.path / "examples" / "human-approval"
    example.mkdir(parents=True)
    shutil.copy(root / "examples" / "human-approval" / "definition.asl.json", example)
    pytester.makepyfile(test_readme=code)
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)
