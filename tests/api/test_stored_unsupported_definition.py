"""A state machine stored before asl-engine refused a field it cannot honour (here a Distributed
Map reading a PARQUET file) is still in users' SQLite files. Starting it must
never be a 500. Two answers are AWS-shaped: StartExecution refused with a 400 error from its
documented list (ValidationException, or InvalidDefinition as CreateStateMachine words it;
https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#API_StartExecution_Errors),
or the execution started and failed with States.Runtime, AWS's error for an execution that cannot
go on (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). Either
way the message names the field. The test plants such a definition with SQL, as an older release
would have stored it."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from asl_engine.api.app import create_app
from asl_engine.config import Config
from serving import ServerThread, boto_client

ROLE = "arn:aws:iam::123456789012:role/sfn"
PLAIN = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                     "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    "End": True}}}
STORED = json.loads(json.dumps(PLAIN))
STORED["States"]["Each"].update({
    "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                   "ReaderConfig": {"InputType": "PARQUET"}, "Parameters": {"Bucket": "b", "Key": "k"}},
    "ItemBatcher": {"MaxItemsPerBatch": 10},
    "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}}})
# Stored before a Wait state's Timestamp was checked at creation (it then failed only at run time).
BAD_TIMESTAMP = {"StartAt": "Until", "States": {"Until": {"Type": "Wait", "Timestamp": "not-a-date", "End": True}}}


def _serve(db: Path) -> ServerThread:
    thread = ServerThread(create_app(Config(db_path=str(db), clock="virtual")))
    thread.start()
    return thread


@pytest.mark.parametrize("stored, field", [(STORED, "PARQUET"), (BAD_TIMESTAMP, "Timestamp")])
def test_starting_a_stored_definition_with_refused_fields_is_not_a_500(tmp_path: Path, stored: dict,
                                                                         field: str) -> None:
    db = tmp_path / "old.db"
    server = _serve(db)
    try:
        arn = boto_client(server.url).create_state_machine(
            name="old-distributed", definition=json.dumps(PLAIN), roleArn=ROLE)["stateMachineArn"]
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:  # what an older release stored
        assert conn.execute("UPDATE state_machines SET definition = ? WHERE arn = ?",
                            (json.dumps(stored), arn)).rowcount == 1
        conn.execute("UPDATE state_machine_revisions SET definition = ? WHERE state_machine_arn = ?",
                     (json.dumps(stored), arn))
    server = _serve(db)
    try:
        client = boto_client(server.url)
        try:
            execution = client.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        except ClientError as refused:
            assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            assert refused.response["Error"]["Code"] in ("InvalidDefinition", "ValidationException")
            assert field in refused.response["Error"]["Message"]
            return
        deadline = time.monotonic() + 20
        while (described := client.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution never ended"
            time.sleep(0.05)
        assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
        assert field in described["cause"]
    finally:
        server.stop()
