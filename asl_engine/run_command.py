"""`asl-engine run DEFINITION --input JSON`: one execution in process, with no server or database.

It is what a developer reaches for between editing a definition and writing a test: the same
validator, compiler, runner and Task configuration as `serve` (mock file and `#TestCase`, local
Lambda handlers, endpoints, the clock), and a readable account of what happened. The exit status
is 0 when the execution SUCCEEDED and 1 otherwise, so a shell script or a CI step can use it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from .config import Config, ConfigError
from .definition_file import DefinitionFileError, read_definition
from .execution import HistoryEvent
from .startup import check
from .tasks.dispatcher import TaskDispatcher
from .testing import ExecutionResult, Stuck, run_definition_async
from .validate import validate_definition

EXIT_SUCCEEDED, EXIT_OTHERWISE, EXIT_INTERRUPTED = 0, 1, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("definition", metavar="DEFINITION", help="the state machine: a JSON or YAML file")
    parser.add_argument("--input", default="{}", help="the execution input, JSON text (default {})")
    parser.add_argument("--name", help="the state machine's name, which mock file test cases are filed "
                        "under (default: the file name up to its first dot)")
    parser.add_argument("--type", choices=("STANDARD", "EXPRESS"), default="STANDARD", dest="machine_type")
    parser.add_argument("--mock-config", metavar="FILE", help="SFN Local's mock file (default $SFN_MOCK_CONFIG)")
    parser.add_argument("--test-case", metavar="NAME", help="run this test case of the mock file")
    parser.add_argument("--virtual-clock", action="store_true",
                        help="run on a virtual clock: Waits, backoffs and timeouts take no time")


def run_command(args: argparse.Namespace) -> int:
    try:
        result = _run(args)
    except (ConfigError, DefinitionFileError, Stuck) as exc:
        print(f"asl-engine run: {exc}", file=sys.stderr)
        return EXIT_OTHERWISE
    except KeyboardInterrupt:  # Ctrl-C on a run that waits (on the real clock, as long as AWS would)
        print("asl-engine run: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_result(result, sys.stdout)
    return EXIT_SUCCEEDED if result.status == "SUCCEEDED" else EXIT_OTHERWISE


def _run(args: argparse.Namespace) -> ExecutionResult:
    text = read_definition(args.definition)
    errors = [d for d in validate_definition(text, args.machine_type) if d.severity == "ERROR"]
    if errors:
        raise DefinitionFileError("; ".join(f"{args.definition}: {d.location}: {d.code} {d.message}" for d in errors))
    try:
        execution_input = json.loads(args.input)
    except ValueError as exc:
        raise ConfigError(f"--input is not JSON: {exc}") from None
    config = Config.from_env(clock="virtual" if args.virtual_clock else None)
    if args.mock_config:
        config = replace(config, tasks=replace(config.tasks, mock_config_path=args.mock_config))
    check(config)
    name = args.name or Path(args.definition).name.split(".")[0]
    clock = config.make_clock()
    dispatcher = TaskDispatcher(config.tasks, clock)
    if args.test_case:
        mocks = dispatcher.mocks()
        if mocks is None:
            raise ConfigError("--test-case needs a mock file: --mock-config FILE or SFN_MOCK_CONFIG")
        if not mocks.has_test_case(name, args.test_case):
            known = ", ".join(sorted(mocks.test_cases.get(name, {}))) or "none"
            raise ConfigError(f"the mock file has no test case {args.test_case!r} for the state machine "
                              f"{name!r} (its test cases: {known}); --name says which state machine")
    tasks = dispatcher.for_execution(args.test_case, name)
    return asyncio.run(run_definition_async(text, execution_input, tasks=tasks, clock=clock,
                                            state_machine_name=name, execution_name="run",
                                            machine_type=args.machine_type))


def print_result(result: ExecutionResult, out: TextIO) -> None:
    """Status, output or error and cause, then one line per history event."""
    print(f"status: {result.status}", file=out)
    if result.status == "SUCCEEDED":
        print("output: " + json.dumps(result.output, indent=2, ensure_ascii=False), file=out)
    else:  # an execution that timed out has an error and no cause, an aborted one may have neither
        for label, value in (("error", result.error), ("cause", result.cause)):
            if value is not None:
                print(f"{label}: {value}", file=out)
    print("events:", file=out)
    start = result.events[0]["timestamp"] if result.events else 0.0
    width = max((len(event["type"]) for event in result.events), default=0)
    for event in result.events:
        offset = f"+{event['timestamp'] - start:.3f}s"
        line = f"{event['id']:>5}  {offset:>11}  {event['type']:<{width}}  {_detail(event)}"
        print(line.rstrip(), file=out)


def _detail(event: HistoryEvent) -> str:
    """The state an event belongs to, or the error it reports."""
    details: dict[str, Any] = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
    if "name" in details:
        return str(details["name"])
    if "error" in details:
        return f"{details['error']}: {details.get('cause') or ''}".rstrip(": ")
    return str(details.get("resource", ""))
