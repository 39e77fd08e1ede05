"""RedriveExecution: a Standard execution that ended FAILED, TIMED_OUT or ABORTED carries on from
the states that did not succeed, with the same ARN, definition and input.

AWS: https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html and
https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html ("it continues the
failed execution from the unsuccessful step and uses the same input ... For workflows that include
an Inline Map or Parallel state, RedriveExecution reschedules and redrives only the iterations and
branches that failed or aborted"; the state machine's TimeoutSeconds counts again from the redrive).

How: an execution's position is a tree of frames (asl_engine/position.py), and a store keeps the
frames of an execution that did not succeed (`finish_execution`). A redrive turns them into the
positions to resume from (`redriven_frames`): a branch or iteration that succeeded keeps its output
and is not run again; a Map or Parallel that was waiting for its branches waits for them again
(a Distributed Map records MapRunRedriven); every other frame (the state that failed, a branch cut
short by its sibling's failure or by StopExecution, a Wait, a Task in flight) enters its state
again, with the input it had and fresh retry counters. Then, in one transaction, the execution
is RUNNING with its new redrive count and date, those frames and an ExecutionRedriven event, and
it runs from them the way a restarted server resumes a RUNNING execution (`Executions.resume`):
a redrive that was acknowledged survives a kill -9.

A Distributed Map is redriven as the same Map Run (MapRunRedriven): its children that succeeded
keep their output, those that did not are redriven as executions of their own (redrive_child,
asked by service/map_children.py; https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html).
A child is redriven only with its parent, never on its own: its redriveStatus is then
REDRIVABLE_BY_MAP_RUN, and RedriveExecution of the child is ExecutionNotRedrivable.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from .. import arns
from ..arns import AccountRegion
from ..aws_errors import ExecutionNotRedrivable, ValidationException
from ..clock import Clock
from ..execution import HistoryEvent
from ..limits import MAX_HISTORY_EVENTS
from ..position import BRANCHES, DONE, REDRIVE
from ..model import StateMachine
from ..store import ExecutionRecord, Store
from .executions import Executions

Json = Any
REDRIVABLE_SECONDS = 14 * 24 * 3600.0  # "the redrivable period of 14 days", from the execution's end
MAX_OPEN_SECONDS = 365 * 24 * 3600.0  # "the maximum open time of one year"
MAX_REDRIVES = 1000  # AWS documents this hard limit for a Map Run's redrives (redrive-map-run.html); kept here too
TOKENS_KEPT = 10  # "idempotent responses for the last 10 client tokens ...
TOKEN_SECONDS = 15 * 60.0  # ... valid for up to 15 minutes after they are first used"
_ENDED = ("FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class RedriveStatus:
    """DescribeExecution's redriveStatus and, when NOT_REDRIVABLE, redriveStatusReason."""

    status: str  # REDRIVABLE | NOT_REDRIVABLE
    reason: str | None = None


