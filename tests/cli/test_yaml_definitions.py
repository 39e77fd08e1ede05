"""YAML definitions wherever a definition file goes: `validate`, `run` (test_run_command.py) and the
REST upload. SAM and Serverless projects keep their definitions in YAML; an unquoted RFC 3339
timestamp must stay the string ASL expects (https://states-language.net/spec.html#wait-state),
not become a YAML date.
"""

from __future__ import annotations

import json

import httpx

from asl_engine.definition_file import yaml_to_json

WAIT_UNTIL = """\
StartAt: Until
States:
  Until:
    Type: Wait
    Timestamp: 2016-03-14T01:59:00Z
    End: true
"""


def test_yaml_timestamps_stay_strings() -> None:
    assert json.loads(yaml_to_json(WAIT_UNTIL))["States"]["Until"]["Timestamp"] == "2016-03-14T01:59:00Z"


def test_the_rest_upload_takes_yaml(server) -> None:
    response = httpx.put(f"{server.url}/state-machines/yaml-upload", content=WAIT_UNTIL,
                         headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201
    assert json.loads(response.json()["definition"])["States"]["Until"]["Timestamp"] == "2016-03-14T01:59:00Z"


def test_a_rest_upload_that_is_not_yaml_is_an_invalid_definition(server) -> None:
    response = httpx.put(f"{server.url}/state-machines/yaml-broken", content="StartAt: [A\n",
                         headers={"Content-Type": "application/yaml"})
    assert response.status_code == 400
    body = response.json()
    assert body["__type"] == "InvalidDefinition"
    assert body["message"].startswith("Invalid State Machine Definition: 'the request body is not valid YAML: ")
