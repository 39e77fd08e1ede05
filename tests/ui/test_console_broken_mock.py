"""The console with a mock file broken while the server runs (SFN Local's MockConfigFile,
https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html, edited into
invalid JSON): the state machine page still renders and says why its test cases are unavailable,
and the start form's request answers the API's 400 ValidationException (which the form shows in
its error line), never a 500."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from asl_engine.api.app import create_app
from asl_engine.config import Config
from asl_engine.tasks.config import TaskConfig
from serving import ServerThread
from ui_support import ROLE, client

MOCKS = {"StateMachines": {"broken-mock": {"TestCases": {"Happy": {"Work": "Done"}}}},
         "MockedResponses": {"Done": {"0": {"Return": {"ok": True}}}}}
MACHINE = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "End": True,
                                                  "Resource": "arn:aws:states:::lambda:invoke",
                                                  "Parameters": {"FunctionName": "work"}}}}


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(server URL, state machine ARN) once the mock file no longer parses."""
    mock_file = tmp_path / "MockConfigFile.json"
    mock_file.write_text(json.dumps(MOCKS))
    server = ServerThread(create_app(Config(db_path=str(tmp_path / "ui.db"), clock="virtual",
                                            tasks=TaskConfig(mock_config_path=str(mock_file)))))
    server.start()
    try:
        arn = client(server.url).create_state_machine(name="broken-mock", definition=json.dumps(MACHINE),
                                                      roleArn=ROLE)["stateMachineArn"]
        mock_file.write_text('{"StateMachines": ')
        os.utime(mock_file, (1, 1))  # a changed modification time, however coarse the file system's
        yield server.url, arn
    finally:
        server.stop()


def test_the_state_machine_page_says_the_mock_file_is_broken(broken: tuple[str, str]) -> None:
    url, arn = broken
    page = httpx.get(f"{url}/ui/state-machines/{arn}")
    assert page.status_code == 200
    assert "is not valid JSON" in page.text and 'id="start-form"' in page.text


def test_starting_a_test_case_answers_a_validation_error(broken: tuple[str, str]) -> None:
    url, arn = broken
    answer = httpx.post(f"{url}/ui/actions/start-execution", headers={"Content-Type": "application/json"},
                        json={"stateMachineArn": arn, "input": "{}", "testCase": "Happy"})
    assert answer.status_code == 400
    assert answer.json()["__type"] == "ValidationException"
    assert "is not valid JSON" in answer.json()["message"]
