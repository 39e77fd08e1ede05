"""The engine alone, in process: transitions per second on W1-W4 with full history in memory.

    .venv/bin/python -m benchmarks.engine [--repeat 5]

Compilation happens once, outside the timing (as CreateStateMachine does for a server); each
run is a whole execution on a virtual clock, and its output is checked.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from asl_engine.clock import VirtualClock
from asl_engine.compile import compile_definition
from asl_engine.execution import ExecutionInfo, ListSink
from asl_engine.runtime.run import ExecutionRun

from .workloads import ENGINE_WORKLOADS, Workload


async def _run_once(workload: Workload, machine: object) -> float:
    clock = VirtualClock()
    sink = ListSink()
    info = ExecutionInfo("arn:aws:states:us-east-1:123456789012:execution:bench:e", "e",
                         "arn:aws:states:us-east-1:123456789012:stateMachine:bench", "bench",
                         "arn:aws:iam::123456789012:role/bench", clock.time(), workload.input)
    started = time.perf_counter()
    outcome = await ExecutionRun(machine, info, clock=clock, sink=sink).run()  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    entered = sum(event["type"].endswith("StateEntered") for event in sink.events)
    if outcome.status != "SUCCEEDED" or not workload.check(outcome.output) or entered != workload.transitions:
        raise SystemExit(f"{workload.name}: wrong result {outcome.status} {str(outcome.output)[:80]} ({entered} entered)")
    return elapsed


def measure(repeat: int) -> list[tuple[str, str, int, float, float]]:
    rows = []
    for make in ENGINE_WORKLOADS:
        workload = make()
        machine = compile_definition(workload.definition)
        asyncio.run(_run_once(workload, machine))  # warm-up
        times = [asyncio.run(_run_once(workload, machine)) for _ in range(repeat)]
        median = statistics.median(times)
        rows.append((workload.name, workload.title, workload.transitions, median, workload.transitions / median))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'workload':<8} {'what':<22} {'transitions':>11} {'median ms':>10} {'transitions/s':>14}")
    for name, title, transitions, median, rate in measure(args.repeat):
        print(f"{name:<8} {title:<22} {transitions:>11} {median * 1000:>10.2f} {rate:>14,.0f}")


if __name__ == "__main__":
    main()
