"""Item 6 of issue 15: `encryptionConfiguration` on CreateStateMachine, UpdateStateMachine and
CreateActivity is validated, stored and returned by every Describe.

Sources: API reference, EncryptionConfiguration
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_EncryptionConfiguration.html:
type AWS_OWNED_KEY | CUSTOMER_MANAGED_KMS_KEY, kmsKeyId 1-2048, kmsDataKeyReusePeriodSeconds
60-900), InvalidEncryptionConfiguration ("if type is set to CUSTOMER_MANAGED_KMS_KEY, but kmsKeyId
is null, or kmsDataKeyReusePeriodSeconds is not between 60 and 900"), the developer guide's
https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html (data key reuse
default 300 seconds), KMS key identifiers (https://docs.aws.amazon.com/kms/latest/developerguide/
concepts.html#key-id), and the recorded DescribeStateMachine answers (`{"type": "AWS_OWNED_KEY"}`
when none was given).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sfn_support import PASS, ROLE, create, error_of, unique, wait_done

from asl_engine.encryption import check_encryption
from asl_engine.aws_errors import ValidationException
from asl_engine.store import ActivityRecord, StateMachineRecord
from asl_engine.store.sqlite import SqliteStore

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CUSTOMER = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": KEY_ARN, "kmsDataKeyReusePeriodSeconds": 120}


def test_the_default_is_an_aws_owned_key(sfn: Any) -> None:
    machine = create(sfn)
    assert sfn.describe_state_machine(stateMachineArn=machine)["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}
    activity = sfn.create_activity(name=unique("act"))["activityArn"]
    assert sfn.describe_activity(activityArn=activity)["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}


def test_a_customer_managed_key_is_stored_and_described_everywhere(sfn: Any) -> None:
    created = sfn.create_state_machine(name=unique("kms"), definition=PASS, roleArn=ROLE,
                                       encryptionConfiguration=CUSTOMER, publish=True)
    machine = created["stateMachineArn"]
    assert sfn.describe_state_machine(stateMachineArn=machine)["encryptionConfiguration"] == CUSTOMER
    assert sfn.describe_state_machine(stateMachineArn=created["stateMachineVersionArn"])[
        "encryptionConfiguration"] == CUSTOMER
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert wait_done(sfn, execution)["status"] == "SUCCEEDED"
    assert sfn.describe_state_machine_for_execution(executionArn=execution)["encryptionConfiguration"] == CUSTOMER
    activity = sfn.create_activity(name=unique("act"), encryptionConfiguration={
        "type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/step-functions"})["activityArn"]
    assert sfn.describe_activity(activityArn=activity)["encryptionConfiguration"] == {
        "type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/step-functions", "kmsDataKeyReusePeriodSeconds": 300}


def test_update_changes_only_the_encryption(sfn: Any) -> None:
    machine = create(sfn)
    sfn.update_state_machine(stateMachineArn=machine, encryptionConfiguration=CUSTOMER)
    described = sfn.describe_state_machine(stateMachineArn=machine)
    assert (described["encryptionConfiguration"], json.loads(described["definition"])) == (CUSTOMER, json.loads(PASS))
    sfn.update_state_machine(stateMachineArn=machine, definition=PASS.replace('"P"', '"Q"'))
    assert sfn.describe_state_machine(stateMachineArn=machine)["encryptionConfiguration"] == CUSTOMER
    sfn.update_state_machine(stateMachineArn=machine, encryptionConfiguration={"type": "AWS_OWNED_KEY"})
    assert sfn.describe_state_machine(stateMachineArn=machine)["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}


@pytest.mark.parametrize("config, expected", [
    ({"type": "CUSTOMER_MANAGED_KMS_KEY"},
     ("InvalidEncryptionConfiguration", "Invalid Encryption Configuration: Must set a valid kmsKeyId.")),
    ({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "not-a-key"},
     ("InvalidEncryptionConfiguration", "Invalid Encryption Configuration: Must set a valid kmsKeyId.")),
    ({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "arn:aws:iam::123456789012:role/not-a-key"},
     ("InvalidEncryptionConfiguration", "Invalid Encryption Configuration: Must set a valid kmsKeyId.")),
    ({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": KEY_ARN, "kmsDataKeyReusePeriodSeconds": 901},
     ("ValidationException", "1 validation error detected: Value '901' at "
      "'encryptionConfiguration.kmsDataKeyReusePeriodSeconds' failed to satisfy constraint: "
      "Member must have value less than or equal to 900")),
])
def test_invalid_configurations_are_refused_by_all_three_actions(sfn: Any, config: dict[str, Any],
                                                                 expected: tuple[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        create(sfn, encryptionConfiguration=config)
    assert error_of(excinfo) == expected
    machine = create(sfn)
    with pytest.raises(ClientError) as excinfo:
        sfn.update_state_machine(stateMachineArn=machine, encryptionConfiguration=config)
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError) as excinfo:
        sfn.create_activity(name=unique("act"), encryptionConfiguration=config)
    assert error_of(excinfo) == expected


def test_the_configuration_is_stored(tmp_path: Any) -> None:
    """Kept in the database (schema step 6 -> 7), not in memory: a store opened again reads it."""
    machine = StateMachineRecord(arn="arn:aws:states:us-east-1:123456789012:stateMachine:m", account="123456789012",
                                 region="us-east-1", name="m", type="STANDARD", definition=PASS, role_arn=ROLE,
                                 creation_date=1.0, encryption_configuration=CUSTOMER)
    activity = ActivityRecord("arn:aws:states:us-east-1:123456789012:activity:a", "123456789012", "us-east-1",
                              "a", 1.0, encryption_configuration={"type": "AWS_OWNED_KEY"})

    async def scenario() -> tuple[Any, Any]:
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        await store.put_state_machine(machine, new_revision=True)
        await store.put_activity(activity)
        await store.close()
        store = SqliteStore(str(tmp_path / "s.db"))
        await store.open()
        try:
            return await store.get_state_machine(machine.arn), await store.get_activity(activity.arn)
        finally:
            await store.close()

    stored_machine, stored_activity = asyncio.run(scenario())
    assert stored_machine.encryption_configuration == CUSTOMER
    assert stored_activity.encryption_configuration == {"type": "AWS_OWNED_KEY"}


def test_a_reuse_period_below_60_is_a_model_constraint() -> None:
    """boto3 refuses it before sending (min 60 in the model); the server answers it the same way."""
    with pytest.raises(ValidationException) as excinfo:
        check_encryption({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": KEY_ARN, "kmsDataKeyReusePeriodSeconds": 30})
    assert excinfo.value.message == ("1 validation error detected: Value '30' at "
                                     "'encryptionConfiguration.kmsDataKeyReusePeriodSeconds' failed to satisfy "
                                     "constraint: Member must have value greater than or equal to 60")
