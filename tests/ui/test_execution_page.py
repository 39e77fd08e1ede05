"""The execution page in a real browser: the graph coloured by what the history says happened.

What AWS's console shows for an execution (graph view, state details, event table) is described
at https://docs.aws.amazon.com/step-functions/latest/dg/concepts-view-execution-details.html ;
its history events and how a Retry and a Catch show in them at
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html .
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from ui_support import ROLE, load_definition, open_execution, statuses, wait_ended

STATUSES = {"succeeded", "failed", "caught", "retried", "running", "not-run"}


@pytest.fixture(scope="module")
def saga(console_sfn: Any) -> dict[str, Any]:
    """The saga run on the mock file's `Declined` test case: Reserve fails once and is retried,
    the Map prices three items, the Parallel's Charge is declined and the Catch releases."""
    machine = console_sfn.create_state_machine(
        name="ui-saga", definition=load_definition("saga.asl.json"), roleArn=ROLE)["stateMachineArn"]
    order = {"orderId": "o-7", "items": [{"sku": "a"}, {"sku": "b"}, {"sku": "c"}]}
    arn = console_sfn.start_execution(stateMachineArn=f"{machine}#Declined", name=f"saga-{uuid.uuid4()}",
                                      input=json.dumps(order))["executionArn"]
    described = wait_ended(console_sfn, arn)
    history = console_sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return {"machine": machine, "arn": arn, "described": described, "history": history}


