"""loggingConfiguration is checked as AWS checks it, and described back as AWS describes it.

Recorded against AWS in LocalStack's snapshots of tests/aws/services/stepfunctions/v2/
test_sfn_api_logs.py (test_invalid_logging_configuration, test_multiple_destinations,
test_incomplete_logging_configuration, test_update_logging_configuration): a level other than OFF
without exactly one destination is InvalidLoggingConfiguration "Invalid Logging Configuration:
Must specify exactly one Log Destination.", on CreateStateMachine and UpdateStateMachine alike;
`destinations: []` is accepted and described as level OFF without execution data. Before this
check every one of them was accepted (and `level: "BOGUS"` too).
"""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError
from sfn_support import PASS, ROLE, error_of, unique

GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/demo:*"
DESTINATION = {"cloudWatchLogsLogGroup": {"logGroupArn": GROUP}}
ONE_DESTINATION_ONLY = ("InvalidLoggingConfiguration",
                        "Invalid Logging Configuration: Must specify exactly one Log Destination.")


@pytest.mark.parametrize("configuration", [
    {"level": "ALL"}, {"level": "ERROR"}, {"level": "FATAL", "destinations": []},
    {"level": "ALL", "destinations": [DESTINATION, DESTINATION]},
    {"level": "OFF", "destinations": [DESTINATION, DESTINATION]},
])
def test_a_level_needs_exactly_one_destination(sfn, configuration):
    with pytest.raises(ClientError) as caught:
        sfn.create_state_machine(name=unique("logs"), definition=PASS, roleArn=ROLE,
                                 loggingConfiguration=configuration)
    assert error_of(caught) == ONE_DESTINATION_ONLY


def test_an_unknown_level_is_a_validation_error(server):
    response = httpx.post(server.url + "/", json={"name": unique("logs"), "definition": PASS, "roleArn": ROLE,
                                                  "loggingConfiguration": {"level": "BOGUS"}},
                          headers={"X-Amz-Target": "AWSStepFunctions.CreateStateMachine",
                                   "Content-Type": "application/x-amz-json-1.0"})
    assert response.status_code == 400
    assert response.json() == {"__type": "ValidationException", "message": (
        "1 validation error detected: Value 'BOGUS' at 'loggingConfiguration.level' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]")}


def test_valid_configurations_are_described_back(sfn):
    arn = sfn.create_state_machine(name=unique("logs"), definition=PASS, roleArn=ROLE,
                                   loggingConfiguration={"destinations": []})["stateMachineArn"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"] == {
        "destinations": [], "includeExecutionData": False, "level": "OFF"}
    configured = {"level": "ALL", "includeExecutionData": True, "destinations": [DESTINATION]}
    sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=configured)
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"] == configured
    with pytest.raises(ClientError) as caught:
        sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration={
            "level": "FATAL", "destinations": [DESTINATION, DESTINATION]})
    assert error_of(caught) == ONE_DESTINATION_ONLY
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"] == configured
