"""Where asl-engine's server spends its time on W1-W5: py-spy over the real server process.

    .venv/bin/pip install py-spy      # a measuring tool, deliberately not a project dependency
    .venv/bin/python -m benchmarks.profile [--only W1,W5 | --only calls] [--repeat 20] [--top 25]

py-spy samples every thread (the event loop and aiosqlite's worker alike) from outside, so the
profile is of the server as users run it, not of an in-process imitation. Prints the share of
busy samples (idle waits in select and in aiosqlite's queue dropped) per layer, and per pair of
"innermost asl-engine function > function on top": what our code asked for, and what it cost.

Shares of wall time, not of CPU: py-spy counts a thread that is ready to run but waits for a core
as busy. On a loaded machine that overstates uvicorn's socket write, where the client is woken and
may take the core (half of a StartExecution's samples on 2 busy cores, while a whole hello-world
request costs 0.05 ms of CPU there). The CPU per call is percall.py's to measure.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import percall
from .client import make_client
from .drivers import Prepared
from .run import plan
from .servers import REPO, Server, start_asl_engine

# Top frames that mean "waiting", not working: the event loop's select, aiosqlite's queue.get.
# With uvloop the loop's own wait (and its C work) shows as Runner.run on top: counted as idle.
IDLE = ("select (selectors.py", "wait (threading.py", "_connection_worker_thread (aiosqlite/core.py:59)",
        "run (asyncio/runners.py")
STARTUP = "_find_and_load ("  # imports happen at start-up, before the first request
FRAME = re.compile(r"^(.*) \((.*?):\d+\)$")
# A sample belongs to the layer of the topmost frame that names one; asyncio's own frames don't.
LAYERS = (
    ("logging", "logging/"), ("json (stdlib)", "json/"), ("aiosqlite worker thread", "_connection_worker_thread"),
    ("asl_engine/store (event loop side)", "asl_engine/store/"), ("asl_engine/api (protocol, actions, app)", "asl_engine/api/"),
    ("asl_engine (runtime, history)", "asl_engine/"), ("HTTP stack (uvicorn, h11, starlette, fastapi, anyio)",
                                                 "uvicorn/|h11/|starlette/|fastapi/|anyio/"),
)


def _function(frame: str) -> str:
    """`name (path/file.py:12)` -> `path/file.py:name`: one row per function, not per line."""
    match = FRAME.match(frame)
    return f"{match.group(2)}:{match.group(1)}" if match else frame


def _layer(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in LAYERS:
            if re.search(pattern, frame):
                return name
    return "asyncio event loop, other"


def _ours(frames: list[str]) -> str:
    """The innermost asl_engine/ function on the stack: who asked for the work on top."""
    mine = [_function(f) for f in frames if "asl_engine/" in f and "__main__" not in f]
    return f"{mine[-1] if mine else '(no asl-engine frame)'} > {_function(frames[-1])}"


def summarize(raw: Path, top: int) -> str:
    """Busy samples by layer, then by (our innermost function > the function on top)."""
    layers: collections.Counter[str] = collections.Counter()
    blame: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = stack.split(";")[1:]  # the first frame is the process/thread label
        if not frames or any(marker in frames[-1] for marker in IDLE) or any(STARTUP in f for f in frames):
            continue
        count = int(count_text)
        busy += count
        layers[_layer(frames)] += count
        blame[_ours(frames)] += count
    rows = [f"{busy} busy samples", "share  layer"]
    rows += [f"{100 * count / busy:5.1f}  {name}" for name, count in layers.most_common()]
    rows += ["", "share  our innermost function > function on top of the stack"]
    rows += [f"{100 * count / busy:5.1f}  {name}" for name, count in blame.most_common(top)]
    return "\n".join(rows)


def run_workloads(server: Server, only: set[str], repeat: int) -> None:
    """The benchmark's own drivers, `repeat` times each, on W1-W5 (or `only` those); `calls`
    is the raw-client section of percall.py (`repeat` x 100 calls per action, no parking)."""
    if "calls" in only:
        percall.measure(server, repeat * 100, repeat * 100, [], 0.0)
        only = only - {"calls"}
        if not only:
            return
    endpoint = server.endpoint
    selected = only or {"W1", "W2", "W3", "W4", "W5"}
    options = argparse.Namespace(budget=120.0, only=selected, w8_count=0, w8_budget=0.0)
    client, prepared = make_client(endpoint), Prepared()
    for _, _, _, driver in plan(options):
        for _ in range(repeat):
            driver(client, prepared)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=set())
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--rate", type=int, default=500)
    args = parser.parse_args()
    py_spy = shutil.which("py-spy", path=str(REPO / ".venv" / "bin")) or shutil.which("py-spy")
    if py_spy is None:
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    raw = Path(tempfile.mkdtemp(prefix="asl-profile-")) / "stacks.txt"
    # Attached to the server once it listens: `serve` starts itself again on the system malloc
    # (asl_engine/allocator.py), an exec that a py-spy launching the command loses track of.
    server = start_asl_engine()
    spy = subprocess.Popen([py_spy, "record", "--format", "raw", "--rate", str(args.rate), "--output", str(raw),
                            "--pid", str(server.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # py-spy attaches
        run_workloads(server, args.only, args.repeat)
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        spy.wait(timeout=30)
        server.stop()
    print(summarize(raw, args.top))
    print(f"raw stacks: {raw}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