class Redrive:
    def __init__(self, store: Store, clock: Clock, executions: Executions) -> None:
        self.store = store
        self.clock = clock
        self.executions = executions
        self._locks: dict[str, asyncio.Lock] = {}

    def status(self, record: ExecutionRecord) -> RedriveStatus:
        """Whether RedriveExecution would redrive the execution now, in the words of AWS's
        redriveStatusReason (API_DescribeExecution). A Distributed Map's child is redriven only
        with its Map Run: REDRIVABLE_BY_MAP_RUN ("for a Distributed Map that includes child
        workflows ..., redriveStatus indicates whether or not the Map Run can redrive" them)."""
        if record.status not in _ENDED:
            return RedriveStatus("NOT_REDRIVABLE", f"Execution is {record.status} and cannot be redriven")
        now = self.clock.time()
        if now - record.start_date > MAX_OPEN_SECONDS:
            return RedriveStatus("NOT_REDRIVABLE", "Execution has exceeded the max execution time")
        if record.stop_date is not None and now - record.stop_date > REDRIVABLE_SECONDS:
            return RedriveStatus("NOT_REDRIVABLE", "Execution redrivable period exceeded")
        if record.redrive_count >= MAX_REDRIVES:
            return RedriveStatus("NOT_REDRIVABLE", f"Execution has been redriven {MAX_REDRIVES} times, the most "
                                                   "it can be")
        return RedriveStatus("REDRIVABLE" if record.map_run_arn is None else "REDRIVABLE_BY_MAP_RUN")

    async def described(self, record: ExecutionRecord) -> RedriveStatus:
        """DescribeExecution's: `status`, and for a Map Run's child whether its Map Run can still
        redrive it ("indicates whether or not the Map Run can redrive child workflow executions",
        https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html):
        not once the Map Run SUCCEEDED (its failures were tolerated), nor once its parent ended
        and cannot be redriven."""
        status = self.status(record)
        if record.map_run_arn is None or status.reason is not None:
            return status
        map_run = await self.store.get_map_run(record.map_run_arn)
        if map_run is not None and map_run.status == "SUCCEEDED":
            return RedriveStatus("NOT_REDRIVABLE", "The Map Run that started this child workflow execution "
                                                   "SUCCEEDED: it cannot redrive it")
        parent = await self.store.get_execution(map_run.execution_arn) if map_run is not None else None
        if parent is not None and parent.status != "RUNNING":
            reason = (await self.described(parent)).reason
            if reason is not None:
                return RedriveStatus("NOT_REDRIVABLE", f"The parent workflow execution cannot be redriven: {reason}")
        return status

    async def redrive(self, scope: AccountRegion, arn: str, client_token: str | None) -> float:
        """RedriveExecution; returns the redrive date. A client token used for one of the
        execution's last redrives answers that redrive again instead of redriving once more."""
        if client_token is not None:
            _check_token(client_token)
        if arns.parse_arn(arn).resource_type == "express":  # not recorded, as on AWS: nothing to resume
            raise ExecutionNotRedrivable("Execution is of an EXPRESS state machine and cannot be redriven")
        if (await self.executions.describe(scope, arn)).map_run_arn is not None:  # ExecutionDoesNotExist, InvalidArn
            raise ExecutionNotRedrivable("Execution is a child workflow execution of a Map Run: redrive its parent "
                                         "workflow to redrive it (REDRIVABLE_BY_MAP_RUN)")
        lock = self._locks.setdefault(arn, asyncio.Lock())
        try:
            async with lock:  # one redrive of an execution at a time: the second sees it RUNNING
                return await self._redrive(arn, client_token)
        finally:
            if not lock.locked():
                self._locks.pop(arn, None)

    async def _redrive(self, arn: str, client_token: str | None) -> float:
        record = await self.store.get_execution(arn)
        assert record is not None  # executions are never deleted
        now = self.clock.time()
        tokens = [token for token in json.loads(await self.store.redrive_tokens(arn) or "[]")
                  if now - token["used"] <= TOKEN_SECONDS]
        if client_token is not None:
            for token in tokens:
                if token["token"] == client_token:
                    return float(token["redriveDate"])
        status = self.status(record)
        if status.reason is not None:
            raise ExecutionNotRedrivable(status.reason)
        revision = await self.store.get_revision(record.state_machine_arn, record.revision_id)
        if revision is None or await self.store.get_state_machine(record.state_machine_arn) is None:
            raise ExecutionNotRedrivable("State machine is in DELETING status")
        if client_token is not None:
            tokens = [*tokens, {"token": client_token, "used": now, "redriveDate": now}][-TOKENS_KEPT:]
        await self._rerun(record, now, tokens)
        return now

    async def redrive_child(self, arn: str, machine: StateMachine, role_arn: str) -> None:
        """Redrive a Distributed Map's child execution that did not succeed, its Map Run being
        redriven (service/map_children.py): as RedriveExecution would, with the ItemProcessor
        its parent hands it (a child has no state machine of its own)."""
        record = await self.store.get_execution(arn)
        assert record is not None  # executions are never deleted
        await self._rerun(record, self.clock.time(), json.loads(await self.store.redrive_tokens(arn) or "[]"),
                          machine, role_arn)

    async def _rerun(self, record: ExecutionRecord, now: float, tokens: list[Json],
                     machine: StateMachine | None = None, role_arn: str = "") -> None:
        """Commit the redrive (status, count, date, ExecutionRedriven, the frames to resume from)
        and resume the execution from there."""
        arn = record.arn
        # Ended here just now: its runner lets go of it (its end is committed). Not running here, it
        # was read ended; another server redriving it meanwhile makes it RUNNING there, which the
        # store's conditional redrive finds (ExecutionNotRedrivable), rather than waiting for its end.
        if self.executions.is_live(arn):
            await self.executions.ended(arn)
        position = await self.store.get_position(arn)
        last_id = int((position.last_event or {}).get("id", 0))
        if last_id >= MAX_HISTORY_EVENTS - 1:  # room for ExecutionRedriven and one more event
            raise ExecutionNotRedrivable("Execution history event limit exceeded")
        if "" not in position.frames:
            raise ExecutionNotRedrivable(
                "asl-engine kept no position for this execution (it was ended outside its run), "
                "so it cannot resume it")
        count = record.redrive_count + 1
        event: HistoryEvent = {"timestamp": now, "type": "ExecutionRedriven", "id": last_id + 1,
                               "previousEventId": last_id, "executionRedrivenEventDetails": {"redriveCount": count}}
        frames = redriven_frames(position.frames, last_id + 1)
        # A branch that failed in a Distributed Map kept only FAILED: the Map waits for its Map
        # Run again (its children that did not succeed are redriven, service/map_children.py).
        failed_maps = [frame for frame_id, frame in frames.items()  # see `_map_runs_entered`
                       if frame["phase"]["kind"] in (BRANCHES, REDRIVE)
                       and position.frames[frame_id]["phase"]["kind"] != BRANCHES]
        if failed_maps:
            entered = _map_runs_entered(await self.store.get_history(arn, None, last_id, False))
            for frame in failed_maps:
                if frame.get("entered") in entered:
                    frame["phase"] = {"kind": BRANCHES, "mapRunArn": entered[frame["entered"]]}
        map_runs: dict[str, int] = {}  # Map Run ARN -> its redrive count from now on
        for frame in frames.values():
            map_run_arn = frame["phase"].get("mapRunArn")
            if map_run_arn is not None:
                known = await self.store.get_map_run(map_run_arn)
                map_runs[map_run_arn] = frame["phase"]["redriveCount"] = (known.redrive_count if known else 0) + 1
        await self.store.redrive_execution(arn, count, now, json.dumps(tokens), event,
                                           {frame_id: json.dumps(frame) for frame_id, frame in frames.items()},
                                           map_runs)
        redriven = await self.store.get_execution(arn)
        assert redriven is not None
        await self.executions.resume(redriven, machine, role_arn)


