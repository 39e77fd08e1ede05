"""Executions and transitions per second: asl-engine on SQLite beside asl-engine on PostgreSQL.

    .venv/bin/python -m benchmarks.stores [--repeat 3] [--count 500]

Starts a throw-away PostgreSQL cluster (Debian's binaries, as the tests do, but with PostgreSQL's
durable defaults: fsync and synchronous_commit on), then one `asl-engine serve` on a fresh SQLite
file and one on a fresh PostgreSQL database, and runs the same workloads on both, interleaved
(each repetition visits both servers, so drift in machine load hits both alike), every output
checked: W5 (`--count` starts of a 3-state machine from 8 threads, until none is RUNNING) and W7
(executions parked on an activity, drained by one worker). Prints the machine's core count and one
Markdown table. Issue 19 asks for two and three servers on one PostgreSQL database too: several
servers on one database are not built yet, so there is one server per store.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

from . import api_workloads, drivers
from .client import make_client
from .servers import Server, start_asl_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from postgres_server import PostgresServer, unavailable  # the tests' cluster helper

Driver = Callable[[Any, drivers.Prepared, api_workloads.ApiWorkload, float], drivers.Sample]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--count", type=int, default=500, help="executions per W5 run (default 500)")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds a run may take")
    args = parser.parse_args()
    reason = unavailable()
    if reason:
        print(f"benchmarks.stores: {reason}", file=sys.stderr)
        return 1
    workloads: list[tuple[api_workloads.ApiWorkload, Driver]] = [
        (api_workloads.three_states(args.count), drivers.run_starts),
        (api_workloads.activity_task(), drivers.run_activity),
    ]
    cluster = PostgresServer(durable=True)
    servers: dict[str, Server] = {}
    try:
        cluster.start()
        servers["1 server, SQLite"] = start_asl_engine()
        servers["1 server, PostgreSQL"] = start_asl_engine(database=cluster.create_database("bench"))
        walls: dict[tuple[str, str], list[float]] = {}
        prepared = {name: drivers.Prepared() for name in servers}
        clients = {name: make_client(server.endpoint) for name, server in servers.items()}
        for workload, run in workloads:
            for _ in range(args.repeat):
                for name in servers:
                    sample = run(clients[name], prepared[name], workload, args.budget)
                    walls.setdefault((workload.name, name), []).append(sample.wall_s)
    finally:
        for server in servers.values():
            server.stop()
        cluster.stop()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, median of {args.repeat}, "
          f"PostgreSQL {cluster.bin.parent.name} with fsync and synchronous_commit on\n")
    print("| Workload | Servers | Wall | Executions/s | Transitions/s |")
    print("|---|---|---|---|---|")
    for workload, _ in workloads:
        for name in servers:
            wall = statistics.median(walls[(workload.name, name)])
            print(f"| {workload.name}: {workload.title} | {name} | {wall:.2f} s | {workload.count / wall:,.0f} "
                  f"| {workload.count * workload.transitions / wall:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
