"""`asl-engine serve` keeps its objects in the system's malloc, so memory a load used can go back.

Why (measured in issue 20, see asl_engine/allocator.py): under CPython's pymalloc, a few hundred
objects that outlive a load hold the 1 MiB arenas they landed in, and the server stayed 38% above
its starting RSS after the benchmark's load; on glibc's malloc, with `malloc_trim` after the load,
17%. PYTHONMALLOC is read only as the interpreter starts (https://docs.python.org/3/using/cmdline.html#envvar-PYTHONMALLOC),
so `serve` starts itself again with it: the same process, which a supervisor still holds by pid.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from asl_engine import allocator
from cli_support import serve

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
