"""examples/human-approval: wait up to 72 hours on a task token, escalate when nobody answers.

The callback pattern is AWS's "Wait for a Callback with Task Token"
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token),
as in AWS's human approval tutorial
(https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-human-approval.html);
the timeout is TimeoutSeconds caught as States.Timeout
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html), and a late
answer is refused with TaskTimedOut (API_SendTaskSuccess, Errors). The approver answers with
boto3's SendTaskSuccess / SendTaskFailure while the execution is parked on its token; the hours
in between are virtual, so three days take milliseconds.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from asl_engine.testing import Environment
from example_support import assert_valid, load_example, seconds_in

APPROVAL = load_example("human-approval")
mail: Any = APPROVAL.handlers
REQUEST = {"requestId": "exp-17", "amount": 1200, "currency": "EUR", "approver": "alice"}


@pytest.fixture
def approvals(asl: Environment) -> Environment:
    """The approval workflow deployed, its email and escalation run by the example's handlers."""
    mail.reset()
    APPROVAL.deploy(asl, "HumanApproval", "request_approval", "escalate")
    return asl


def test_definition_is_valid() -> None:
    assert_valid(APPROVAL)


def test_alice_approves_five_hours_later(approvals: Environment) -> None:
    request = approvals.start("HumanApproval", REQUEST).wait(state="RequestApproval")
    token = request.task_token("RequestApproval")
    assert mail.OUTBOX[0]["taskToken"] == token  # the email carries the token

    approvals.advance(hours=5)  # alice reads her email
    approvals.client.send_task_success(taskToken=token, output=json.dumps({"approver": "alice",
                                                                           "comment": "fine by me"}))
    request.wait()

    assert request.status == "SUCCEEDED", request.cause
    assert request.output == {"requestId": "exp-17", "status": "APPROVED", "decidedBy": "alice",
                              "comment": "fine by me"}
    assert request.path == ["RequestApproval", "Approved"]
    # Scheduled, started, the token handed out (TaskSubmitted), then the answer 5 hours later.
    task_events = {e["type"]: seconds_in(request, e) for e in request.events
                   if e["type"] in ("TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded")}
    assert task_events == {"TaskScheduled": 0, "TaskStarted": 0, "TaskSubmitted": 0, "TaskSucceeded": 5 * 3600}
    assert mail.OUTBOX[0]["request"] == REQUEST and mail.OUTBOX[0]["executionArn"] == request.arn


def test_alice_rejects_it_the_next_day(approvals: Environment) -> None:
    request = approvals.start("HumanApproval", REQUEST).wait(state="RequestApproval")

    approvals.advance(hours=30)
    approvals.client.send_task_failure(taskToken=request.task_token("RequestApproval"), error="Rejected",
                                       cause="over the team budget")
    request.wait()

    assert request.status == "SUCCEEDED", request.cause
    assert request.output == {"requestId": "exp-17", "status": "REJECTED", "reason": "over the team budget"}
    assert request.path == ["RequestApproval", "Rejected"]
    assert mail.ESCALATIONS == []


def test_nobody_answers_for_72_hours_so_it_escalates(approvals: Environment) -> None:
    started = approvals.now()
    request = approvals.start("HumanApproval", REQUEST).wait()

    assert approvals.now() - started == timedelta(hours=72)  # virtual time: no wall time passed
    assert request.status == "SUCCEEDED", request.cause
    assert request.output == {"requestId": "exp-17", "status": "ESCALATED", "escalatedTo": "manager-of-alice"}
    assert request.path == ["RequestApproval", "Escalate", "Escalated"]
    timed_out = next(e for e in request.events if e["type"] == "TaskTimedOut")
    assert seconds_in(request, timed_out) == 72 * 3600
    assert timed_out["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    assert [m["request"]["requestId"] for m in mail.ESCALATIONS] == ["exp-17"]
    # A late answer is refused: SendTaskSuccess answers TaskTimedOut for an expired token.
    with pytest.raises(approvals.client.exceptions.TaskTimedOut):
        approvals.client.send_task_success(taskToken=mail.OUTBOX[0]["taskToken"], output="{}")


def test_after_71_hours_it_is_still_waiting(approvals: Environment) -> None:
    request = approvals.start("HumanApproval", REQUEST).wait(state="RequestApproval")

    approvals.advance(hours=71)

    assert request.status == "RUNNING"
    assert request.path == ["RequestApproval"]
    approvals.advance(hours=1)
    assert request.path == ["RequestApproval", "Escalate", "Escalated"]


def test_a_mocked_rejection_needs_no_human(approvals: Environment) -> None:
    """Mocked in code: the task fails at once, as SFN Local's Throw would, and no email goes out."""
    approvals.mock("HumanApproval", "RequestApproval", raises=("Rejected", "not this quarter"))
    request = approvals.start("HumanApproval", REQUEST).wait()

    assert request.output == {"requestId": "exp-17", "status": "REJECTED", "reason": "not this quarter"}
    assert mail.OUTBOX == []


@pytest.mark.parametrize(("case", "status"), [("Approved", "APPROVED"), ("Rejected", "REJECTED"),
                                              ("NobodyAnswers", "ESCALATED")])
def test_the_mock_config_file_answers_without_a_human(approvals: Environment, case: str, status: str) -> None:
    """SFN Local's MockConfigFile answers a .waitForTaskToken state at once: CI needs no approver."""
    approvals.mock_config(APPROVAL.mock_config)
    request = approvals.start("HumanApproval", REQUEST, test_case=case).wait()

    assert request.status == "SUCCEEDED", request.cause
    assert request.output["status"] == status
    assert mail.OUTBOX == []
