"""asl-engine against moto and LocalStack, same workloads, same run, every result checked.

    .venv/bin/python -m benchmarks.run [--peers moto,localstack-fast] [--repeat 3]

Starts asl-engine (`asl-engine serve`, history in a SQLite file) and each available peer on
127.0.0.1, runs W1-W7 interleaved (for each workload, each repetition visits every server in
turn, so drift in machine load hits all of them alike), then W8 once per server, and the engine
alone in process on W1-W4. Before them, on each fresh server, what each call costs it through a
raw client (`percall.py`: parked-execution memory at `--parked` sizes, server CPU per call,
starts/s), beside this machine's floors measured first (`floors.py`: a hello-world request under
the same uvicorn, one execution's rows committed by SQLite); after them all, each server's RSS at
start, at its peak and at the end. Prints two Markdown tables and the load average,
and writes `benchmarks/results/latest.json`.
A peer that is not installed or does not start gets "unavailable" and the run goes on. Every
server it started is stopped by pid when it ends.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from dataclasses import asdict
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from asl_engine.service.reclaim import QUIET_SECONDS

from . import api_workloads, drivers, engine, floors, percall, workloads
from .raw import RawError
from .client import TimedOut, Unsupported, Wrong, make_client
from .report import Result, machine_info, table, write_json
from .servers import PEERS, RssSampler, Server, rss_kib, start_asl_engine, start_peer

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
Driver = Callable[[Any, drivers.Prepared], drivers.Sample]


def plan(args: argparse.Namespace) -> list[tuple[str, str, int, Driver]]:
    """(name, title, transitions per run, driver) for each selected workload, W1 to W8."""
    budget = args.budget
    found: list[tuple[str, str, int, Driver]] = []
    for make in workloads.ENGINE_WORKLOADS:
        w = make()
        found.append((w.name, w.title, w.transitions, lambda c, p, w=w: _interpreter(c, p, w, budget)))
    for make, run in ((api_workloads.three_states, drivers.run_starts), (api_workloads.express_chain, drivers.run_sync),
                      (api_workloads.activity_task, drivers.run_activity)):
        a = make()
        found.append((a.name, a.title, a.count * a.transitions, lambda c, p, a=a, run=run: run(c, p, a, budget)))
    tokens = api_workloads.parked_tokens(args.w8_count)
    found.append((tokens.name, tokens.title, tokens.count,
                  lambda c, p: drivers.run_tokens(c, p, tokens, args.w8_budget)))
    return [item for item in found if not args.only or item[0] in args.only]


def _interpreter(client: Any, prepared: drivers.Prepared, workload: workloads.Workload, budget: float) -> drivers.Sample:
    counted = workload.name in prepared.arns  # count the history once, on the first run
    sample = drivers.run_interpreter(client, prepared, workload, budget, count=not counted)
    if sample.entered is not None and sample.entered != workload.transitions:
        print(f"  note: {workload.name} history shows {sample.entered} states entered, expected "
              f"{workload.transitions}", file=sys.stderr)
    return sample


def measure_one(server: Server, client: Any, prepared: drivers.Prepared, driver: Driver, result: Result) -> None:
    """One repetition on one server, folded into `result`; failures become its status."""
    if not server.alive():
        result.status, result.note = "error", "server exited"
        return
    try:
        with RssSampler(server.pid) as rss:
            sample = driver(client, prepared)
    except Unsupported as exc:
        result.status, result.note = "unsupported", str(exc)
    except Wrong as exc:
        result.status, result.note = "wrong", str(exc)
    except TimedOut as exc:
        result.status, result.note = "timeout", str(exc)
    except (ClientError, BotoCoreError) as exc:
        result.status, result.note = "error", str(exc)[:200]
    else:
        result.wall_s.append(sample.wall_s)
        result.entered = sample.entered if sample.entered is not None else result.entered
        for key, value in sample.extra.items():
            result.extra.setdefault(key, []).append(value)
        result.peak_rss_mb = max(result.peak_rss_mb, rss.peak_mb)


def start_servers(peers: list[str]) -> tuple[list[Server], dict[str, str]]:
    servers, unavailable = [start_asl_engine()], {}
    for name in peers:
        try:
            servers.append(start_peer(name, sys.executable))
        except (RuntimeError, OSError, ValueError) as exc:
            unavailable[name] = str(exc)
            print(f"{name}: unavailable ({exc})", file=sys.stderr)
    return servers, unavailable


def _costs(server: Server, args: argparse.Namespace) -> percall.PerCall | str:
    """The raw-client section on one server, or why it has no figures."""
    if not server.alive():
        return "server exited"
    try:
        return percall.measure(server, args.calls, args.starts, args.parked, args.park_budget)
    except (TimedOut, Unsupported, Wrong, RawError, OSError) as exc:
        return f"error ({str(exc)[:100]})"


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1, 5, 15 min)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", default="moto,localstack-fast", help=f"comma-separated, from {', '.join(PEERS)}; '' for none")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=set(), help="e.g. W1,W5; 'calls' for the raw-client section")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per run of W1-W7 before it counts as timeout")
    parser.add_argument("--w8-count", type=int, default=10_000)
    parser.add_argument("--w8-budget", type=float, default=240.0)
    parser.add_argument("--calls", type=int, default=2000, help="sequential raw calls per action for CPU per call")
    parser.add_argument("--starts", type=int, default=2000, help="raw StartExecution calls from 8 threads")
    parser.add_argument("--parked", type=percall.sizes_flag, default=[1000, 10_000],
                        help="parked-execution sizes, e.g. 1000,10000,100000 (100,000 takes several minutes)")
    parser.add_argument("--park-budget", type=float, default=60.0,
                        help="skip a parked size that would cost a server more CPU seconds than this "
                             "(asl-engine parks 100,000 in 30-40 s; moto would take ~320 s)")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()
    peers = [name for name in args.peers.split(",") if name]

    alone = {name: rate for name, _, _, _, rate in engine.measure(args.repeat)} if not args.only or \
        args.only & {"W1", "W2", "W3", "W4"} else {}
    info = machine_info()
    work = plan(args)
    print(f"load average at start: {_load()}", file=sys.stderr)
    calls = not args.only or "calls" in args.only
    measured_floors = floors.measure() if calls else None  # before any server runs: nothing else on the cores
    if measured_floors is not None:
        print("floors: done", file=sys.stderr)
    servers, unavailable = start_servers(peers)
    results: dict[str, dict[str, Result]] = {name: {} for name, _, _, _ in work}
    costs: dict[str, percall.PerCall | str] = {}
    rss: dict[str, tuple[float, float, float]] = {}
    try:
        rss_start = {server.name: rss_kib(server.pid) / 1024 for server in servers}
        for server in servers if calls else []:  # first: parked on a fresh heap
            costs[server.name] = _costs(server, args)
            print(f"raw calls on {server.name}: done", file=sys.stderr)
        clients = {server.name: make_client(server.endpoint) for server in servers}
        prepared = {server.name: drivers.Prepared() for server in servers}
        for name, _title, transitions, driver in work:
            repeat = 1 if name == "W8" else args.repeat
            for rep in range(repeat):
                for server in servers:
                    result = results[name].setdefault(server.name, Result(transitions=transitions))
                    if result.status == "ok":
                        measure_one(server, clients[server.name], prepared[server.name], driver, result)
                done = ", ".join(f"{s}={r.median():.3f}s" if r.status == "ok" else f"{s}={r.status}"
                                 for s, r in results[name].items())
                print(f"{name} rep {rep + 1}/{repeat}: {done}", file=sys.stderr)
        for server in servers:
            cost = costs.get(server.name)
            peak = max([cost.peak_mb if isinstance(cost, percall.PerCall) else 0.0,
                        *(r[server.name].peak_rss_mb for r in results.values() if server.name in r)])
            percall.wait_idle(server.pid)
            time.sleep(2 * QUIET_SECONDS)  # a load counts as over once quiet that long (asl_engine.service.reclaim)
            rss[server.name] = (rss_start[server.name], peak, rss_kib(server.pid) / 1024)
    finally:
        for server in servers:
            server.stop()
    names = [server.name for server in servers] + list(unavailable)
    for name in unavailable:
        for per_server in results.values():
            per_server[name] = Result(status="unavailable", note=unavailable[name])
    titles = {name: title for name, title, _, _ in work}
    if results:
        print(table(results, titles, names, alone))
    if costs:
        print()
        print(percall.table({**costs, **{name: "unavailable" for name in unavailable}}, rss, args.parked,
                            measured_floors))
    print(f"\nload average at start {info['load_at_start']:.2f}, at end {_load()}")
    write_json(args.json, {
        "machine": info, "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "servers": {s.name: {"version": s.version, "cold_start_s": round(s.cold_start_s, 2)} for s in servers},
        "unavailable": unavailable, "engine_alone_transitions_per_s": alone, "results": results,
        "load_at_end": os.getloadavg()[0], "per_call": {name: value if isinstance(value, str) else asdict(value)
                                                       for name, value in costs.items()},
        "rss_start_peak_end_mb": rss, "floors": measured_floors and measured_floors.as_json(),
    })
    print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
