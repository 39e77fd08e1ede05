"""The TaskHandler the runner calls: chooses, per state, where a Task's call goes.

In order: a mock from the MockConfigFile (when the execution runs a test case that names the
state), then the integration for the resource ARN's form — Lambda (a local handler or
`LAMBDA_ENDPOINT`), an optimized service, `aws-sdk:*`, or `http:invoke` — at the configured
endpoint. A resource with nothing configured fails with a cause that says what to configure.

    dispatcher = TaskDispatcher(TaskConfig.from_env(), clock)
    run = ExecutionRun(..., tasks=dispatcher.for_execution(test_case))   # test_case may be None

The dispatcher also owns the process's `CallbackRegistry` and `ActivityQueue`: the runner parks
`.waitForTaskToken` and activity tasks there, and the API answers them through the same objects.
Given `ChildExecutions` (a server), `states:startExecution` runs the child on that server;
without it, the call goes to `STEP_FUNCTIONS_ENDPOINT` like any other service.
"""

from __future__ import annotations

from typing import Any, Callable

from ..clock import Clock, RealClock
from ..distributed.s3 import Boto3Store
from ..errors import RUNTIME, StatesError
from ..tasks_api import TaskHandler, TaskRequest, is_lambda_function, resource_parts
from .activities import ActivityQueue
from .aws import Clients
from .callbacks import CallbackRegistry
from .children import ChildExecutions, StatesTasks
from .config import TaskConfig
from .http import HttpTasks
from .lambda_ import LambdaTasks
from .mock import ACTIVITY_NOT_MOCKABLE, MockConfig, MockFile, MockSession
from .sdk import SdkTasks
from .services import SERVICES, ServiceTasks

Json = Any


def route(resource: str) -> str:
    """The integration family of a resource ARN: lambda, states, service, sdk, http, or unsupported."""
    if is_lambda_function(resource):
        return "lambda"
    resource_type, _ = resource_parts(resource)
    if resource_type == "lambda":
        return "lambda"
    if resource_type.startswith("aws-sdk:"):
        return "sdk"
    if resource_type == "http":
        return "http"
    if resource_type == "states":
        return "states"
    if resource_type in SERVICES:
        return "service"
    return "unsupported"


class TaskDispatcher:
    """Routes every Task of every execution; one per process (or per test)."""

    def __init__(self, config: TaskConfig, clock: Clock | None = None,
                 children: ChildExecutions | None = None) -> None:
        self.config = config
        self.clock = clock or RealClock()
        self.callbacks = CallbackRegistry()
        self.activities = ActivityQueue()
        self.mock_file = MockFile(config.mock_config_path) if config.mock_config_path else None
        # asl_engine.testing answers Task states from test code (`asl.mock`): it wraps the
        # handler of every execution, with or without a test case.
        self.wrap_execution: Callable[[TaskHandler, str | None], TaskHandler] | None = None
        clients = self._clients = Clients(config)
        services = ServiceTasks(clients, self.clock)
        self._routes: dict[str, Callable[[TaskRequest], Any]] = {
            "lambda": LambdaTasks(config.lambda_handlers, clients, self.clock),
            "states": StatesTasks(children) if children is not None else services,
            "service": services,
            "sdk": SdkTasks(clients, self.clock),
            "http": HttpTasks(self.clock, allow=config.http_allow,
                              connections=config.http_connections),
        }

    async def __call__(self, request: TaskRequest) -> Json:
        handler = self._routes.get(route(request.resource))
        if handler is None:
            raise StatesError(RUNTIME, f"The resource '{request.resource}' is not supported by asl-engine.",
                              in_state=True)
        return await handler(request)

    def object_store(self) -> Boto3Store:
        """S3 at its configured endpoint, for a Distributed Map's ItemReader and ResultWriter."""
        return Boto3Store(self._clients.get("s3"))

    def mocks(self) -> MockConfig | None:
        """The MockConfigFile as it is now (re-read when the file changes)."""
        return self.mock_file.current() if self.mock_file is not None else None

    def has_test_case(self, state_machine_name: str, test_case: str) -> bool:
        """For StartExecution on `<arn>#<TestCase>`: is there such a test case?"""
        config = self.mocks()
        return config is not None and config.has_test_case(state_machine_name, test_case)

    def for_execution(
        self, test_case: str | None = None, state_machine_name: str | None = None
    ) -> TaskHandler:
        """The handler for one execution: with a test case, its mocked states answer from the file."""
        config = self.mocks() if test_case else None
        handler: TaskHandler = self
        if config is not None and test_case is not None:
            handler = ExecutionTasks(self, config, test_case, state_machine_name)
        return handler if self.wrap_execution is None else self.wrap_execution(handler, state_machine_name)


class ExecutionTasks:
    """One execution running a MockConfigFile test case; unmocked states go to the dispatcher."""

    def __init__(self, dispatcher: TaskDispatcher, config: MockConfig, test_case: str,
                 state_machine_name: str | None) -> None:
        self.dispatcher = dispatcher
        self.callbacks = dispatcher.callbacks
        self.activities = dispatcher.activities
        self.object_store = dispatcher.object_store
        self._config = config
        self._case = test_case
        self._machine = state_machine_name
        self._session: MockSession | None = None

    async def __call__(self, request: TaskRequest) -> Json:
        session = self._mock_session(request)
        if session.mocks(request.state_name):
            return session.answer(request)
        return await self.dispatcher(request)

    def check_activity(self, request: TaskRequest) -> None:
        """Before an Activity state queues its task: SFN Local refuses to mock one, failing the
        execution with States.Runtime rather than answering the mock or calling the worker."""
        if self._mock_session(request).mocks(request.state_name):
            raise StatesError(RUNTIME, ACTIVITY_NOT_MOCKABLE)

    def _mock_session(self, request: TaskRequest) -> MockSession:
        if self._session is None:
            machine = self._machine or str((request.context or {}).get("StateMachine", {}).get("Name", ""))
            self._session = MockSession(self._config, machine, self._case)
        return self._session
