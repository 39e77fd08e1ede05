"""The console against hostile pages and hostile requests (what a break-it probe found).

Framing: a page of another site that frames the console could lure a click onto its Start
button, a same-origin request from inside the frame. OWASP's defence, both headers:
https://cheatsheetseries.owasp.org/cheatsheets/Clickjacking_Defense_Cheat_Sheet.html
Bodies: the console's actions read JSON as the AWS protocol does (README "Security": bad input is
a 4xx, never a 5xx).
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import httpx
import pytest

from ui_support import ROLE, wait_ended

PASS = json.dumps({"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}})


@pytest.fixture(scope="module")
def machine(console_sfn: Any) -> str:
    arn: str = console_sfn.create_state_machine(name=f"ui-hostile-{uuid.uuid4().hex[:8]}", definition=PASS,
                                                roleArn=ROLE)["stateMachineArn"]
    return arn


@pytest.fixture
def attacker(console_server: Any, machine: str) -> Iterator[str]:
    """Another origin (its own port) on loopback, serving a page that frames the console (loopback,
    so that Chromium's local-network rules do not block the frame on their own)."""
    page = f'<iframe id="victim" src="{console_server.url}/ui/state-machines/{machine}" width="900" height="700">'

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(page.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _post(url: str, body: str) -> httpx.Response:
    return httpx.post(f"{url}/ui/actions/start-execution", content=body,
                      headers={"content-type": "application/json", "origin": url})


def test_another_sites_page_cannot_frame_the_console(page: Any, attacker: str, console_server: Any,
                                                     console_sfn: Any, machine: str) -> None:
    """The browser refuses to show the framed page: no Start button inside the frame to click."""
    page.goto(attacker)  # its load event waits for the frame's
    frames = [frame for frame in page.frames if frame != page.main_frame]
    assert len(frames) == 1
    assert not frames[0].url.startswith(console_server.url)  # Chromium's error page instead
    assert frames[0].locator("#start-button").count() == 0


def test_every_console_answer_forbids_framing(console_server: Any, console_sfn: Any, machine: str) -> None:
    run = console_sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_ended(console_sfn, run)
    answers = [httpx.get(f"{console_server.url}{path}") for path in (
        "/ui/", f"/ui/state-machines/{machine}", f"/ui/executions/{run}", "/ui/static/console.js",
        "/ui/executions/arn:aws:states:us-east-1:123456789012:execution:nope:nothing")]
    answers.append(_post(console_server.url, json.dumps({"stateMachineArn": machine})))
    answers.append(_post(console_server.url, json.dumps({"stateMachineArn": "nope"})))
    answers.append(httpx.post(f"{console_server.url}/ui/actions/stop-execution", content="{}",
                              headers={"content-type": "application/json", "origin": "http://evil.example"}))
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 404, 200, 400, 403]
    for answer in answers:
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers.get_list("content-security-policy") == ["frame-ancestors 'none'"]


@pytest.mark.parametrize(("body", "error"), [
    ("[" * 10_000 + "]" * 10_000, "SerializationException"),
    ('{"stateMachineArn": NaN}', "SerializationException"),
    ('{"stateMachineArn": "x", "n": 1e400}', "SerializationException"),
    ('{"stateMachineArn": "\\ud800"}', "ValidationException"),
    ('{"stateMachineArn": "x"', "SerializationException"),
    ("[1]", "SerializationException"),
])
def test_actions_refuse_bad_json_with_a_4xx(console_server: Any, body: str, error: str) -> None:
    """The same refusals as the AWS protocol's (asl_engine.json_read.parse_json), never a 500."""
    answer = _post(console_server.url, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["__type"] == error
    assert answer.json()["message"]


def test_a_machine_too_large_to_draw_still_starts_runs_and_shows_its_states(page: Any, console_server: Any,
                                                                           console_sfn: Any) -> None:
    """3,000 states (130 KB; AWS takes definitions up to 1 MB,
    https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html) overflow dagre's
    layout: the page says the graph is too large and everything else works."""
    states = {f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < 2999 else {"End": True})}
              for i in range(3000)}
    arn = console_sfn.create_state_machine(name=f"ui-huge-{uuid.uuid4().hex[:6]}", roleArn=ROLE,
                                           definition=json.dumps({"StartAt": "S0", "States": states}))
    page.goto(f"{console_server.url}/ui/state-machines/{arn['stateMachineArn']}")
    page.wait_for_selector("#graph .graph-note")
    assert "3000 states" in page.text_content("#graph")
    assert "Valid JSON" in page.text_content("#start-validation")  # the form is wired
    name = f"huge-{uuid.uuid4().hex[:6]}"
    page.fill("#start-input", '{"n": 1}')
    page.fill("#start-name", name)
    page.click("#start-button")
    page.wait_for_url(f"**/ui/executions/**:{name}")
    run = page.url.split("/ui/executions/", 1)[1]
    assert wait_ended(console_sfn, run)["status"] == "SUCCEEDED"
    page.reload()
    page.wait_for_selector("#graph .graph-note")
    assert "Click a state in the timeline" in page.text_content("#graph")
    page.click('#gantt tr[data-state="S2999"] th')
    assert page.text_content("#state-panel h2").startswith("S2999")
    assert json.loads(page.text_content("#state-panel .panel-output")) == {"n": 1}


