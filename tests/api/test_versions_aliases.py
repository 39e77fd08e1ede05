"""State machine versions and aliases through real boto3 against the server.

Docs: guide:concepts-state-machine-version
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-state-machine-version.html) and
guide:concepts-state-machine-alias
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-state-machine-alias.html), plus
the API reference pages named in each test.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from sfn_support import ROLE, create, error_of, unique, wait_done


def pass_result(value: str) -> str:
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": value, "End": True}}})


def run(sfn, arn: str) -> dict:
    started = sfn.start_execution(stateMachineArn=arn, input="{}")
    return wait_done(sfn, started["executionArn"])


def test_publish_on_create_and_update(sfn):
    """API_CreateStateMachine / API_UpdateStateMachine: publish=true returns the version ARN,
    numbered from 1; DescribeStateMachine on it returns the version with its description."""
    name = unique("ver")
    created = sfn.create_state_machine(name=name, definition=pass_result("v1"), roleArn=ROLE,
                                       publish=True, versionDescription="first")
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("v2"), publish=True,
                                       versionDescription="second")
    assert updated["stateMachineVersionArn"] == f"{arn}:2"
    first = sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert first["stateMachineArn"] == f"{arn}:1"
    assert json.loads(first["definition"])["States"]["P"]["Result"] == "v1"
    assert first["description"] == "first"
    second = sfn.describe_state_machine(stateMachineArn=f"{arn}:2")
    assert second["revisionId"] == updated["revisionId"] and second["description"] == "second"
    assert "description" not in sfn.describe_state_machine(stateMachineArn=arn)


def test_concurrent_updates_each_publish_their_own_revision(sfn):
    """API_UpdateStateMachine: `stateMachineVersionArn` is "the ARN of the published state machine
    version" that this update published: eight callers updating at once each get a version holding
    their own definition (they got another caller's, and their own was in no version)."""
    from concurrent.futures import ThreadPoolExecutor

    arn = create(sfn, definition=pass_result("v0"))

    def update(index: int) -> tuple[str, str]:
        answer = sfn.update_state_machine(stateMachineArn=arn, definition=pass_result(f"v{index + 1}"),
                                          publish=True)
        return f"v{index + 1}", answer["stateMachineVersionArn"]

    with ThreadPoolExecutor(8) as pool:
        published = list(pool.map(update, range(8)))
    for value, version in published:
        definition = json.loads(sfn.describe_state_machine(stateMachineArn=version)["definition"])
        assert definition["States"]["P"]["Result"] == value
    assert len({version for _, version in published}) == 8


def test_version_description_needs_publish(sfn):
    """API_CreateStateMachine: versionDescription goes with publish=true."""
    with pytest.raises(ClientError) as excinfo:
        create(sfn, versionDescription="orphan")
    assert error_of(excinfo)[0] == "ValidationException"


def test_publish_is_idempotent_and_numbers_are_not_reused(sfn):
    """API_PublishStateMachineVersion: publishing the current revision again returns its version;
    concepts-state-machine-version: numbers are never reused after a delete."""
    arn = create(sfn, pass_result("a"))
    first = sfn.publish_state_machine_version(stateMachineArn=arn, description="one")
    again = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert first["stateMachineVersionArn"] == again["stateMachineVersionArn"] == f"{arn}:1"
    assert first["creationDate"] == again["creationDate"]
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("b"))
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:2"
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("c"))
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:3"


def test_publish_with_a_stale_revision_id_conflicts(sfn):
    """API_PublishStateMachineVersion: a revisionId that is not the current one is a conflict;
    INITIAL names a machine's first revision."""
    arn = create(sfn)
    assert sfn.publish_state_machine_version(stateMachineArn=arn, revisionId="INITIAL")
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("x"))
    with pytest.raises(ClientError) as excinfo:
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId="INITIAL")
    assert error_of(excinfo)[0] == "ConflictException"


def test_list_and_delete_versions(sfn):
    """API_ListStateMachineVersions (newest first, paged) and API_DeleteStateMachineVersion."""
    arn = create(sfn, pass_result("0"))
    for i in range(3):
        sfn.update_state_machine(stateMachineArn=arn, definition=pass_result(str(i + 1)), publish=True)
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:3", f"{arn}:2", f"{arn}:1"]
    page = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=2)
    assert len(page["stateMachineVersions"]) == 2
    rest = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=2, nextToken=page["nextToken"])
    assert [v["stateMachineVersionArn"] for v in rest["stateMachineVersions"]] == [f"{arn}:1"]
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")  # absent: still succeeds
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:3", f"{arn}:1"]
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine(stateMachineArn=f"{arn}:2")
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"


