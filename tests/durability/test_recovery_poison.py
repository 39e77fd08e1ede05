"""An execution that cannot be resumed is ended FAILED, saying why; the others resume; the server starts.

Issue "Nothing acknowledged is lost, and no request can hurt another": an execution whose records
could not be decoded crashed recovery, and since recovery runs at every start, the server never
served that file again. Here one execution's saved position is damaged on disk while the server
is down: at the next start it ends FAILED (States.Runtime) with a cause that says it could not be
resumed and why, its history closed after its last recorded event, and the other one carries on.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from processes import ROLE, Server, history, wait_for_event, wait_until_ended

HOLD = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
                                      "Done": {"Type": "Pass", "End": True}}}


def test_a_damaged_execution_is_failed_at_recovery_and_the_others_resume(tmp_path: Path) -> None:
    server = Server(tmp_path, "recovery")
    try:
        server.start()
        client = server.client()
        machine = client.create_state_machine(name="hold", definition=json.dumps(HOLD), roleArn=ROLE)["stateMachineArn"]
        damaged, healthy = (client.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"n": name}))
                            ["executionArn"] for name in ("damaged", "healthy"))
        wait_for_event(client, damaged, "WaitStateEntered")
        wait_for_event(client, healthy, "WaitStateEntered")
        server.kill()
        with sqlite3.connect(server.db) as db:
            assert db.execute("UPDATE frames SET body = '{\"previous\": ' WHERE execution_arn = ?", (damaged,)).rowcount

        server.start()
        client = server.client()
        ended = wait_until_ended(client, damaged)
        assert (ended["status"], ended["error"]) == ("FAILED", "States.Runtime")
        assert ended["cause"].startswith("The execution could not be resumed after a restart: JSONDecodeError(")
        events = history(client, damaged)
        assert [event["id"] for event in events] == list(range(1, len(events) + 1))
        assert [event["type"] for event in events][-2:] == ["WaitStateEntered", "ExecutionFailed"]

        ended = wait_until_ended(client, healthy)
        assert ended["status"] == "SUCCEEDED" and json.loads(ended["output"]) == {"n": "healthy"}
    finally:
        server.stop()
