"""lambda:invoke with `LogType: Tail` on a local Lambda handler, through boto3 against a real server.

Lambda's Invoke API (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html): "LogType: Set to
Tail to include the execution log in the response. Applies to synchronously invoked functions only",
and LogResult is "The last 4 KB of the execution log, which is base64-encoded". Step Functions passes
it on in the task's result (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html,
the Invoke response). The log holds what the function printed and what it logged through the root
logger, as the Python runtime writes it (`[LEVEL]\\t<time>\\t<request id>\\t<message>`,
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html), between the START line and the
END and REPORT lines (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html, "Log output").
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import threading
from typing import Any, Iterator

import pytest

from asl_engine.api.app import create_app
from asl_engine.config import Config
from asl_engine.tasks.config import TaskConfig
from postgres_server import fresh_db
from serving import ServerThread, boto_client
from sfn_support import create, wait_done

_meet = threading.Barrier(2, timeout=20)


def talker(event: Any, context: Any) -> Any:
    """Prints to stdout and stderr and logs a warning, as a function writes to its log."""
    print(f"hello {event['who']}")
    print("to stderr", file=sys.stderr)
    logging.getLogger("talker").warning("careful with %s", event["who"])
    return {"greeted": event["who"]}


def silent(event: Any, context: Any) -> Any:
    return None


def chatty(event: Any, context: Any) -> Any:
    """Prints numbered lines well past 4 KB."""
    for line in range(event["lines"]):
        print(f"line {line:05d} " + "x" * 40)
    return "done"


def overlapping(event: Any, context: Any) -> Any:
    """Two invocations print while both are running: each log must hold only its own lines."""
    print(f"first from {event['who']}")
    _meet.wait()
    print(f"second from {event['who']}")
    _meet.wait()
    return event["who"]


@pytest.fixture(scope="module")
def sfn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = fresh_db(tmp_path_factory.mktemp("log-tail"), "log-tail.db")
    tasks = TaskConfig(lambda_handlers={"talker": talker, "silent": silent, "chatty": chatty,
                                         "overlapping": overlapping})
    thread = ServerThread(create_app(Config(db_path=str(db), clock="virtual", tasks=tasks)))
    thread.start()
    yield boto_client(thread.url)
    thread.stop()


def _invoke(function: str, **parameters: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload.$": "$", **parameters}, "End": True}


def _run(sfn: Any, state: dict[str, Any], execution_input: Any) -> Any:
    arn = create(sfn, json.dumps({"StartAt": "Call", "States": {"Call": state}}))
    described = wait_done(sfn, sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input))
                          ["executionArn"], attempts=2000)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    return json.loads(described["output"])


def _log(output: dict[str, Any]) -> str:
    return base64.b64decode(output["LogResult"]).decode("utf-8")


def test_log_tail_holds_what_the_function_printed_and_logged(sfn: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """What the function prints still reaches the server's own stdout and stderr as well."""
    output = _run(sfn, _invoke("talker", LogType="Tail"), {"who": "ada"})
    printed = capsys.readouterr()
    assert "hello ada\n" in printed.out and "to stderr\n" in printed.err
    request_id = output["SdkResponseMetadata"]["RequestId"]
    assert (output["StatusCode"], output["Payload"]) == (200, {"greeted": "ada"})
    lines = _log(output).splitlines()
    assert lines[:3] == [f"START RequestId: {request_id} Version: $LATEST", "hello ada", "to stderr"]
    assert re.fullmatch(rf"\[WARNING\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{request_id}\tcareful with ada",
                        lines[3])
    assert lines[4] == f"END RequestId: {request_id}"
    assert re.fullmatch(rf"REPORT RequestId: {request_id}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
                        r"Memory Size: 128 MB\t", lines[5])
    assert len(lines) == 6


def test_a_function_that_writes_nothing_has_the_lambda_lines_only(sfn: Any) -> None:
    output = _run(sfn, _invoke("silent", LogType="Tail"), {})
    assert output["Payload"] is None
    assert [line.split(" RequestId: ")[0] for line in _log(output).splitlines()] == ["START", "END", "REPORT"]


def test_log_tail_is_the_last_4_kb(sfn: Any) -> None:
    output = _run(sfn, _invoke("chatty", LogType="Tail"), {"lines": 500})
    tail = base64.b64decode(output["LogResult"])
    assert len(tail) == 4096
    text = tail.decode("utf-8")
    assert "line 00499 " in text and "line 00000 " not in text and "START RequestId" not in text
    assert text.splitlines()[-2].startswith("END RequestId: ")


def test_no_log_result_without_tail(sfn: Any) -> None:
    for parameters in ({}, {"LogType": "None"}, {"LogType": "Tail", "InvocationType": "Event"}):
        output = _run(sfn, _invoke("talker", **parameters), {"who": "bob"})
        assert "LogResult" not in output, parameters


def test_concurrent_invocations_keep_their_own_logs(sfn: Any) -> None:
    def branch(who: str) -> dict[str, Any]:
        call = _invoke("overlapping", LogType="Tail")
        call["Parameters"]["Payload"] = {"who": who}
        del call["Parameters"]["Payload.$"]
        return {"StartAt": who, "States": {who: call}}

    outputs = _run(sfn, {"Type": "Parallel", "End": True, "Branches": [branch("left"), branch("right")]}, {})
    left, right = (_log(output).splitlines()[1:3] for output in outputs)
    assert left == ["first from left", "second from left"]
    assert right == ["first from right", "second from right"]