def test_every_state_is_coloured_as_the_history_says(page: Any, console_server: Any, saga: dict[str, Any]) -> None:
    assert saga["described"]["status"] == "FAILED" and saga["described"]["error"] == "OrderCancelled"
    open_execution(page, console_server.url, saga["arn"])
    drawn = statuses(page)
    assert drawn == {
        "Reserve": "retried",      # Lambda.ServiceException once, then the retry succeeded
        "PriceItems": "succeeded",
        "Price": "succeeded",
        "Fulfil": "caught",        # the branch's failure went to the Catch
        "Label": drawn["Label"],   # a Pass racing the declined charge: finished or aborted
        "Charge": "failed",
        "Placed": "not-run",
        "Release": "succeeded",
        "Cancelled": "failed",
    }
    assert set(drawn.values()) <= STATUSES
    # Read straight from the history: a state was drawn as run exactly when it was entered,
    # and the retried one failed once before it succeeded.
    history = saga["history"]
    entered = {e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")}
    assert {name for name, status in drawn.items() if status != "not-run"} == entered
    failures = [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"]
    assert failures == ["Lambda.ServiceException", "PaymentDeclined"]
    # The Map and the Parallel are groups with their counts.
    assert page.locator('#graph [data-state="PriceItems"] .sublabel').text_content() == "3 iterations"
    assert page.locator('#graph [data-state="Fulfil"] .sublabel').text_content() == "2 branches"
    assert page.locator("#graph rect.group-map").count() == 1
    assert page.locator("#graph rect.group-branch").count() == 2
    # The execution's own outcome, and every event in the table.
    assert page.locator("#execution-error").text_content() == "OrderCancelled"
    assert page.locator("#execution-cause").text_content() == "the charge was declined"
    assert page.locator("#events tbody tr").count() == len(history)


def test_clicking_a_state_shows_its_input_output_and_events(page: Any, console_server: Any,
                                                           saga: dict[str, Any]) -> None:
    open_execution(page, console_server.url, saga["arn"])
    page.click('#graph [data-state="Reserve"]')
    panel = page.locator("#state-panel")
    assert json.loads(panel.locator(".panel-output").text_content())["reservation"] == {"reservationId": "res-42"}
    assert json.loads(panel.locator(".panel-input").text_content())["orderId"] == "o-7"
    assert "Retries1" in panel.locator("dl").text_content().replace(" ", "")
    exited = next(e for e in saga["history"] if e["type"] == "TaskStateExited")
    assert f"#{exited['id']} TaskStateExited" in panel.locator(".panel-events").text_content()

    page.click('#graph [data-state="Charge"]')
    assert "PaymentDeclined" in panel.locator("dl").text_content()
    assert panel.locator(".panel-cause").text_content() == "card declined"

    page.click('#graph [data-state="Fulfil"]')  # caught: its error is its branch's
    assert "PaymentDeclined" in panel.locator("dl").text_content()

    page.click('#graph [data-state="Placed"]')
    assert "did not run" in panel.text_content()


def test_the_timeline_has_a_bar_per_state_that_ran(page: Any, console_server: Any, saga: dict[str, Any]) -> None:
    open_execution(page, console_server.url, saga["arn"])
    bars = page.locator("#gantt tr[data-state]")
    names = [bars.nth(i).get_attribute("data-state") for i in range(bars.count())]
    assert names[:3] == ["Reserve", "PriceItems", "Price"] and "Placed" not in names
    assert page.locator('#gantt tr[data-state="Reserve"] .bar').get_attribute("data-status") == "retried"


def test_start_again_with_this_input_runs_a_new_execution(page: Any, console_server: Any, console_sfn: Any,
                                                         saga: dict[str, Any]) -> None:
    open_execution(page, console_server.url, saga["arn"])
    page.click("#restart-button")
    page.wait_for_url(lambda url: saga["arn"] not in url and "/ui/executions/" in url)
    arn = page.url.split("/ui/executions/", 1)[1]
    described = console_sfn.describe_execution(executionArn=arn)
    assert json.loads(described["input"]) == json.loads(saga["described"]["input"])
    assert described["stateMachineArn"] == saga["machine"]


WAITING = {
    "Comment": "Waits on an activity until the test answers it.",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Next": "Work"},
        "Work": {"Type": "Task", "Resource": "ACTIVITY", "End": True},
    },
}


@pytest.fixture(scope="module")
def waiting_machine(live: Any) -> tuple[str, str]:
    activity = live.create_activity(name=f"ui-work-{uuid.uuid4().hex[:8]}")["activityArn"]
    definition = json.dumps(WAITING).replace("ACTIVITY", activity)
    machine = live.create_state_machine(name=f"ui-waits-{uuid.uuid4().hex[:8]}", definition=definition,
                                        roleArn=ROLE)["stateMachineArn"]
    return machine, activity


def test_a_running_execution_turns_succeeded_without_a_reload(page: Any, real_time_server: Any, live: Any,
                                                             waiting_machine: tuple[str, str]) -> None:
    machine, activity = waiting_machine
    arn = live.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    task = live.get_activity_task(activityArn=activity)
    open_execution(page, real_time_server.url, arn)
    assert statuses(page) == {"Prepare": "succeeded", "Work": "running"}
    page.evaluate("window.notReloaded = true")
    live.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
    page.wait_for_selector('#graph [data-state="Work"][data-status="succeeded"]')
    page.wait_for_selector("#summary .badge.status-succeeded")
    assert page.evaluate("window.notReloaded") is True
    assert json.loads(page.locator("#execution-output").text_content()) == {"done": True}
    assert page.locator("#stop-button").count() == 0
    assert page.locator("#events tbody tr").count() == len(live.get_execution_history(executionArn=arn)["events"])


def test_stop_aborts_a_running_execution(page: Any, real_time_server: Any, live: Any,
                                         waiting_machine: tuple[str, str]) -> None:
    machine, _ = waiting_machine
    arn = live.start_execution(stateMachineArn=machine)["executionArn"]
    open_execution(page, real_time_server.url, arn)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#stop-button")
    page.wait_for_selector("#summary .badge.status-aborted")
    assert live.describe_execution(executionArn=arn)["status"] == "ABORTED"
    assert live.get_execution_history(executionArn=arn, reverseOrder=True)["events"][0]["type"] == "ExecutionAborted"


def test_a_redriven_state_is_coloured_by_its_last_attempt(page: Any, real_time_server: Any, live: Any,
                                                         waiting_machine: tuple[str, str]) -> None:
    """RedriveExecution re-runs the failed state; DescribeExecution then has the redriven run's
    status (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html), and so
    must the state: its first, failed attempt is history, not its colour."""
    machine, activity = waiting_machine
    arn = live.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    live.send_task_failure(taskToken=live.get_activity_task(activityArn=activity)["taskToken"],
                           error="Boom", cause="first attempt")
    assert wait_ended(live, arn)["status"] == "FAILED"
    live.redrive_execution(executionArn=arn)
    live.send_task_success(taskToken=live.get_activity_task(activityArn=activity)["taskToken"], output='{"ok": 1}')
    assert wait_ended(live, arn)["status"] == "SUCCEEDED"
    open_execution(page, real_time_server.url, arn)
    assert statuses(page) == {"Prepare": "succeeded", "Work": "succeeded"}
    page.click('#graph [data-state="Work"]')
    assert page.locator("#state-panel .badge").text_content() == "succeeded"
    assert "Boom" not in page.locator("#state-panel dl").text_content()
    assert json.loads(page.locator("#state-panel .panel-output").text_content()) == {"ok": 1}


def test_a_child_execution_links_to_its_own_page(page: Any, console_server: Any, console_sfn: Any) -> None:
    """`states:startExecution.sync:2` puts the child's ARN in the task's output, as on AWS
    (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html)."""
    child = console_sfn.create_state_machine(
        name="ui-child", roleArn=ROLE,
        definition=json.dumps({"StartAt": "Inside", "States": {"Inside": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]
    parent = console_sfn.create_state_machine(name="ui-parent", roleArn=ROLE, definition=json.dumps({
        "StartAt": "RunChild", "States": {"RunChild": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True,
            "Parameters": {"StateMachineArn": child, "Input": {"from": "parent"}}}}}))["stateMachineArn"]
    arn = console_sfn.start_execution(stateMachineArn=parent)["executionArn"]
    assert wait_ended(console_sfn, arn)["status"] == "SUCCEEDED"
    open_execution(page, console_server.url, arn)
    page.click("ul.children a")
    page.wait_for_selector('#graph [data-state="Inside"][data-status="succeeded"]')
    child_arn = page.url.split("/ui/executions/", 1)[1]
    assert console_sfn.describe_execution(executionArn=child_arn)["stateMachineArn"] == child


def test_a_distributed_map_shows_its_map_runs_item_counts(page: Any, console_server: Any, console_sfn: Any) -> None:
    """A Distributed Map's iterations are child executions; its parent's history holds only the
    MapRun events, and DescribeMapRun counts the items
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html)."""
    machine = console_sfn.create_state_machine(name=f"ui-dmap-{uuid.uuid4().hex[:6]}", roleArn=ROLE,
                                               definition=json.dumps({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}}}}}))["stateMachineArn"]
    arn = console_sfn.start_execution(stateMachineArn=machine, input="[1, 2, 3, 4]")["executionArn"]
    assert wait_ended(console_sfn, arn)["status"] == "SUCCEEDED"
    open_execution(page, console_server.url, arn)
    assert page.locator('#graph [data-state="Fan"] .sublabel').text_content() == "4 items (4 succeeded)"
    assert statuses(page)["Fan"] == "succeeded"
    # Its items ran as child executions (ARNs with a '/'): each has a page, whose state machine
    # link leads to the Distributed Map's own machine, not to a page that cannot exist.
    run = console_sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    child = console_sfn.list_executions(mapRunArn=run)["executions"][0]["executionArn"]
    assert "/" in child.split(":execution:", 1)[1]
    assert page.goto(f"{console_server.url}/ui/executions/{child}").status == 200
    assert page.locator("#restart-button").count() == 0  # it runs only inside its Map Run
    with page.expect_navigation() as navigation:
        page.click("#summary dd a")
    assert navigation.value.status == 200
    assert page.url == f"{console_server.url}/ui/state-machines/{machine}"
