"""The overview and a state machine's page in a real browser, the console's guard against
cross-site writes, and the root's redirect for browsers.

The overview follows AWS's console "State machines" list and an execution list filtered by
status (ListExecutions' statusFilter:
https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from ui_support import ROLE, client, load_definition, statuses, wait_ended

PASS = json.dumps({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}})


@pytest.fixture(scope="module")
def machine(console_sfn: Any) -> str:
    name = f"ui-hello-{uuid.uuid4().hex[:8]}"
    arn: str = console_sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE,
                                                publish=True, versionDescription="first")["stateMachineArn"]
    console_sfn.create_state_machine_alias(name="live", routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 100}])
    return arn


def test_overview_lists_machines_with_their_executions_by_status(page: Any, console_server: Any,
                                                                 console_sfn: Any, machine: str) -> None:
    done = console_sfn.start_execution(stateMachineArn=machine, name="ok-1")["executionArn"]
    wait_ended(console_sfn, done)
    page.goto(f"{console_server.url}/ui/")
    row = page.locator("table.machines tr", has=page.locator(f'a[href="/ui/state-machines/{machine}"]'))
    assert "STANDARD" in row.text_content() and "SUCCEEDED" in row.text_content()
    page.click("nav.filter >> text=failed")
    assert "status=FAILED" in page.url
    assert page.locator(f'table.executions a[href="/ui/executions/{done}"]').count() == 0
    page.click("nav.filter >> text=succeeded")
    page.click(f'table.executions a[href="/ui/executions/{done}"]')
    page.wait_for_selector("#graph [data-state]")
    assert statuses(page) == {"Hello": "succeeded"}


def test_the_scope_picker_shows_only_that_accounts_and_regions_machines(page: Any, console_server: Any,
                                                                         machine: str) -> None:
    """Accounts and regions are separate namespaces, as on AWS; the picker lists those with data."""
    west = client(console_server.url, region="eu-west-3")
    west_arn = west.create_state_machine(name="ui-west", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    page.goto(f"{console_server.url}/ui/")
    assert page.locator(f'a[href="/ui/state-machines/{west_arn}"]').count() == 0
    page.select_option("#scope-select", "123456789012/eu-west-3")
    page.wait_for_url("**region=eu-west-3")
    assert page.locator(f'a[href="/ui/state-machines/{west_arn}"]').count() == 1
    assert page.locator(f'a[href="/ui/state-machines/{machine}"]').count() == 0


def test_state_machine_page_shows_graph_definition_versions_and_aliases(page: Any, console_server: Any,
                                                                       machine: str) -> None:
    page.goto(f"{console_server.url}/ui/state-machines/{machine}")
    page.wait_for_selector('#graph [data-state="Hello"]')
    assert page.locator("#graph [data-status]").count() == 0  # no execution: nothing coloured
    assert json.loads(page.locator("#definition").text_content()) == json.loads(PASS)
    assert f"{machine}:1" in page.text_content("body")
    assert f"{machine}:live" in page.text_content("body")


def test_start_form_validates_the_input_and_starts_on_a_test_case(page: Any, console_server: Any,
                                                                 console_sfn: Any) -> None:
    saga = console_sfn.create_state_machine(name="ui-saga", definition=load_definition("saga.asl.json"),
                                            roleArn=ROLE)["stateMachineArn"]
    page.goto(f"{console_server.url}/ui/state-machines/{saga}")
    page.fill("#start-input", '{"items": [1,')
    assert page.is_disabled("#start-button")
    assert "Invalid JSON" in page.text_content("#start-validation")
    page.fill("#start-input", '{"items": [1, 2]}')
    assert page.is_enabled("#start-button")
    name = f"from-the-form-{uuid.uuid4().hex[:8]}"
    page.fill("#start-name", name)
    page.select_option("#start-test-case", "Declined")
    page.click("#start-button")
    page.wait_for_url(f"**/ui/executions/**:{name}")
    arn = page.url.split("/ui/executions/", 1)[1]
    described = wait_ended(console_sfn, arn)
    assert json.loads(described["input"]) == {"items": [1, 2]}
    assert described["error"] == "OrderCancelled"  # the mock file's Declined test case ran


def test_start_form_shows_the_services_error(page: Any, console_server: Any, machine: str) -> None:
    page.goto(f"{console_server.url}/ui/state-machines/{machine}")
    page.fill("#start-name", "has space")
    page.click("#start-button")
    page.wait_for_selector("#start-error:has-text('InvalidName')")


def test_writes_refuse_cross_site_and_simple_requests(console_server: Any, machine: str) -> None:
    """A page of another site can send a form POST or a "simple" request without asking; the
    console's writes take JSON only, and refuse a foreign Origin or Sec-Fetch-Site."""
    url = f"{console_server.url}/ui/actions/start-execution"
    body = json.dumps({"stateMachineArn": machine})
    form = httpx.post(url, content=f"stateMachineArn={machine}",
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    foreign = httpx.post(url, content=body, headers={"content-type": "application/json",
                                                     "origin": "http://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["__type"] == "AccessDeniedException"
    cross = httpx.post(url, content=body, headers={"content-type": "application/json",
                                                   "sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
    same = httpx.post(url, content=body, headers={"content-type": "application/json",
                                                  "origin": console_server.url})
    assert same.status_code == 200 and ":execution:" in same.json()["executionArn"]
    assert httpx.get(url).status_code == 405  # and nothing is started by a GET


def test_root_sends_a_browser_to_the_console_and_keeps_the_aws_protocol(console_server: Any,
                                                                        console_sfn: Any) -> None:
    page = httpx.get(console_server.url + "/", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 307 and page.headers["location"] == "/ui/"
    assert httpx.get(console_server.url + "/").status_code == 405
    assert "stateMachines" in console_sfn.list_state_machines()  # POST / is still AWS's protocol


def test_pages_of_unknown_resources_answer_404(console_server: Any) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:execution:nope:nothing"
    answer = httpx.get(f"{console_server.url}/ui/executions/{arn}")
    assert answer.status_code == 404 and "ExecutionDoesNotExist" in answer.text
    assert httpx.get(f"{console_server.url}/ui/state-machines/not-an-arn").status_code == 400


def test_names_are_shown_as_text_never_as_markup(page: Any, console_server: Any, console_sfn: Any) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    definition = json.dumps({"StartAt": hostile, "States": {hostile: {"Type": "Pass", "End": True}}})
    arn = console_sfn.create_state_machine(name=f"ui-x-{uuid.uuid4().hex[:6]}", definition=definition,
                                           roleArn=ROLE)["stateMachineArn"]
    run = console_sfn.start_execution(stateMachineArn=arn, input=json.dumps({"v": hostile}))["executionArn"]
    wait_ended(console_sfn, run)
    page.goto(f"{console_server.url}/ui/executions/{run}")
    page.click("#graph [data-state]")
    assert page.locator("img").count() == 0
    assert statuses(page) == {hostile: "succeeded"}
    assert hostile in page.text_content("#state-panel")


def test_a_hundred_states_are_laid_out_without_overlaps(page: Any, console_server: Any, console_sfn: Any) -> None:
    """dagre's layered layout: every state gets its own box, however many there are."""
    states: dict[str, Any] = {}
    for index in range(100):
        name = f"Step{index:03d}"
        following = f"Step{index + 1:03d}"
        if index % 10 == 0 and index < 90:
            states[name] = {"Type": "Choice", "Default": following,
                            "Choices": [{"Variable": "$.x", "NumericEquals": index,
                                         "Next": f"Step{index + 5:03d}"}]}
        else:
            states[name] = {"Type": "Pass", **({"Next": following} if index < 99 else {"End": True})}
    arn = console_sfn.create_state_machine(name=f"ui-100-{uuid.uuid4().hex[:6]}", roleArn=ROLE,
                                           definition=json.dumps({"StartAt": "Step000", "States": states}))
    page.goto(f"{console_server.url}/ui/state-machines/{arn['stateMachineArn']}")
    page.wait_for_selector("#graph [data-state]")
    boxes = page.eval_on_selector_all("#graph [data-state] rect", """rects => rects.map(r => {
        const b = r.getBBox(), m = r.getCTM(); return [b.x + m.e, b.y + m.f, b.width, b.height]; })""")
    assert len(boxes) == 100
    for i, (x, y, w, h) in enumerate(boxes):
        for (x2, y2, w2, h2) in boxes[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "two states overlap"


def test_pages_fetch_nothing_but_the_server(page: Any, console_server: Any, console_sfn: Any, machine: str) -> None:
    """Offline: every script, style and font ships in the package."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    run = console_sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_ended(console_sfn, run)
    for path in ("/ui/", f"/ui/state-machines/{machine}", f"/ui/executions/{run}"):
        page.goto(console_server.url + path)
        page.wait_for_load_state("load")
    assert any(url.endswith("/ui/static/dagre.min.js") for url in requested)
    assert [url for url in requested if not url.startswith(console_server.url + "/")] == []


def test_an_express_machines_page_says_its_executions_are_not_recorded(console_server: Any,
                                                                       console_sfn: Any) -> None:
    arn = console_sfn.create_state_machine(name=f"ui-express-{uuid.uuid4().hex[:6]}", definition=PASS,
                                           roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
    answer = httpx.get(f"{console_server.url}/ui/state-machines/{arn}")
    assert answer.status_code == 200 and "Express executions are not recorded" in answer.text


def test_a_versions_page_shows_it_and_its_machines_executions(page: Any, console_server: Any,
                                                              console_sfn: Any, machine: str) -> None:
    """DescribeStateMachine takes a version ARN
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html),
    and so does the console's page; the machine's page links each version to it."""
    page.goto(f"{console_server.url}/ui/state-machines/{machine}")
    with page.expect_navigation() as navigation:
        page.click(f'a[href="/ui/state-machines/{machine}:1"]')
    assert navigation.value.status == 200
    page.wait_for_selector('#graph [data-state="Hello"]')
    assert page.text_content("dl.facts code") == f"{machine}:1"
    assert page.get_attribute("#start-form", "data-state-machine-arn") == f"{machine}:1"
