"""No evaluation can stall the server (issue 13, item 4), measured against a real server process.

Hostile executions (a JSONata expression that loops for ever, a StringMatches pattern that makes a
backtracking regex run for ever, a large inline Map) run beside 16 clients making ordinary calls;
every call is answered, p99 within 100 ms, and each hostile execution ends with AWS's error.

AWS's causes for a JSONata budget are TestState recordings quoted in
https://github.com/floci-io/floci/issues/2737 ("... threw an error during evaluation: ...").
StringMatches: https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
"""

from __future__ import annotations

import gc
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from asl_engine.choice import compile_condition
from asl_engine.jsonata import BudgetExceeded, Offload, Replay, compile_expression, evaluate_text
from asl_engine.paths import Scope

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "durability"))
from processes import ROLE, Server, wait_until_ended  # the durability tests' server process

CLIENTS = 16
MEASURE_SECONDS = 4.0
LOOPING_JSONATA = "($f := function(){ $f() }; $f())"
CATASTROPHIC = "*a*a*a*a*a*a*a*a*a*a*b"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("hostile"), "hostile")
    server.start()
    yield server
    server.stop()


def _machine(client: Any, name: str, definition: dict[str, Any]) -> str:
    return str(client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"])


def _hostile(client: Any) -> dict[str, str]:
    looping = _machine(client, "looping-jsonata", {"QueryLanguage": "JSONata", "StartAt": "Loop", "States": {
        "Loop": {"Type": "Pass", "Output": {"v": "{% " + LOOPING_JSONATA + " %}"}, "End": True}}})
    matches = _machine(client, "catastrophic-match", {"StartAt": "Match", "States": {
        "Match": {"Type": "Choice", "Choices": [
            {"Variable": "$.text", "StringMatches": CATASTROPHIC, "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}})
    big_map = _machine(client, "big-inline-map", {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Next": "Q"}, "Q": {"Type": "Pass", "End": True}}}, "End": True}}})
    return {
        "looping": client.start_execution(stateMachineArn=looping, input="{}")["executionArn"],
        "matches": client.start_execution(stateMachineArn=matches,
                                          input=json.dumps({"text": "a" * 20_000}))["executionArn"],
        "map": client.start_execution(stateMachineArn=big_map,
                                      input=json.dumps({"items": list(range(3_000))}))["executionArn"],
    }


def _simple_client(url: str, stop: threading.Event, latencies: list[float], errors: list[str]) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListActivities"}
    with httpx.Client(timeout=10) as http:
        while not stop.is_set():
            started = time.perf_counter()
            response = http.post(url + "/", content=b"{}", headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(response.text)


def _measure(url: str, seconds: float) -> list[float]:
    """Latencies of CLIENTS clients calling for `seconds`, sorted; every call must succeed.

    The clients are threads of the test process, which holds the whole collected suite: its
    garbage collector's full passes over that heap stopped every client thread for tens of ms
    (a p99 of 44-118 ms before any hostile execution, against 28 ms for this file alone), so it
    is off while they measure."""
    stop, latencies, errors = threading.Event(), [], []
    threads = [threading.Thread(target=_simple_client, args=(url, stop, latencies, errors)) for _ in range(CLIENTS)]
    gc.disable()
    try:
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        gc.enable()
    assert not errors
    return sorted(latencies)


def _p99(latencies: list[float]) -> float:
    return latencies[int(len(latencies) * 0.99)]


@pytest.mark.alone  # other workers' servers on the same cores would decide its p99, not this server
def test_hostile_evaluation_leaves_other_clients_answered_within_100_ms(served: Server) -> None:
    client = served.client()
    before = _measure(served.url, 1.5)
    if _p99(before) >= 0.050:  # other work on this machine, not the server, would decide the result
        pytest.skip(f"machine too busy to measure: p99 {_p99(before) * 1000:.0f} ms with no hostile execution")
    executions = _hostile(client)
    latencies = _measure(served.url, MEASURE_SECONDS)

    looping = wait_until_ended(client, executions["looping"])
    assert (looping["status"], looping["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert looping["cause"].endswith(
        f"The JSONata expression '{LOOPING_JSONATA}' specified for the field 'Output/v' threw an error during "
        "evaluation: Expression evaluation timeout: Check for infinite loop")
    matches = wait_until_ended(client, executions["matches"])
    assert (matches["status"], matches["error"]) == ("FAILED", "States.NoChoiceMatched")  # no match, no Default (tests/fidelity/test_choice_no_match.py)
    assert wait_until_ended(client, executions["map"])["status"] == "SUCCEEDED"

    p99 = _p99(latencies)
    summary = (f"{len(latencies)} calls from {CLIENTS} clients beside hostile executions: "
               f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
               f"max {latencies[-1] * 1000:.1f} ms (without them: p99 {_p99(before) * 1000:.1f} ms)")
    print(summary)
    after = _measure(served.url, 1.5)
    if p99 >= 0.100 and _p99(after) >= 0.050:  # the machine got busy meanwhile: no verdict
        pytest.skip(f"machine became too busy to measure: p99 {_p99(after) * 1000:.0f} ms after; {summary}")
    assert p99 < 0.100, summary


def test_a_recursive_jsonata_function_fails_with_awss_stack_overflow(served: Server) -> None:
    client = served.client()
    machine = _machine(client, "deep-jsonata", {"QueryLanguage": "JSONata", "StartAt": "Deep", "States": {
        "Deep": {"Type": "Pass", "Output": "{% ($f := function($n){ 1 + $f($n + 1) }; $f(0)) %}", "End": True}}})
    ended = wait_until_ended(client, client.start_execution(stateMachineArn=machine)["executionArn"])
    assert (ended["status"], ended["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert ended["cause"].endswith("threw an error during evaluation: Stack overflow error: Check for "
                                   "non-terminating recursive function. Consider rewriting as tail-recursive.")


def test_jsonata_that_outgrows_its_slice_still_gives_the_right_result(served: Server) -> None:
    """An evaluation that needs more than the inline slice moves to a worker and comes back.
    About 60 ms of work here, six slices: enough to move on a fast machine, and far inside the
    5 s budget on a slow one where the worker (at nice 10) gets a small share of a busy core."""
    client = served.client()
    machine = _machine(client, "slow-jsonata", {"QueryLanguage": "JSONata", "StartAt": "Sum", "States": {
        "Sum": {"Type": "Pass", "Assign": {"r": "{% $random() %}"},
                "Output": {"total": "{% $sum($map([1..8000], function($v){ $v * 2 })) %}"}, "Next": "Show"},
        "Show": {"Type": "Pass", "Output": {"total": "{% $states.input.total %}", "same": "{% $r = $r %}"},
                 "End": True}}})
    ended = wait_until_ended(client, client.start_execution(stateMachineArn=machine)["executionArn"])
    assert ended["status"] == "SUCCEEDED", ended.get("cause")
    assert json.loads(ended["output"]) == {"total": 8000 * 8001, "same": True}


# -- StringMatches without backtracking ------------------------------------------------------


def _reference(pattern: str) -> re.Pattern[str]:
    """AWS's documented meaning as a regex: `*` any run, `\\*` a star, `\\\\` a backslash."""
    parts, index = [], 0
    while index < len(pattern):
        if pattern[index] == "\\" and index + 1 < len(pattern) and pattern[index + 1] in "*\\":
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if pattern[index] == "*" else re.escape(pattern[index]))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


@given(st.text(alphabet="ab*\\\n", max_size=12), st.text(alphabet="ab*\\\n", max_size=12))
def test_string_matches_agrees_with_the_documented_meaning(pattern: str, value: str) -> None:
    rule = compile_condition({"Variable": "$.v", "StringMatches": pattern}, "/States/C/Choices/0")
    assert rule(Scope({"v": value}, None, None)) == (_reference(pattern).fullmatch(value) is not None)


def test_a_catastrophic_pattern_is_linear() -> None:
    rule = compile_condition({"Variable": "$.v", "StringMatches": CATASTROPHIC}, "/States/C/Choices/0")
    started = time.perf_counter()
    assert rule(Scope({"v": "a" * 200_000}, None, None)) is False
    assert rule(Scope({"v": "a" * 200_000 + "b"}, None, None)) is True
    assert time.perf_counter() - started < 1.0  # a backtracking regex takes hours


# -- budgets, in process ---------------------------------------------------------------------


def test_the_range_operator_has_awss_memory_bound() -> None:
    """AWS fails [1..900000] for memory (floci-io/floci#2737); the bound also keeps one native
    call ($count over a range) short between two budget checks."""
    with pytest.raises(BudgetExceeded, match=r"^Expression evaluation memory limit exceeded"):
        compile_expression("$count([1..900000])").evaluate({})
    assert compile_expression("$count([1..800000])").evaluate({}) == 800000


def test_an_evaluation_that_outgrows_its_slice_is_offloaded_then_replayed() -> None:
    slow = compile_expression("$sum($map([1..30000], function($v){ $v }))")
    replay = Replay(slice_ms=1)
    with replay, pytest.raises(Offload):
        slow.evaluate({})
    replay.add(evaluate_text(slow.text, {}, 5_000, 1_000))  # what a worker process does
    with replay:
        assert slow.evaluate({}) == 30000 * 30001 // 2


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc to find the worker processes")
def test_evaluation_workers_end_with_a_server_killed_by_sigkill(tmp_path: Path) -> None:
    """A killed server cannot stop its workers; they notice and exit instead of living on."""
    server = Server(tmp_path, "killed")
    server.start()
    try:
        client = server.client()
        machine = _machine(client, "loops", {"QueryLanguage": "JSONata", "StartAt": "Loop", "States": {
            "Loop": {"Type": "Pass", "Output": "{% " + LOOPING_JSONATA + " %}", "End": True}}})
        client.start_execution(stateMachineArn=machine)
        assert server.process is not None
        deadline = time.monotonic() + 10
        while not (workers := _children(server.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert workers, "no evaluation worker started"
    finally:
        server.stop()  # SIGKILL
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]


def _alive(pid: int) -> bool:
    """Running, not gone and not a zombie waiting for a reaper."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
