"""What one API call costs the server, how fast starts go, and what a parked execution weighs.

Every figure comes from the server's own /proc through the raw client (`raw.py`), so the
client's cost is not in it. In the order measured, on a server fresh from its start:

- parked: for each size, executions parked on an activity task at once; RSS of the server after
  they have all parked (its CPU idle) minus RSS before, per execution; then released by
  GetActivityTask + SendTaskSuccess from THREADS workers (StopExecution where the server has no
  GetActivityTask), timed until none is RUNNING.
- CPU per call: utime + stime of the server over `calls` sequential calls, divided by `calls`;
  the median of ROUNDS such rounds, each on executions of its own.
  StartExecution and SendTaskSuccess include running what the call sets off (a one-Pass-state
  execution to its end; the rest of an activity execution), read after ListExecutions shows none
  RUNNING, and what the server does once that load is over (until it has been idle for
  LOAD_OVER_SECONDS: our memory reclaim). DescribeExecution and GetExecutionHistory read those
  finished executions, each READ_PASSES times.
- starts/s: `starts` StartExecution calls from THREADS raw connections, wall time of the calls.
"""

from __future__ import annotations

import itertools
import json
import statistics
import threading
import time
from functools import partial
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from .client import ROLE, TimedOut, Unsupported, unique
from .floors import Floors
from .raw import RawClient, RawError, cpu_seconds
from .servers import RssSampler, Server, rss_kib

THREADS = 8
ROUNDS = 3
"""Rounds of sequential calls per action; the figure is their median."""
READ_PASSES = 3
"""DescribeExecution and GetExecutionHistory read each execution of the round this many times:
/proc counts CPU in 10 ms ticks, and 2,000 reads at ~0.08 ms are 16 ticks, so one tick either
way moved the figure by 6%."""
LOAD_OVER_SECONDS = 3.0
"""Idle time after which a server is taken to have finished with a load (reclaims included)."""
PASS_ONE = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
ACTIONS = ("StartExecution", "DescribeExecution", "SendTaskSuccess", "GetExecutionHistory", "GetActivityTask")


@dataclass
class PerCall:
    """One server's figures; a missing figure has a reason in `notes`."""

    cpu_ms: dict[str, float] = field(default_factory=dict)  # action -> server CPU ms per call
    starts_per_s: float | None = None
    start_cpu_ms_concurrent: float | None = None
    parked: dict[int, dict[str, float]] = field(default_factory=dict)  # size -> kib_each, park_s, release_s
    peak_mb: float = 0.0  # the server's RSS peak during this section
    notes: dict[str, str] = field(default_factory=dict)


def _machine(client: RawClient, definition: dict[str, Any]) -> str:
    return str(client.call("CreateStateMachine", {"name": unique("bench-raw"), "definition": json.dumps(definition),
                                                  "roleArn": ROLE})["stateMachineArn"])


def _wait_none_running(client: RawClient, machine: str, budget: float) -> None:
    deadline = time.monotonic() + budget
    while client.call("ListExecutions", {"stateMachineArn": machine, "statusFilter": "RUNNING",
                                         "maxResults": 1})["executions"]:
        if time.monotonic() > deadline:
            raise TimedOut(f"executions of {machine} still RUNNING after {budget:.0f} s")
        time.sleep(0.05)


def wait_idle(pid: int, budget: float = 60.0, quiet: float = 0.5) -> None:
    """Until the server has spent under 2% of a core for `quiet` seconds in a row: it has done
    what it was asked, including what it does only once a load is over (our server reclaims
    memory after about a second without an execution ending: asl_engine/service/reclaim.py)."""
    deadline = time.monotonic() + budget
    before = cpu_seconds(pid)
    idle = 0.0
    while time.monotonic() < deadline and idle < quiet:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        idle = idle + 0.5 if now - before <= 0.01 else 0.0
        before = now


def _parallel(endpoint: str, items: list[Any], function: Callable[[RawClient, Any], Any]) -> list[Any]:
    """`function(client, item)` for every item, from THREADS threads, each on its own connection."""
    local = threading.local()
    clients: list[RawClient] = []
    lock = threading.Lock()

    def run(item: Any) -> Any:
        if not hasattr(local, "client"):
            local.client = RawClient(endpoint)
            with lock:
                clients.append(local.client)
        return function(local.client, item)

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            return list(pool.map(run, items))
    finally:
        for client in clients:
            client.close()


def _timed_cpu(pid: int, calls: int, work: Callable[[], object]) -> float:
    """Server CPU milliseconds per call spent while `work` runs."""
    before = cpu_seconds(pid)
    work()
    return (cpu_seconds(pid) - before) * 1000 / calls


