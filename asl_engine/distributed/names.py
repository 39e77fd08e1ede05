"""The ARNs AWS gives a Map Run and the child executions it starts.

A Map Run of state machine `m` is `...:mapRun:m/<label>:<run id>`; its children run the
processor as a state machine of their own, `...:stateMachine:m/<label>`, and are
`...:execution:m/<label>:<name>` (STANDARD) or `...:express:m/<label>:<name>:<uuid>` (EXPRESS),
as DescribeMapRun, ListExecutions(mapRunArn) and DescribeExecution show them on AWS
("Distributed Map state", "Viewing a Map Run" in the developer guide).
"""

from __future__ import annotations

import uuid


def map_run_arn(state_machine_arn: str, label: str, run_id: str | None = None) -> str:
    prefix = state_machine_arn.replace(":stateMachine:", ":mapRun:", 1)
    return f"{prefix}/{label}:{run_id or uuid.uuid4()}"


def map_run_id(map_run_arn: str) -> str:
    """The last part of the ARN: the folder ResultWriter writes under."""
    return map_run_arn.rsplit(":", 1)[1]


def child_machine_arn(map_run_arn: str) -> str:
    """`...:mapRun:m/label:id` -> `...:stateMachine:m/label`."""
    return map_run_arn.rsplit(":", 1)[0].replace(":mapRun:", ":stateMachine:", 1)


def child_execution_arn(map_run_arn: str, name: str, express: bool = False) -> str:
    machine = map_run_arn.rsplit(":", 1)[0]
    if express:
        return f"{machine.replace(':mapRun:', ':express:', 1)}:{name}:{uuid.uuid4()}"
    return f"{machine.replace(':mapRun:', ':execution:', 1)}:{name}"