def test_start_through_a_version_runs_that_version(sfn):
    """API_StartExecution: a version ARN runs that version's definition, not the latest; the
    execution ARN stays unqualified and API_DescribeExecution reports stateMachineVersionArn."""
    name = unique("run-ver")
    arn = sfn.create_state_machine(name=name, definition=pass_result("old"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("new"))
    started = sfn.start_execution(stateMachineArn=f"{arn}:1", name="through-version")
    assert started["executionArn"] == arn.replace(":stateMachine:", ":execution:") + ":through-version"
    described = wait_done(sfn, started["executionArn"])
    assert json.loads(described["output"]) == "old"
    assert described["stateMachineArn"] == arn
    assert described["stateMachineVersionArn"] == f"{arn}:1"
    assert "stateMachineAliasArn" not in described
    assert json.loads(run(sfn, arn)["output"]) == "new"
    for_execution = sfn.describe_state_machine_for_execution(executionArn=started["executionArn"])
    assert json.loads(for_execution["definition"])["States"]["P"]["Result"] == "old"
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=f"{arn}:9")
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"


@pytest.mark.parametrize("qualifier", ["99999999999999999999999", "9223372036854775808"])
def test_a_version_number_past_any_stored_one_does_not_exist(sfn, qualifier):
    """A version ARN names a number of any length; one past the store's 64-bit integers was an
    OverflowError from the database, answered 500 InternalFailure by every call that takes one."""
    arn = sfn.create_state_machine(name=unique("big-ver"), definition=pass_result("v"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    for call in (lambda: sfn.start_execution(stateMachineArn=f"{arn}:{qualifier}"),
                 lambda: sfn.describe_state_machine(stateMachineArn=f"{arn}:{qualifier}"),
                 lambda: sfn.list_state_machine_aliases(stateMachineArn=f"{arn}:{qualifier}")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:{qualifier}")  # absent: succeeds
    assert [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=arn)[
        "stateMachineVersions"]] == [f"{arn}:1"]


def test_a_version_qualifier_is_ascii_digits(sfn):
    """U+0661 ARABIC-INDIC DIGIT ONE passes str.isdigit and int() reads it as 1; AWS's version
    qualifier is a number (arn:...:stateMachine:name:1), so this ARN names no version."""
    arn = sfn.create_state_machine(name=unique("digit-ver"), definition=pass_result("v"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=f"{arn}:\u0661")
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"


def test_alias_lifecycle(sfn):
    """API_CreateStateMachineAlias, API_DescribeStateMachineAlias, API_UpdateStateMachineAlias,
    API_ListStateMachineAliases (newest first; by version ARN), API_DeleteStateMachineAlias."""
    arn = create(sfn, pass_result("1"), publish=True)
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("2"), publish=True)
    v1, v2 = f"{arn}:1", f"{arn}:2"
    prod = sfn.create_state_machine_alias(
        name="PROD", description="production",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
    assert prod["stateMachineAliasArn"] == f"{arn}:PROD"
    again = sfn.create_state_machine_alias(
        name="PROD", description="production",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
    assert again["creationDate"] == prod["creationDate"]  # idempotent
    sfn.create_state_machine_alias(name="beta", routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}])
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:PROD")
    assert described["name"] == "PROD" and described["description"] == "production"
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
    assert "updateDate" not in described
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [f"{arn}:beta", f"{arn}:PROD"]
    by_version = sfn.list_state_machine_aliases(stateMachineArn=v1)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in by_version] == [f"{arn}:PROD"]
    routing = [{"stateMachineVersionArn": v1, "weight": 30}, {"stateMachineVersionArn": v2, "weight": 70}]
    updated = sfn.update_state_machine_alias(stateMachineAliasArn=f"{arn}:PROD", routingConfiguration=routing)
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:PROD")
    assert described["routingConfiguration"] == routing and described["updateDate"] == updated["updateDate"]
    assert described["description"] == "production"
    sfn.delete_state_machine_alias(stateMachineAliasArn=f"{arn}:beta")
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:beta")
    assert error_of(excinfo)[0] == "ResourceNotFound"


def test_start_through_an_alias_picks_by_weight(sfn):
    """concepts-state-machine-alias (Alias routing configuration): an execution through an alias
    runs one of its versions, chosen by weight; DescribeExecution reports both ARNs."""
    arn = create(sfn, pass_result("one"), publish=True)
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("two"), publish=True)
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("latest"))
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100},
                                           {"stateMachineVersionArn": f"{arn}:2", "weight": 0}],
    )["stateMachineAliasArn"]
    described = run(sfn, alias)
    assert json.loads(described["output"]) == "one"
    assert described["stateMachineAliasArn"] == alias
    assert described["stateMachineVersionArn"] == f"{arn}:1"
    assert described["executionArn"].startswith(arn.replace(":stateMachine:", ":execution:") + ":")
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": f"{arn}:1", "weight": 50}, {"stateMachineVersionArn": f"{arn}:2", "weight": 50}])
    outputs = {json.loads(run(sfn, alias)["output"]) for _ in range(40)}
    assert outputs == {"one", "two"}


