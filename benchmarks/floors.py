"""What an API call cannot cost less than on this machine, measured in the same run as the calls.

Why: issue 20 sets goals for the server's CPU per call (StartExecution, DescribeExecution) and
judges them against two floors of this machine. A figure measured on another day, under another
load, says little about today's: so the run measures them beside the calls, and the table shows
each call next to them.

- HTTP: a hello-world ASGI app (reads a POST's body, answers a small JSON body) served by
  uvicorn exactly as `asl-engine serve` configures it (uvloop, `OneWriteProtocol`, no access log,
  no proxy headers, no server header, `settle_heap`, the system's malloc), in its own process on a free loopback
  port, driven by the raw client with a DescribeExecution-sized request; server CPU per request
  from /proc (`raw.cpu_seconds`), as the calls are measured.
- SQLite: what one sequential StartExecution of a one-Pass-state machine commits, in the
  project's schema with the store's pragmas (WAL, synchronous=NORMAL, no autocheckpoint) and
  nothing of the store's code: per execution one transaction (its executions row, its four
  history events, the row updated to SUCCEEDED) and, per round, the WAL checkpoint the store's
  writer runs about once a second. CPU of this thread per commit; every statement's parameters
  are built before the clock starts, so the figure is SQLite's alone.

Each floor is measured ROUNDS times; the figure is their median, with their range beside it.

    .venv/bin/python -m benchmarks.floors          # both floors, printed
    .venv/bin/python -m benchmarks.floors serve PORT   # the hello-world server (started by `http_floor`)
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from .client import ROLE, unique
from .raw import RawClient, cpu_seconds
from .servers import Server, wait_until_listening, free_port

ROUNDS = 3
REQUESTS = 5000
"""Per round: at ~0.04 ms a request the server spends ~20 clock ticks (10 ms each) on them, so
one tick either way moves the figure by 5%; a round takes about a second."""
WARM_UP = 200
COMMITS = 2000
HELLO = b'{"hello":"world"}'
HEADERS = [(b"content-type", b"application/x-amz-json-1.0"), (b"content-length", str(len(HELLO)).encode())]
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:bench-floor"


@dataclass
class Floor:
    """One floor's rounds (in its unit) and their median."""

    unit: str
    rounds: list[float] = field(default_factory=list)
    note: str = ""  # why there is no figure

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    def cell(self) -> str:
        if not self.rounds:
            return self.note or "n/a"
        low, high = min(self.rounds), max(self.rounds)
        digits = 3 if self.unit == "ms" else 0
        return f"{self.median:.{digits}f} {self.unit} ({low:.{digits}f}-{high:.{digits}f}, {len(self.rounds)} rounds)"


@dataclass
class Floors:
    """This machine's floors, as the table and results/latest.json show them."""

    http_request: Floor = field(default_factory=lambda: Floor("ms"))
    sqlite_commit: Floor = field(default_factory=lambda: Floor("µs"))
    sqlite_checkpoint: Floor = field(default_factory=lambda: Floor("µs"))  # the part of sqlite_commit

    def as_json(self) -> dict[str, dict[str, Any]]:
        """For results/latest.json: each floor's unit, median, rounds, and note."""
        return {name: {"unit": floor.unit, "median": floor.median if floor.rounds else None,
                       "rounds": floor.rounds, "note": floor.note} for name, floor in vars(self).items()}


def measure() -> Floors:
    """Both floors; a floor that cannot be measured gets a note instead of figures."""
    floors = Floors()
    try:
        floors.http_request.rounds = http_floor()
    except (RuntimeError, OSError) as exc:
        floors.http_request.note = f"error ({str(exc)[:100]})"
    try:
        floors.sqlite_commit.rounds, floors.sqlite_checkpoint.rounds = sqlite_floor()
    except (sqlite3.Error, OSError) as exc:
        floors.sqlite_commit.note = floors.sqlite_checkpoint.note = f"error ({str(exc)[:100]})"
    return floors


# -- HTTP ------------------------------------------------------------------------------------

async def hello(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """The least an ASGI app can do for a request: read its body, answer a fixed JSON body."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    message = await receive()
    while message.get("more_body"):
        message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": HELLO})


def serve_hello(port: int) -> None:
    """`hello` under uvicorn with the settings of `asl-engine serve` (asl_engine/__main__.py);
    log level info is serve's default, which the benchmark's server runs at."""
    import uvicorn

    from asl_engine.api.http_protocol import OneWriteProtocol
    from asl_engine.service.reclaim import settle_heap

    settings = uvicorn.Config(hello, host="127.0.0.1", port=port, log_level="info", access_log=False,
                              loop="auto", http=OneWriteProtocol, proxy_headers=False, server_header=False)
    settle_heap()
    uvicorn.Server(settings).run()


def start_hello() -> Server:
    """The hello-world server in its own process, on the system's malloc as `serve` runs."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="asl-bench-floor-")) / "server.log"
    started = time.time()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "benchmarks.floors", "serve", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent,
                                   env={**os.environ, "PYTHONMALLOC": "malloc"})
    server = Server("hello-world", f"http://127.0.0.1:{port}", process.pid, 0.0, "uvicorn", log, process)
    try:
        wait_until_listening(port, process, "the hello-world server")
    except BaseException:
        server.stop()
        raise
    server.cold_start_s = time.time() - started
    return server


