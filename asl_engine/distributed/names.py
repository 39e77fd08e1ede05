"""The ARNs AWS gives a Map Run and the child executions it starts.

A Map Run of state machine `m` is `...:mapRun:m/<label>:<run id>`; its children run the
processor as a state machine of their own, `...:stateMachine:m/<label>`, and are
`...:execution:m/<label>:<name>` (STANDARD) or `...:express:m/<label>:<name>:<uuid>` (EXPRESS),
as DescribeMapRun, ListExecutions(mapRunArn) and DescribeExecution show them on AWS
("Distributed Map state", "Viewing a Map Run" in the developer guide).
"""

from __future__ import annotations

import uuid
from typing import Any


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


def label_of(child_machine_arn: str) -> str:
    """`...:stateMachine:m/label` -> `label`."""
    return child_machine_arn.rsplit("/", 1)[1]


def processor_of(definition: Any, label: str) -> Any | None:
    """The ItemProcessor of the Distributed Map whose Map Run label is `label`, in a parent's
    definition (DescribeStateMachineForExecution of a child): the Map with that `Label`, or the
    only Distributed Map without one (its label was made up when its Map Run started)."""
    labelled: list[Any] = []
    unlabelled: list[Any] = []

    def visit(scope: Any) -> None:
        states = scope.get("States") if isinstance(scope, dict) else None
        for state in (states or {}).values():
            if not isinstance(state, dict):
                continue
            for branch in state.get("Branches") or []:
                visit(branch)
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if isinstance(processor, dict):
                if (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED":
                    (labelled if state.get("Label") == label else unlabelled if "Label" not in state else []
                     ).append(processor)
                visit(processor)

    visit(definition)
    if labelled:
        return labelled[0]
    return unlabelled[0] if len(unlabelled) == 1 else None