def test_invalid_routing_and_unknown_versions(sfn):
    """API_CreateStateMachineAlias: weights must sum to 100 (ValidationException with reason
    INVALID_ROUTING_CONFIGURATION); a version that does not exist is ResourceNotFound; the alias
    name follows its pattern."""
    arn = create(sfn, publish=True)
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name="bad", routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 60}])
    assert error_of(excinfo)[0] == "ValidationException"
    assert excinfo.value.response["reason"] == "INVALID_ROUTING_CONFIGURATION"
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name="missing", routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:7", "weight": 100}])
    assert error_of(excinfo)[0] == "ResourceNotFound"
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name="123", routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 100}])
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=f"{arn}:nosuchalias")
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"


def test_a_version_an_alias_uses_cannot_be_deleted(sfn):
    """API_DeleteStateMachineVersion: a version an alias references is a ConflictException."""
    arn = create(sfn, publish=True)
    alias = sfn.create_state_machine_alias(
        name="pinned", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    )["stateMachineAliasArn"]
    with pytest.raises(ClientError) as excinfo:
        sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
    assert error_of(excinfo)[0] == "ConflictException"
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")


def test_a_deleted_alias_deletes_again_and_does_not_update(sfn):
    """Recorded against AWS (LocalStack's snapshots test_delete_no_such_alias_arn and
    test_update_no_such_alias_arn): DeleteStateMachineAlias on a deleted alias answers 200;
    UpdateStateMachineAlias on it is ResourceNotFound "Request references a resource that does
    not exist."."""
    arn = create(sfn, publish=True)
    alias = sfn.create_state_machine_alias(
        name="gone", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    )["stateMachineAliasArn"]
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    with pytest.raises(ClientError) as excinfo:
        sfn.update_state_machine_alias(stateMachineAliasArn=alias, description="again")
    assert error_of(excinfo) == ("ResourceNotFound", "Request references a resource that does not exist.")
    assert sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"] == []


def test_deleting_the_machine_deletes_versions_and_aliases(sfn):
    """API_DeleteStateMachine: deletes the machine's versions and aliases."""
    name = unique("gone")
    arn = create(sfn, name=name, publish=True)
    alias = sfn.create_state_machine_alias(
        name="a", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    )["stateMachineAliasArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert error_of(excinfo)[0] == "ResourceNotFound"
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=f"{arn}:1")
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"
    recreated = sfn.create_state_machine(name=name, definition=pass_result("again"), roleArn=ROLE, publish=True)
    assert recreated["stateMachineVersionArn"] == f"{arn}:1"


def test_start_sync_through_a_version(sfn):
    """API_StartSyncExecution: an Express machine's version ARN runs that version."""
    arn = create(sfn, pass_result("express-v1"), type="EXPRESS", publish=True)
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("express-v2"))
    result = sfn.start_sync_execution(stateMachineArn=f"{arn}:1")
    assert result["status"] == "SUCCEEDED" and json.loads(result["output"]) == "express-v1"
    assert result["stateMachineArn"] == arn


