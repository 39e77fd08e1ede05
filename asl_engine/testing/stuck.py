"""`Stuck`: what a test gets instead of a hang when an execution could only wait forever."""

from __future__ import annotations

from .history import Waiting

# AWS waits this long for a token or an activity without TimeoutSeconds (sfn-quotas); a test
# driver does not jump to it: nothing a test wants to see happens in three years.
IMPLICIT_TIMEOUT_SECONDS = 99_999_999


class Stuck(Exception):
    """The execution is parked and nothing due on the clock or pending in the engine can move it:
    a task token nobody can answer, an activity nobody polls, with no TimeoutSeconds of its own.

    `state` and `waiting_for` name the (first) state and what it waits for."""

    def __init__(self, execution: str, waits: list[Waiting], endless: str | None = None) -> None:
        self.execution = execution
        self.waits = waits
        self.state = waits[0].state if waits else None
        self.waiting_for = waits[0].kind if waits else None
        reasons = "; ".join(wait.describe() for wait in waits) or "nothing in it is due to happen"
        if endless is not None:  # timers keep firing, but the execution never gets anywhere
            super().__init__(f"the execution {execution} is still running after {endless}: {reasons}. "
                             "It may loop forever; move time by a fixed amount with advance() instead.")
            return
        super().__init__(
            f"the execution {execution} can only wait forever: {reasons}. Nothing is due on the clock "
            f"(no TimeoutSeconds or HeartbeatSeconds; AWS's implicit {IMPLICIT_TIMEOUT_SECONDS:,} s "
            "is not jumped to). Answer it from the test, or give the state a TimeoutSeconds."
        )
