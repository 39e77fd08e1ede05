"""TestState: one state run on its own, with its status, output and inspection data."""

from __future__ import annotations

from asl_engine.arns import AccountRegion
from asl_engine.service import Service, TestStateRequest

from ..protocol import Body, optional, required


async def test_state(service: Service, scope: AccountRegion, body: Body) -> Body:
    result = await service.test_state(scope, TestStateRequest(
        definition=required(body, "definition"),
        role_arn=optional(body, "roleArn"),
        input=optional(body, "input"),
        inspection_level=optional(body, "inspectionLevel"),
        variables=optional(body, "variables"),
        state_name=optional(body, "stateName"),
        mock=optional(body, "mock", dict),
        context=optional(body, "context"),
        state_configuration=optional(body, "stateConfiguration", dict),
        reveal_secrets=bool(optional(body, "revealSecrets", bool)),
    ))
    answer: Body = {"status": result.status}
    for key, value in (("output", result.output), ("error", result.error), ("cause", result.cause),
                       ("nextState", result.next_state), ("inspectionData", result.inspection_data)):
        if value is not None:
            answer[key] = value
    return answer
