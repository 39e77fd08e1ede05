"""`asl-engine serve` keeps its objects in the system's malloc, so memory a load used can go back.

Why (measured in issue 20, see asl_engine/allocator.py): under CPython's pymalloc, a few hundred
objects that outlive a load hold the 1 MiB arenas they landed in, and the server stayed 38% above
its starting RSS after the benchmark's load; on glibc's malloc, with `malloc_trim` after the load,
17%. PYTHONMALLOC is read only as the interpreter starts (https://docs.python.org/3/using/cmdline.html#envvar-PYTHONMALLOC),
so `serve` starts itself again with it: the same process, which a supervisor still holds by pid.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from asl_engine import allocator
from cli_support import serve
from serving import boto_client

serving = contextmanager(serve)

pytestmark = [
    pytest.mark.skipif(allocator._TRIM is None, reason="no glibc malloc_trim here"),
    pytest.mark.skipif("PYTHONMALLOC" in os.environ, reason="this test run chose an allocator for every process"),
]


def environ_of(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode().partition("=")[::2] for entry in entries if entry)


def test_serve_runs_on_the_system_malloc_in_the_process_it_was_started_as(tmp_path: Path) -> None:
    with serving("--db", str(tmp_path / "malloc.db")) as served:
        assert environ_of(served.process.pid).get("PYTHONMALLOC") == "malloc"


def test_an_allocator_the_user_chose_is_kept(tmp_path: Path) -> None:
    with serving("--db", str(tmp_path / "pymalloc.db"), env={"PYTHONMALLOC": "pymalloc"}) as served:
        assert environ_of(served.process.pid).get("PYTHONMALLOC") == "pymalloc"


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:  # ppid: field 4 of stat(5)
            found.append(int(stat.parent.name))
    return found


def test_what_the_server_starts_gets_the_allocator_of_the_users_environment(tmp_path: Path) -> None:
    """The setting is for the server's own interpreter: a JSONata evaluation that outgrows its
    slice of the event loop runs in a worker process the server spawns (asl_engine/offload.py),
    and that worker starts with the environment the user gave `serve`, without PYTHONMALLOC."""
    heavy = {"QueryLanguage": "JSONata", "StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Output": "{% $count([1..10000].($ * 2)) %}", "End": True}}}  # ~55 ms: past the slice
    with serving("--db", str(tmp_path / "children.db")) as served:
        sfn = boto_client(served.url)
        machine = sfn.create_state_machine(name="heavy", definition=json.dumps(heavy),
                                           roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        deadline = time.monotonic() + 60  # a guard against a hang, not a latency bound
        while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert (described["status"], described.get("output")) == ("SUCCEEDED", "10000")
        workers = children_of(served.process.pid)
        assert workers, "the evaluation ran in no worker process"
        for worker in workers:
            environment = environ_of(worker)
            assert "PYTHONMALLOC" not in environment and "ASL_ENGINE_STARTED_AGAIN" not in environment
