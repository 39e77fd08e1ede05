"""Arbitrary and mutated definitions through the real API: always a 400 or a success, never a 500,
and whatever is accepted runs without crashing the engine (issue "Validator", Done when).

Mutations start from the definitions the validator corpus labels valid
(tests/validation/cases) and delete or replace one field, which is how a
hand-edited or generated definition usually goes wrong.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpora import validator_cases

VALID = [case["definition"] for case in validator_cases() if case["valid"] and "definition" in case]
ROLE = "arn:aws:iam::123456789012:role/fuzz"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)
replacements = st.sampled_from(["Pass", "Map", "$", "$.a[", "{% 1 + %}", "States.Format('{}')", "",
                                -1, None, [], {}, "States.ALL"]) | values


def _places(value: Any) -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((value, key))
            found += _places(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((value, index))
            found += _places(item)
    return found


@st.composite
def mutated(draw: Any) -> Any:
    definition = copy.deepcopy(draw(st.sampled_from(VALID)))
    places = _places(definition)
    if places:
        container, key = draw(st.sampled_from(places))
        if isinstance(container, dict) and draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(replacements)
    return definition


def _accepted_or_400(call: Any) -> Any:
    try:
        return call()
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response
        return None


@FUZZ
@given(st.one_of(mutated(), values))
def test_create_answers_400_or_accepts_and_runs(sfn: Any, definition: Any) -> None:
    text = json.dumps(definition)
    _accepted_or_400(lambda: sfn.validate_state_machine_definition(definition=text))
    created = _accepted_or_400(lambda: sfn.create_state_machine(
        name=f"fuzz-{time.monotonic_ns()}", definition=text, roleArn=ROLE))
    if created is None:
        return
    arn = created["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:  # waiting on a task or a token is fine; stop it
            sfn.stop_execution(executionArn=execution)
            break
        time.sleep(0.02)
    assert "Internal error in asl-engine" not in described.get("cause", "")
    sfn.delete_state_machine(stateMachineArn=arn)
