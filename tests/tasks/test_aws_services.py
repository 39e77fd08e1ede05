"""Optimized integrations and aws-sdk calls against moto's server on loopback.

Shapes and error names follow the recorded cases: v2/services/test_dynamodb_task_service
(putItem/getItem results with SdkHttpMetadata), v2/services/test_sqs_task_service (sendMessage),
v2/error_handling/test_aws_sdk::test_dynamodb_put_item_no_such_table
(`DynamoDb.ResourceNotFoundException`, "… (Service: DynamoDb, Status Code: 400, Request ID: …)").
"""

from __future__ import annotations

import json

import boto3

from asl_engine.tasks.config import TaskConfig
from task_support import run_with


def test_dynamodb_put_then_get(aws_env: str) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=aws_env, region_name="us-east-1")
    dynamodb.create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    definition = {"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "orders", "Item": {"id": {"S.$": "$.id"}, "total": {"N": "12"}}},
                "ResultPath": "$.put", "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "orders", "Key": {"id": {"S.$": "$.id"}}}, "End": True}}}
    result = run_with(TaskConfig(endpoints={"dynamodb": aws_env}), definition, {"id": "o-1"})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["Item"] == {"id": {"S": "o-1"}, "total": {"N": "12"}}
    assert result.output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    scheduled = next(e for e in result.events if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
    assert (scheduled["resourceType"], scheduled["resource"], scheduled["region"]) == ("dynamodb", "putItem", "us-east-1")


def test_sqs_send_message_serialises_a_json_body(aws_env: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=aws_env, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    definition = {"StartAt": "Send", "States": {"Send": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": queue_url, "MessageBody": {"order.$": "$.order"}}, "End": True}}}
    result = run_with(TaskConfig(default_endpoint=aws_env), definition, {"order": 3})
    assert result.status == "SUCCEEDED", result.cause
    assert {"MessageId", "MD5OfMessageBody", "SdkHttpMetadata"} <= result.output.keys()
    message = sqs.receive_message(QueueUrl=queue_url)["Messages"][0]
    assert json.loads(message["Body"]) == {"order": 3}


def test_aws_sdk_describe_table_and_list_buckets(aws_env: str) -> None:
    boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1").create_bucket(Bucket="reports")
    dynamodb = boto3.client("dynamodb", endpoint_url=aws_env, region_name="us-east-1")
    dynamodb.create_table(TableName="sdk-table", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    definition = {"StartAt": "Describe", "States": {
        "Describe": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:describeTable",
                     "Parameters": {"TableName": "sdk-table"}, "ResultSelector": {"name.$": "$.Table.TableName"},
                     "ResultPath": "$.table", "Next": "Buckets"},
        "Buckets": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "Parameters": {},
                    "ResultSelector": {"names.$": "$.Buckets[*].Name"}, "ResultPath": "$.buckets", "End": True}}}
    result = run_with(TaskConfig(default_endpoint=aws_env), definition, {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["table"] == {"name": "sdk-table"}
    assert "reports" in result.output["buckets"]["names"]


def test_aws_sdk_error_is_named_as_sdk_v2_names_it(aws_env: str) -> None:
    definition = {"StartAt": "Put", "States": {"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
        "Parameters": {"TableName": "no-such-table", "Item": {"id": {"S": "x"}}}, "End": True}}}
    result = run_with(TaskConfig(default_endpoint=aws_env), definition, {})
    assert (result.status, result.error) == ("FAILED", "DynamoDb.ResourceNotFoundException")
    assert "(Service: DynamoDb, Status Code: 400, Request ID: " in result.cause


def test_aws_sdk_camel_case_api_takes_pascal_case(aws_env: str) -> None:
    """SFN's own API is camelCase (stateMachineArn); aws-sdk:sfn speaks PascalCase both ways."""
    definition = {"StartAt": "List", "States": {"List": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:listActivities",
        "Parameters": {"MaxResults": 5}, "End": True}}}
    result = run_with(TaskConfig(default_endpoint=aws_env), definition, {})
    assert result.status == "SUCCEEDED", result.cause
    assert "Activities" in result.output


def test_no_endpoint_never_reaches_real_aws() -> None:
    definition = {"StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "q", "MessageBody": "m"}, "End": True}}}
    result = run_with(TaskConfig(), definition, {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "SQS_ENDPOINT or AWS_ENDPOINT_URL" in result.cause