def test_list_executions_of_a_version_or_an_alias(sfn):
    """API_ListExecutions takes a version or alias ARN (its stateMachineArn: "the Amazon Resource
    Name (ARN) of the state machine whose executions is listed ... a version or alias ARN"); its
    items carry stateMachineVersionArn, stateMachineAliasArn and redriveCount, 0 included
    (recorded against AWS: LocalStack's snapshot test_list_executions_versions_pagination)."""
    arn = sfn.create_state_machine(name=unique("list-ver"), definition=pass_result("v1"), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("v2"), publish=True)
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}])["stateMachineAliasArn"]
    started = {target: [run(sfn, target)["executionArn"] for _ in range(2)] for target in (arn, f"{arn}:1", alias)}

    def listed(target: str) -> list[dict]:
        return sfn.list_executions(stateMachineArn=target)["executions"]

    assert [item["executionArn"] for item in listed(f"{arn}:1")] == started[f"{arn}:1"][::-1]
    assert [item["executionArn"] for item in listed(alias)] == started[alias][::-1]
    assert [item["executionArn"] for item in listed(f"{arn}:2")] == started[alias][::-1]  # the alias ran version 2
    assert len(listed(arn)) == 6
    through_alias = listed(alias)[0]
    assert through_alias["stateMachineArn"] == arn and through_alias["redriveCount"] == 0
    assert (through_alias["stateMachineVersionArn"], through_alias["stateMachineAliasArn"]) == (f"{arn}:2", alias)
    plain = next(item for item in listed(arn) if item["executionArn"] in started[arn])
    assert plain["redriveCount"] == 0 and "stateMachineVersionArn" not in plain
    with pytest.raises(ClientError) as excinfo:
        sfn.list_executions(stateMachineArn=f"{arn}:7")
    assert error_of(excinfo)[0] == "StateMachineDoesNotExist"


def test_alias_and_version_errors_in_aws_words(sfn):
    """Recorded against AWS (LocalStack's test_sfn_api_aliasing snapshots): a routing list longer
    than the model's 2 is printed as Java prints the request object; a weight past 100 is named by
    its place in the list; a version an alias uses names the alias by its name."""
    arn = create(sfn, publish=True)
    for _ in range(2):
        sfn.update_state_machine(stateMachineArn=arn, definition=pass_result(unique("v")), publish=True)
    routes = [{"stateMachineVersionArn": f"{arn}:{n}", "weight": w} for n, w in ((1, 50), (2, 30), (3, 20))]
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name="three", routingConfiguration=routes)
    listed = ", ".join(f"RoutingConfigurationListItem(stateMachineVersionArn={arn}:{n}, weight={w})"
                       for n, w in ((1, 50), (2, 30), (3, 20)))
    assert error_of(excinfo) == ("ValidationException", f"1 validation error detected: Value '[{listed}]' at "
                                 "'routingConfiguration' failed to satisfy constraint: Member must have length less "
                                 "than or equal to 2")
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name="heavy", routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 101}])
    assert error_of(excinfo)[1] == ("1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' "
                                    "failed to satisfy constraint: Member must have value less than or equal to 100")
    sfn.create_state_machine_alias(name="pinned", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1",
                                                                         "weight": 100}])
    with pytest.raises(ClientError) as excinfo:
        sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
    assert error_of(excinfo) == ("ConflictException", "Version to be deleted must not be referenced by an alias. "
                                 "Current list of aliases referencing this version: [pinned]")


def test_an_update_that_changes_nothing_makes_no_revision(sfn):
    """Recorded against AWS (LocalStack's snapshots test_empty_revision_with_publish_and_publish_on_creation
    and ..._no_publish_on_creation): UpdateStateMachine with the definition the machine already has
    and publish=true answers version 1 every time, with updateDate and no revisionId."""
    definition = pass_result("same")
    arn = sfn.create_state_machine(name=unique("same"), definition=definition, roleArn=ROLE)["stateMachineArn"]
    revision = sfn.describe_state_machine(stateMachineArn=arn).get("revisionId")  # none until an update
    for _ in range(2):
        answer = sfn.update_state_machine(stateMachineArn=arn, definition=definition, publish=True)
        assert answer["stateMachineVersionArn"] == f"{arn}:1" and "updateDate" in answer
        assert "revisionId" not in answer
    assert sfn.describe_state_machine(stateMachineArn=arn).get("revisionId") == revision
    changed = sfn.update_state_machine(stateMachineArn=arn, definition=pass_result("other"), publish=True)
    assert changed["stateMachineVersionArn"] == f"{arn}:2" and changed["revisionId"] != revision