def test_states_named_like_javascripts_own_properties(page: Any, console_server: Any, console_sfn: Any) -> None:
    """ASL allows any state name up to 80 characters
    (https://states-language.net/spec.html#states-fields); "constructor", "__proto__" and
    "toString" are names every JavaScript object answers to, and must be only names here."""
    definition = {"StartAt": "constructor", "States": {
        "constructor": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": True,
                                                       "Next": "toString"}], "Default": "__proto__"},
        "__proto__": {"Type": "Pass", "End": True},
        "toString": {"Type": "Pass", "End": True}}}
    machine = console_sfn.create_state_machine(name=f"ui-js-{uuid.uuid4().hex[:6]}", roleArn=ROLE,
                                               definition=json.dumps(definition))["stateMachineArn"]
    run = console_sfn.start_execution(stateMachineArn=machine, input='{"go": false}')["executionArn"]
    wait_ended(console_sfn, run)
    page.goto(f"{console_server.url}/ui/executions/{run}")
    page.wait_for_selector("#graph [data-state]")
    drawn = page.eval_on_selector_all("#graph [data-state]", """nodes => nodes.map(n =>
        [n.dataset.state, n.dataset.status, n.querySelector(".sublabel").textContent])""")
    assert sorted(drawn) == [["__proto__", "succeeded", ""], ["constructor", "succeeded", ""],
                             ["toString", "not-run", ""]]
    page.click('#graph [data-state="toString"]')
    assert page.text_content("#state-panel .empty") == "This state did not run in this execution."
    page.click('#graph [data-state="__proto__"]')
    assert page.locator("#state-panel .badge").text_content() == "succeeded"
    page.goto(f"{console_server.url}/ui/state-machines/{machine}")  # no statuses there at all
    page.wait_for_selector("#graph [data-state]")
    assert page.locator("#graph [data-status]").count() == 0


def test_the_input_is_shown_and_started_again_as_it_was_written(page: Any, console_server: Any,
                                                                console_sfn: Any, machine: str) -> None:
    """DescribeExecution returns the input text as given
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html);
    the console shows those numbers and keys, and "Start again" sends that very text."""
    text = '{"price": 12345678901234567.89, "ratio": 1E2, "a": 1, "a": 2}'
    run = console_sfn.start_execution(stateMachineArn=machine, input=text)["executionArn"]
    wait_ended(console_sfn, run)
    assert console_sfn.describe_execution(executionArn=run)["input"] == text
    page.goto(f"{console_server.url}/ui/executions/{run}")
    assert page.text_content("#execution-input") == (
        '{\n  "price": 12345678901234567.89,\n  "ratio": 1E2,\n  "a": 1,\n  "a": 2\n}')
    page.click("#restart-button")
    page.wait_for_url(lambda url: run not in url and "/ui/executions/" in url)
    again = page.url.split("/ui/executions/", 1)[1]
    assert console_sfn.describe_execution(executionArn=again)["input"] == text


def test_large_payloads_are_clipped_in_the_event_table_and_panels(page: Any, console_server: Any,
                                                                   console_sfn: Any) -> None:
    """AWS allows 256 KB of payload per event
    (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); shown whole in
    each of a page's 200 rows that made pages of tens of megabytes. Rows and panels show the
    start of a payload and say how much more GetExecutionHistory holds."""
    steps = {f"P{i}": {"Type": "Pass", **({"Next": f"P{i + 1}"} if i < 9 else {"End": True})} for i in range(10)}
    machine = console_sfn.create_state_machine(name=f"ui-heavy-{uuid.uuid4().hex[:6]}", roleArn=ROLE,
                                               definition=json.dumps({"StartAt": "P0", "States": steps}))
    big = {"blob": "x" * 200_000}
    run = console_sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(big))["executionArn"]
    wait_ended(console_sfn, run)
    answer = httpx.get(f"{console_server.url}/ui/executions/{run}")
    assert answer.status_code == 200 and len(answer.content) < 2_000_000  # 23 events of 200 KB: 4.6 MB whole
    page.goto(f"{console_server.url}/ui/executions/{run}")
    details = page.locator("#events tbody tr").nth(1).locator("pre").text_content()
    assert details.endswith("more characters (GetExecutionHistory has them all)")
    page.click('#graph [data-state="P3"]')
    assert "more characters" in page.text_content("#state-panel .panel-output")