def redriven_frames(frames: dict[str, Json], redriven_event: int) -> dict[str, Json]:
    """The positions a redrive resumes from (see the module docstring). The frames inside a
    branch or iteration that succeeded are left out: it is not run again, and their last
    positions are not where anything stopped."""
    done = {frame_id for frame_id, frame in frames.items() if (frame.get("phase") or {}).get("kind") == DONE}
    # (frame, "<entered>.<retry count>") of every frame's parent: a frame whose state has branches
    # or iterations of its own (position.Frame.child_id) is a Map or Parallel running them
    parents = {(frame_id[:cut], frame_id[cut + 1:frame_id.rindex(":")])
               for frame_id in frames for cut in (frame_id.rfind("/"),) if cut >= 0}
    redriven: dict[str, Json] = {}
    for frame_id, frame in frames.items():
        ancestors = (frame_id[:at] for at in range(1, len(frame_id)) if frame_id[at] == "/")
        if any(ancestor in done for ancestor in ancestors):
            continue
        phase = frame.get("phase") or {}
        if phase.get("kind") in (DONE, BRANCHES):  # a Distributed Map's also counts its redrive (`_redrive`)
            redriven[frame_id] = {**frame, "phase": dict(phase)}
        elif (frame_id, f"{frame.get('entered')}.{frame.get('retry_count')}") in parents:
            # A branch or iteration that failed inside a Map or Parallel of its own (its phase says
            # only FAILED): that state waits for its branches again, and reruns the failed ones.
            redriven[frame_id] = {**frame, "phase": {"kind": BRANCHES}}
        else:
            redriven[frame_id] = {**frame, "phase": {"kind": REDRIVE}}  # entered anew: fresh retry counters
            if frame_id == "":  # the execution's own thread goes on after ExecutionRedriven
                redriven[frame_id]["previous"] = redriven_event
    return redriven


def _map_runs_entered(events: list[HistoryEvent]) -> dict[int, str]:
    """The id of each Distributed Map's MapStateEntered event -> its Map Run's ARN. A branch or
    iteration that failed in a Distributed Map kept no Map Run ARN in its FAILED phase: the history
    says which it was (MapStateEntered <- MapStateStarted <- MapRunStarted, by previousEventId)."""
    by_id = {event["id"]: event for event in events}
    entered: dict[int, str] = {}
    for event in events:
        if event["type"] == "MapRunStarted":
            started = by_id.get(event["previousEventId"], {})
            if started.get("type") == "MapStateStarted":
                entered[started["previousEventId"]] = event["mapRunStartedEventDetails"]["mapRunArn"]
    return entered


def _check_token(token: str) -> None:
    """clientToken: 1 to 64 printable ASCII characters without spaces (AWS's model: [!-~]+)."""
    if not 1 <= len(token) <= 64:
        bound = "greater than or equal to 1" if not token else "less than or equal to 64"
        raise ValidationException.constraint(token, "clientToken", f"Member must have length {bound}")
    if not all("!" <= char <= "~" for char in token):
        raise ValidationException.constraint(token, "clientToken",
                                             "Member must satisfy regular expression pattern: [!-~]+")
