"""A redrive that was acknowledged survives SIGKILL: the restarted server carries it on.

RedriveExecution commits the execution RUNNING, its positions and ExecutionRedriven before it
answers (service/redrive.py); a restarted server resumes RUNNING executions from their saved
positions, a redriven one like any other. AWS: "Redriven executions use the same state machine
definition and execution ARN" and continue "from the unsuccessful step"
(https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html).
"""

from __future__ import annotations

import json
from pathlib import Path

from processes import ROLE, Server, history, wait_for_event, wait_until_ended

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"
MACHINE = {"StartAt": "Hold", "States": {
    "Hold": {"Type": "Wait", "Seconds": 100, "Next": "Charge"},  # one second with WAIT_TIME_SCALE
    "Charge": {"Type": "Task", "Resource": LAMBDA + "charge", "End": True}}}


def test_a_redrive_acknowledged_before_a_kill_is_carried_on_after_the_restart(tmp_path: Path) -> None:
    server = Server(tmp_path, "redrive", {"WAIT_TIME_SCALE": "0.01"})
    server.start()
    try:
        sfn = server.client()
        machine = sfn.create_state_machine(name="redrive-kill", definition=json.dumps(MACHINE), roleArn=ROLE)
        arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"],
                                  input=json.dumps({"order": 7, "amount": 70}))["executionArn"]
        wait_for_event(sfn, arn, "WaitStateEntered")
        sfn.stop_execution(executionArn=arn)
        assert wait_until_ended(sfn, arn)["status"] == "ABORTED"

        sfn.redrive_execution(executionArn=arn)
        server.kill()  # right after the answer: the redriven run has barely begun, if at all
        server.start()
        sfn = server.client()
        described = wait_until_ended(sfn, arn)
        assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
        assert json.loads(described["output"]) == {"order": 7, "charged": 70}
        events = history(sfn, arn)
        assert [event["id"] for event in events] == list(range(1, len(events) + 1))
        kinds = [event["type"] for event in events]
        assert kinds.index("ExecutionAborted") + 1 == kinds.index("ExecutionRedriven")
        assert kinds.count("WaitStateEntered") == 2 and kinds[-1] == "ExecutionSucceeded"
        assert [call["handler"] for call in server.calls()] == ["charge"]
    finally:
        server.stop()
