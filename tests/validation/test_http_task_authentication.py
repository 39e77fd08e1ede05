"""CreateStateMachine and ValidateStateMachineDefinition refuse an HTTP Task without an EventBridge
connection, through boto3 against a real server.

"Call HTTPS APIs in Step Functions workflows"
(https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html, "Connectivity for an
HTTP Task"): "For authorization and network connectivity, an HTTP Task requires an EventBridge
connection ... You must include the connection ARN in any HTTP Task that calls an HTTPS API", given
as `Parameters.Authentication.ConnectionArn` (`Arguments` in JSONata); "HTTP Task fields" marks
`Parameters` required. AWS's words for the refusal are not recorded (neither LocalStack's snapshots
nor the validator conformance corpus have an HTTP Task): the message and location are those AWS
gives for the Task's other nested required field (recorded: a Credentials without RoleArn is
"The field 'RoleArn' is required but was missing" at /States/State0/Credentials).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/r"
HTTP = "arn:aws:states:::http:invoke"
CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/orders/0f1e2d3c-aaaa-bbbb-cccc-000000000000"
ENDPOINT = {"ApiEndpoint": "https://api.example.com/orders", "Method": "GET"}


def _definition(query_language: str | None = None, resource: str = HTTP, **fields: Any) -> str:
    definition: dict[str, Any] = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": resource, "End": True, **fields}}}
    if query_language:
        definition["QueryLanguage"] = query_language
    return json.dumps(definition)


REFUSED = [
    pytest.param(_definition(Parameters=ENDPOINT), "Authentication", "/States/Call/Parameters",
                 id="no-authentication"),
    pytest.param(_definition(Parameters={**ENDPOINT, "Authentication": {}}), "ConnectionArn",
                 "/States/Call/Parameters/Authentication", id="no-connection-arn"),
    pytest.param(_definition(), "Parameters", "/States/Call", id="no-parameters"),
    pytest.param(_definition(resource="arn:aws:states:us-east-1:123456789012:http:invoke", Parameters=ENDPOINT),
                 "Authentication", "/States/Call/Parameters", id="regional-resource"),
    pytest.param(_definition("JSONata", Arguments=ENDPOINT), "Authentication", "/States/Call/Arguments",
                 id="jsonata-no-authentication"),
    pytest.param(_definition("JSONata", Arguments={**ENDPOINT, "Authentication": {"Connection": CONNECTION}}),
                 "ConnectionArn", "/States/Call/Arguments/Authentication", id="jsonata-no-connection-arn"),
    pytest.param(_definition("JSONata"), "Arguments", "/States/Call", id="jsonata-no-arguments"),
]


@pytest.mark.parametrize(("definition", "field", "location"), REFUSED)
def test_create_refuses_an_http_task_without_a_connection(sfn: Any, definition: str, field: str,
                                                          location: str) -> None:
    with pytest.raises(ClientError) as caught:
        sfn.create_state_machine(name="no-connection", definition=definition, roleArn=ROLE)
    assert caught.value.response["Error"]["Code"] == "InvalidDefinition"
    assert caught.value.response["Error"]["Message"] == (
        f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field '{field}' is required but was "
        f"missing at {location}'")


@pytest.mark.parametrize(("definition", "field", "location"), REFUSED)
def test_validate_reports_the_missing_connection(sfn: Any, definition: str, field: str, location: str) -> None:
    response = sfn.validate_state_machine_definition(definition=definition)
    assert response["result"] == "FAIL"
    assert response["diagnostics"] == [{
        "severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED",
        "message": f"The field '{field}' is required but was missing", "location": location}]


@pytest.mark.parametrize("definition", [
    pytest.param(_definition(Parameters={**ENDPOINT, "Authentication": {"ConnectionArn": CONNECTION}}), id="static"),
    pytest.param(_definition(Parameters={**ENDPOINT, "Authentication": {"ConnectionArn.$": "$.connection"}}),
                 id="path"),
    pytest.param(_definition(Parameters={**ENDPOINT, "Authentication.$": "$.authentication"}), id="path-object"),
    pytest.param(_definition("JSONata", Arguments={**ENDPOINT, "Authentication": {"ConnectionArn": CONNECTION}}),
                 id="jsonata"),
    pytest.param(_definition("JSONata", Arguments={**ENDPOINT, "Authentication": "{% $states.input.auth %}"}),
                 id="jsonata-expression-object"),
    pytest.param(_definition("JSONata", Arguments="{% $states.input %}"), id="jsonata-expression-arguments"),
])
def test_an_http_task_naming_a_connection_is_accepted(sfn: Any, definition: str) -> None:
    assert sfn.validate_state_machine_definition(definition=definition)["result"] == "OK"
    arn = sfn.create_state_machine(name="with-connection", definition=definition, roleArn=ROLE)["stateMachineArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