def measure(server: Server, calls: int, starts: int, sizes: list[int], park_budget: float) -> PerCall:
    result = PerCall()
    client = RawClient(server.endpoint)
    try:
        with RssSampler(server.pid, interval=0.1) as sampler:
            _parked(server, client, sizes, park_budget, result)  # first, on the heap as the server started
            _per_call(server, client, calls, result)
            _starts(server, client, starts, result)
    finally:
        client.close()
    result.peak_mb = sampler.peak_mb
    return result


def _start(client: RawClient, machine: str, index: int) -> str:
    return str(client.call("StartExecution", {"stateMachineArn": machine, "name": f"r{index}-{unique('x')}",
                                              "input": json.dumps({"n": index})})["executionArn"])


def _per_call(server: Server, client: RawClient, calls: int, result: PerCall) -> None:
    """Each action's CPU per call, the median of ROUNDS rounds (a round of this machine's
    background work counts in one of them, not in the figure)."""
    machine = _machine(client, PASS_ONE)
    for index in range(20):  # warm-up: imports, caches, the machine's first compile
        _start(client, machine, -index)
    _wait_none_running(client, machine, 60)
    wait_idle(server.pid)
    activity = str(client.call("CreateActivity", {"name": unique("bench-raw-act")})["activityArn"])
    waiting = _machine(client, {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": activity, "End": True}}})
    rounds: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for action, figure in _round(server, client, calls, machine, activity, waiting, result).items():
            rounds.setdefault(action, []).append(figure)
    result.cpu_ms.update({action: statistics.median(figures) for action, figures in rounds.items()})


def _round(server: Server, client: RawClient, calls: int, machine: str, activity: str, waiting: str,
           result: PerCall) -> dict[str, float]:
    """One round: `calls` sequential calls of each action, on executions made for it."""
    figures: dict[str, float] = {}
    arns: list[str] = []

    def start_all() -> None:  # with what the server does once this load is over: its cost too
        arns.extend(_start(client, machine, index) for index in range(calls))
        _wait_none_running(client, machine, 300)
        wait_idle(server.pid, quiet=LOAD_OVER_SECONDS)

    figures["StartExecution"] = _timed_cpu(server.pid, calls, start_all)
    for action in ("DescribeExecution", "GetExecutionHistory"):
        figures[action] = _timed_cpu(server.pid, calls * READ_PASSES, partial(_each, client, action, arns * READ_PASSES))
    if "SendTaskSuccess" in result.notes:
        return figures
    parked = [_start(client, waiting, index) for index in range(calls)]
    tokens: list[str] = []
    try:
        def get_all() -> None:
            for _ in range(calls):
                tokens.append(str(client.call("GetActivityTask", {"activityArn": activity, "workerName": "w"})["taskToken"]))

        figures["GetActivityTask"] = _timed_cpu(server.pid, calls, get_all)

        def answer_all() -> None:
            for token in tokens:
                client.call("SendTaskSuccess", {"taskToken": token, "output": '{"done":1}'})
            _wait_none_running(client, waiting, 300)
            wait_idle(server.pid, quiet=LOAD_OVER_SECONDS)

        figures["SendTaskSuccess"] = _timed_cpu(server.pid, calls, answer_all)
    except (Unsupported, RawError) as exc:
        for action in ("GetActivityTask", "SendTaskSuccess"):
            figures.pop(action, None)
            result.notes[action] = f"unsupported ({exc})"
        _stop_all(server, parked)
    return figures


def _each(client: RawClient, action: str, arns: list[str]) -> None:
    for arn in arns:
        client.call(action, {"executionArn": arn})


def _starts(server: Server, client: RawClient, starts: int, result: PerCall) -> None:
    machine = _machine(client, PASS_ONE)
    wait_idle(server.pid)
    before = cpu_seconds(server.pid)
    began = time.perf_counter()
    _parallel(server.endpoint, list(range(starts)), lambda c, index: _start(c, machine, index))
    wall = time.perf_counter() - began
    _wait_none_running(client, machine, 300)
    result.starts_per_s = starts / wall
    result.start_cpu_ms_concurrent = (cpu_seconds(server.pid) - before) * 1000 / starts


def _parked(server: Server, client: RawClient, sizes: list[int], budget: float, result: PerCall) -> None:
    """Park each size in turn, weigh it, release it. A size whose parking would take longer than
    `budget` at the server's measured cost per start is skipped (and every larger one)."""
    activity = str(client.call("CreateActivity", {"name": unique("bench-park")})["activityArn"])
    machine = _machine(client, {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": activity, "End": True}}})
    counter = itertools.count()
    probe = [next(counter) for _ in range(50)]  # warm-up, and the server's cost per parked start
    probed: list[str] = []
    per_start = _timed_cpu(server.pid, len(probe), lambda: probed.extend(_parallel(
        server.endpoint, probe, lambda c, index: _start(c, machine, index)))) / 1000
    if not _release(server, client, activity, machine, len(probe)):
        _stop_all(server, probed)
    for size in sizes:
        if size * per_start > budget:
            result.notes[f"parked {size:,}"] = f"skipped: ~{size * per_start:.0f} s of server CPU to park, budget {budget:.0f} s"
            break
        wait_idle(server.pid)
        rss_before = rss_kib(server.pid)
        began = time.perf_counter()
        arns = _parallel(server.endpoint, [next(counter) for _ in range(size)],
                         lambda c, index: _start(c, machine, index))
        wait_idle(server.pid)
        park_s = time.perf_counter() - began
        figures = {"kib_each": (rss_kib(server.pid) - rss_before) / size, "park_s": park_s}
        began = time.perf_counter()
        if _release(server, client, activity, machine, size):
            figures["release_s"] = time.perf_counter() - began
        else:
            result.notes[f"release {size:,}"] = "no GetActivityTask: stopped instead"
            _stop_all(server, arns)
        result.parked[size] = figures


def _stop_all(server: Server, arns: list[str]) -> None:
    """Leave nothing parked (an execution that has already ended is no error here)."""

    def stop(client: RawClient, arn: str) -> None:
        try:
            client.call("StopExecution", {"executionArn": arn})
        except RawError:
            pass

    _parallel(server.endpoint, arns, stop)


def _release(server: Server, client: RawClient, activity: str, machine: str, count: int) -> bool:
    """Hand `count` parked tasks to workers that answer them, until none is RUNNING; False when
    the server has no GetActivityTask (the executions are left parked)."""
    try:
        _parallel(server.endpoint, list(range(count)), lambda c, _: _release_one(c, activity))
    except Unsupported:
        return False
    _wait_none_running(client, machine, 600)
    return True


def _release_one(client: RawClient, activity: str) -> None:
    task = client.call("GetActivityTask", {"activityArn": activity, "workerName": "w"})
    client.call("SendTaskSuccess", {"taskToken": task["taskToken"], "output": task["input"]})


def table(per_server: dict[str, PerCall | str], rss: dict[str, tuple[float, float, float]],
          sizes: list[int], measured_floors: Floors | None = None) -> str:
    """Markdown: one row per figure, one column per server (a string value: why there is none);
    this machine's floors (`floors.py`) in asl-engine's column, under the CPU per call."""
    names = list(per_server)
    lines = ["| server cost, raw client | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 1)]

    def row(label: str, cell: Callable[[PerCall], str]) -> None:
        cells = [value if isinstance(value, str) else cell(value) for value in per_server.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for action in ACTIONS:
        row(f"{action}: server CPU per call", partial(_cpu_cell, action))
    if measured_floors is not None:
        for label, floor in (("floor: hello-world request under the same uvicorn", measured_floors.http_request),
                             ("floor: one execution's rows committed (SQLite, in process)",
                              measured_floors.sqlite_commit),
                             ("... of which the WAL checkpoint", measured_floors.sqlite_checkpoint)):
            lines.append(f"| {label} | " + " | ".join(floor.cell() if name == "asl-engine" else "n/a"
                                                      for name in names) + " |")
    row(f"StartExecution from {THREADS} raw threads", lambda r: f"{r.starts_per_s:,.0f} starts/s · "
        f"{r.start_cpu_ms_concurrent:.3f} ms CPU each" if r.starts_per_s else "n/a")
    for size in sizes:
        row(f"{size:,} parked on an activity", partial(_parked_cell, size))
    lines.append("| RSS at start · peak · at end | " + " | ".join(
        f"{start:.0f} · {peak:.0f} · {end:.0f} MB ({(end - start) / start:+.0%})" if start else "n/a"
        for start, peak, end in (rss.get(name, (0.0, 0.0, 0.0)) for name in names)) + " |")
    return "\n".join(lines)


def _cpu_cell(action: str, result: PerCall) -> str:
    return f"{result.cpu_ms[action]:.3f} ms" if action in result.cpu_ms else result.notes.get(action, "n/a")


def _parked_cell(size: int, result: PerCall) -> str:
    figures = result.parked.get(size)
    if figures is None:
        return result.notes.get(f"parked {size:,}", "not run")
    cell = f"{figures['kib_each']:.1f} KiB each · park {figures['park_s']:.2f} s"
    if "release_s" in figures:
        return cell + f" · release {figures['release_s']:.2f} s"
    return cell + " · " + result.notes.get(f"release {size:,}", "")


def sizes_flag(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part]
