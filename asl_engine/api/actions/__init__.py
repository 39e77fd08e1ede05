"""The action table: one explicit entry per supported AWS action name.

An explicit dict (rather than turning names into method names) makes the supported surface
greppable and keeps an unknown name an `UnknownOperationException`, never an AttributeError.
"""

from __future__ import annotations

from ..protocol import Handler
from . import activities, callbacks, executions, map_runs, state_machines, tags, test_state, versions

ACTIONS: dict[str, Handler] = {
    "CreateStateMachine": state_machines.create_state_machine,
    "DescribeStateMachine": state_machines.describe_state_machine,
    "UpdateStateMachine": state_machines.update_state_machine,
    "DeleteStateMachine": state_machines.delete_state_machine,
    "ListStateMachines": state_machines.list_state_machines,
    "DescribeStateMachineForExecution": state_machines.describe_state_machine_for_execution,
    "ValidateStateMachineDefinition": state_machines.validate_state_machine_definition,
    "StartExecution": executions.start_execution,
    "StartSyncExecution": executions.start_sync_execution,
    "DescribeExecution": executions.describe_execution,
    "ListExecutions": executions.list_executions,
    "StopExecution": executions.stop_execution,
    "GetExecutionHistory": executions.get_execution_history,
    "RedriveExecution": executions.redrive_execution,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsForResource": tags.list_tags_for_resource,
    "CreateActivity": activities.create_activity,
    "DescribeActivity": activities.describe_activity,
    "DeleteActivity": activities.delete_activity,
    "ListActivities": activities.list_activities,
    "GetActivityTask": activities.get_activity_task,
    "SendTaskSuccess": callbacks.send_task_success,
    "SendTaskFailure": callbacks.send_task_failure,
    "SendTaskHeartbeat": callbacks.send_task_heartbeat,
    "TestState": test_state.test_state,
    "PublishStateMachineVersion": versions.publish_state_machine_version,
    "ListStateMachineVersions": versions.list_state_machine_versions,
    "DeleteStateMachineVersion": versions.delete_state_machine_version,
    "CreateStateMachineAlias": versions.create_state_machine_alias,
    "DescribeStateMachineAlias": versions.describe_state_machine_alias,
    "UpdateStateMachineAlias": versions.update_state_machine_alias,
    "DeleteStateMachineAlias": versions.delete_state_machine_alias,
    "ListStateMachineAliases": versions.list_state_machine_aliases,
    "DescribeMapRun": map_runs.describe_map_run,
    "ListMapRuns": map_runs.list_map_runs,
    "UpdateMapRun": map_runs.update_map_run,
}
