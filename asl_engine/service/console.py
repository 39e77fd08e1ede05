"""Reads for the web console (asl_engine/api/ui) that no single AWS action answers.

The console's pages read through here and through the same `Service` methods the API uses;
they never reach the store themselves. Everything here is read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from .. import arns
from ..arns import AccountRegion
from ..execution import HistoryEvent
from ..store import ConsoleStore, ExecutionRecord, StateMachineRecord
from ..tasks.dispatcher import TaskDispatcher
from .executions import Executions, check_status_filter
from .machines import Machines

_PAGE = 1000
HISTORY_LIMIT = 1_000_000  # far above what an execution records (AWS's own limit is 25,000 events)


@dataclass(frozen=True)
class MachineSummary:
    record: StateMachineRecord
    executions: dict[str, int]  # status -> count


class Console:
    def __init__(self, store: ConsoleStore, default_scope: AccountRegion, machines: Machines, executions: Executions,
                 tasks: TaskDispatcher) -> None:
        self.store = store
        self.default_scope = default_scope
        self.state_machines = machines
        self.executions = executions
        self.tasks = tasks

    async def scopes(self) -> list[AccountRegion]:
        """The (account, region) pairs that hold a state machine or an execution, and the
        server's default one, sorted."""
        found = {arns.parse_arn(arn).scope for arn in await self.store.state_machine_arns_with_data()}
        found.add(self.default_scope)
        return sorted(found, key=lambda scope: (scope.account, scope.region))

    async def machines(self, scope: AccountRegion) -> list[MachineSummary]:
        """Every state machine of the scope, by name, with its executions counted by status."""
        machines: list[StateMachineRecord] = []
        after: str | None = None
        while True:
            page = await self.state_machines.list(scope, after, _PAGE)
            machines.extend(page.items)
            if page.cursor is None:
                break
            after = page.cursor
        counts = await self.store.execution_counts([machine.arn for machine in machines])
        return [MachineSummary(machine, counts.get(machine.arn, {})) for machine in machines]

    async def recent_executions(self, scope: AccountRegion, status: str | None, limit: int) -> list[ExecutionRecord]:
        """The scope's newest executions, of every state machine, optionally of one status."""
        check_status_filter(status)
        return await self.store.recent_executions(scope.arn("execution:"), status, limit)

    async def history(self, scope: AccountRegion, execution_arn: str, after: int = 0,
                      limit: int = HISTORY_LIMIT) -> list[HistoryEvent]:
        """The history after event `after` (all of it by default), with data, through
        GetExecutionHistory's own service call."""
        page = await self.executions.history(scope, execution_arn, after or None, limit, False, True)
        return page.items

    def test_cases(self, state_machine_name: str) -> list[str]:
        """The mock file's test cases for the machine (`<arn>#<TestCase>`), none without a file."""
        config = self.tasks.mocks()
        return sorted(config.test_cases.get(state_machine_name, {})) if config is not None else []
