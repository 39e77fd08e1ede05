"""Executions and transitions per second: asl-engine on SQLite beside asl-engine on PostgreSQL.

    .venv/bin/python -m benchmarks.stores [--repeat 3] [--count 500]

Starts a throw-away PostgreSQL cluster (Debian's binaries, as the tests do, but with PostgreSQL's
durable defaults: fsync and synchronous_commit on), then one `asl-engine serve` on a fresh SQLite
file and one on a fresh PostgreSQL database, and runs the same workloads on both, interleaved
(each repetition visits both servers, so drift in machine load hits both alike), every output
checked: W5 (`--count` starts of a 3-state machine from 8 threads, until none is RUNNING) and W7
(executions parked on an activity, drained by one worker). On PostgreSQL it runs one, two and
three servers sharing one database (README "Running several servers"): the client sends each call
to the next server in turn, as a round-robin proxy would, so starts, polls and answers land on
every server. Prints the machine's core count and one Markdown table.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import threading
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
    servers: dict[str, list[Server]] = {}
    try:
        cluster.start()
        servers["1 server, SQLite"] = [start_asl_engine()]
        for count in (1, 2, 3):
            database = cluster.create_database("bench")
            servers[f"{count} server{'s' * (count > 1)}, PostgreSQL"] = [
                start_asl_engine(database=database) for _ in range(count)]
        walls: dict[tuple[str, str], list[float]] = {}
        prepared = {name: drivers.Prepared() for name in servers}
        clients = {name: RoundRobin([make_client(server.endpoint) for server in group])
                   for name, group in servers.items()}
        for workload, run in workloads:
            for _ in range(args.repeat):
                for name in servers:
                    sample = run(clients[name], prepared[name], workload, args.budget)
                    walls.setdefault((workload.name, name), []).append(sample.wall_s)
    finally:
        for group in servers.values():
            for server in group:
                server.stop()
        cluster.stop()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, median of {args.repeat}, "
          f"PostgreSQL {cluster.bin.parent.name} with fsync and synchronous_commit on\n")
    print("| Workload | Servers, store | Wall | Executions/s | Transitions/s |")
    print("|---|---|---|---|---|")
    for workload, _ in workloads:
        for name in servers:
            wall = statistics.median(walls[(workload.name, name)])
            print(f"| {workload.name}: {workload.title} | {name} | {wall:.2f} s | {workload.count / wall:,.0f} "
                  f"| {workload.count * workload.transitions / wall:,.0f} |")
    return 0


class RoundRobin:
    """boto3 clients of several servers behind one face: each call goes to the next server."""

    def __init__(self, clients: list[Any]) -> None:
        self._clients = itertools.cycle(clients)
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            client = next(self._clients)
        return getattr(client, name)


if __name__ == "__main__":
    sys.exit(main())
