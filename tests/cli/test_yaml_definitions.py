"""YAML definitions wherever a definition file goes: `validate`, `run` (test_run_command.py) and the
REST upload. SAM and Serverless projects keep their definitions in YAML; an unquoted RFC 3339
timestamp must stay the string ASL expects (https://states-language.net/spec.html#wait-state),
not become a YAML date.
"""

from __future__ import annotations

import json

import httpx
import pytest

from asl_engine.definition_file import DefinitionFileError, read_definition, yaml_to_json
from asl_engine.json_read import MAX_JSON_DEPTH

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


def test_a_yaml_file_with_a_value_json_cannot_hold_is_refused(tmp_path) -> None:
    """A definition is JSON (https://states-language.net/spec.html): `validate` and `run` refuse
    YAML's !!binary and !!set as the REST upload does, instead of passing on Python's text of them
    ("b'hello'")."""
    for value in ("!!binary aGVsbG8=", "!!set {a, b}"):
        path = tmp_path / "tagged.yaml"
        path.write_text(f"StartAt: P\nStates:\n  P:\n    Type: Pass\n    Result: {value}\n    End: true\n")
        with pytest.raises(DefinitionFileError, match="JSON cannot hold"):
            read_definition(path)


def test_yaml_nested_deeper_than_a_json_body_may_is_refused_as_it_is_read() -> None:
    """PyYAML's scanner revisits every open bracket at each token: 5,000 `[` took 1.8 s to fail
    (and a REST upload did it twice, on the event loop). The depth is now counted as it is read:
    the same bound as a JSON body's (asl_engine/json_read.py), in brackets or indentation."""
    within = "StartAt: P\nStates: {P: {Type: Pass, End: true, Result: " + "[" * 400 + "]" * 400 + "}}"
    assert json.loads(yaml_to_json(within))["States"]["P"]["Result"] == json.loads("[" * 400 + "]" * 400)
    for deep in ("[" * 5000, "StartAt: P\nStates: " + "{P: " * 3000,
                 "".join(" " * depth + "k:\n" for depth in range(MAX_JSON_DEPTH + 10))):
        with pytest.raises(DefinitionFileError, match="nested too deeply"):
            yaml_to_json(deep)
