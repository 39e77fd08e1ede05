"""Every answer carries an `x-amzn-RequestId` shaped as AWS's (a version-4 UUID), a different one
for each request, errors included (a request id is what AWS support asks for to trace a call;
https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html)."""

from __future__ import annotations

import json
import uuid

import httpx

HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


def test_request_ids_are_distinct_version_4_uuids(server):
    ids = []
    for action in ("ListStateMachines", "ListActivities", "LaunchRockets", "ListStateMachines"):
        response = httpx.post(server.url + "/", content=json.dumps({}).encode(),
                              headers={**HEADERS, "X-Amz-Target": f"AWSStepFunctions.{action}"})
        ids.append(response.headers["x-amzn-RequestId"])
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        parsed = uuid.UUID(request_id)
        assert str(parsed) == request_id and parsed.version == 4 and parsed.variant == uuid.RFC_4122