def http_floor(rounds: int = ROUNDS, requests: int = REQUESTS) -> list[float]:
    """Server CPU ms per request of the hello-world server, one figure per round."""
    server = start_hello()
    client = RawClient(server.endpoint)
    body = {"executionArn": f"{MACHINE.replace(':stateMachine:', ':execution:')}:{unique('r0')}"}
    try:
        for _ in range(WARM_UP):
            client.call("DescribeExecution", body)
        figures = []
        for _ in range(rounds):
            before = cpu_seconds(server.pid)
            for _ in range(requests):
                client.call("DescribeExecution", body)
            figures.append((cpu_seconds(server.pid) - before) * 1000 / requests)
        return figures
    finally:
        client.close()
        server.stop()
        server.log.unlink(missing_ok=True)
        server.log.parent.rmdir()


# -- SQLite ----------------------------------------------------------------------------------

def _schema(path: Path) -> None:
    """The project's schema in a fresh file, as the store's first open creates it."""
    from asl_engine.store.sqlite import SqliteStore

    async def create() -> None:
        store = SqliteStore(str(path))
        await store.open()
        await store.close()

    asyncio.run(create())


def _event(event_id: int, kind: str, stamp: float, details: str, body: dict[str, Any]) -> str:
    """A history event's stored text, as the store writes it (compact JSON)."""
    event = {"timestamp": stamp, "type": kind, "id": event_id, "previousEventId": event_id - 1, details: body}
    return json.dumps(event, separators=(",", ":"))


def _execution(index: int) -> tuple[tuple[Any, ...], list[tuple[str, int, str]], tuple[Any, ...]]:
    """One execution's rows: the executions row, its four events, its SUCCEEDED update."""
    name = f"r{index}-{unique('x')}"
    arn = f"{MACHINE.replace(':stateMachine:', ':execution:')}:{name}"
    given, result = json.dumps({"n": index}, separators=(",", ":")), '{"ok":true}'
    start = time.time()
    untruncated = {"truncated": False}
    events = [
        _event(1, "ExecutionStarted", start, "executionStartedEventDetails",
               {"input": given, "inputDetails": untruncated, "roleArn": ROLE}),
        _event(2, "PassStateEntered", start + 1e-4, "stateEnteredEventDetails",
               {"name": "P", "input": given, "inputDetails": untruncated}),
        _event(3, "PassStateExited", start + 2e-4, "stateExitedEventDetails",
               {"name": "P", "output": result, "outputDetails": untruncated}),
        _event(4, "ExecutionSucceeded", start + 3e-4, "executionSucceededEventDetails",
               {"output": result, "outputDetails": untruncated}),
    ]
    row = (arn, MACHINE, name, None, "RUNNING", json.dumps({"n": index}), start, None, None, None, None, 0,
           None, None, None, None, None)
    return row, [(arn, number, text) for number, text in enumerate(events, 1)], \
        ("SUCCEEDED", result, None, None, start + 4e-4, arn)


def sqlite_floor(rounds: int = ROUNDS, commits: int = COMMITS) -> tuple[list[float], list[float]]:
    """CPU µs per committed execution, one figure per round, the round's checkpoint included;
    and that checkpoint's part of it."""
    from asl_engine.store.sqlite import _EXECUTION_COLUMNS

    scratch = Path(tempfile.mkdtemp(prefix="asl-bench-floor-"))
    path = scratch / "floor.db"
    try:
        _schema(path)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL", "wal_autocheckpoint=0"):
                conn.execute(f"PRAGMA {pragma}")
            insert = f"INSERT INTO executions ({_EXECUTION_COLUMNS}) VALUES ({', '.join('?' * 17)})"
            figures: tuple[list[float], list[float]] = ([], [])
            for round_ in range(rounds + 1):  # the first round warms the page cache up
                executions = [_execution(round_ * commits + index) for index in range(commits)]
                began = time.thread_time()
                for row, events, end in executions:
                    conn.execute("BEGIN")
                    conn.execute(insert, row)
                    conn.executemany("INSERT OR REPLACE INTO history_events VALUES (?, ?, ?)", events)
                    conn.execute("UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stop_date = ? "
                                 "WHERE arn = ?", end)
                    conn.execute("COMMIT")
                committed = time.thread_time()
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                ended = time.thread_time()
                if round_:
                    figures[0].append((ended - began) * 1e6 / commits)
                    figures[1].append((ended - committed) * 1e6 / commits)
            return figures
        finally:
            conn.close()
    finally:
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve_hello(int(sys.argv[2]))
    else:
        measured = measure()
        print(f"HTTP floor: {measured.http_request.cell()}; SQLite floor: {measured.sqlite_commit.cell()}, "
              f"WAL checkpoint {measured.sqlite_checkpoint.cell()} of it")
