"""Local Lambda handlers of the human approval: they stand for the email an approver receives and
for the escalation to a manager.

`request_approval` is invoked with `.waitForTaskToken`: it only delivers the token (here into
`OUTBOX`, and printed to the server's log, where an email would carry approve/reject links) and
returns at once. The execution then waits until someone calls SendTaskSuccess or
SendTaskFailure with that token, or until the state's TimeoutSeconds (72 hours) runs out.
"""

from __future__ import annotations

from typing import Any

Event = dict[str, Any]

OUTBOX: list[Event] = []  # approval requests "sent", oldest first; each holds its taskToken
ESCALATIONS: list[Event] = []  # requests handed to a manager after nobody answered


def reset() -> None:
    """Forget every message (tests call this between runs)."""
    OUTBOX.clear()
    ESCALATIONS.clear()


def request_approval(event: Event, context: Any) -> Event:
    """Send the approver the request and the token that answers it."""
    OUTBOX.append(event)
    request = event["request"]
    print(f"approval needed for {request['requestId']} ({request['amount']} {request['currency']}) "
          f"by {request['approver']}: answer with task token {event['taskToken']}", flush=True)
    return {"messageId": f"msg-{len(OUTBOX)}"}


def escalate(event: Event, context: Any) -> Event:
    """Nobody answered in time: hand the request to the approver's manager."""
    ESCALATIONS.append(event)
    return {"escalatedTo": f"manager-of-{event['request']['approver']}"}
