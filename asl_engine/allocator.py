"""Which allocator a server's Python objects live in, and giving its free memory back.

Why the server does not keep CPython's own small-object allocator (pymalloc): pymalloc carves
objects out of 1 MiB arenas and gives an arena back to the system only once nothing at all lives
in it. A load leaves a few hundred objects that outlive it (a cache's latest entries, a machine
created during it, sqlite3's weak references to its last cursors, timers), and they land in
whichever arenas had room at that moment. Measured in issue 20 after the raw-client load of
`benchmarks.run --only calls --parked 10000` (10,000 executions parked and released, 2,000
sequential starts, describes, histories and activity executions, 2,000 concurrent starts): 674
such objects held 24 arenas, 57 in all where the server started with 33, 22 MB of them empty
pools, while Python's live bytes were back within 0.2 MB of the start; RSS 70 -> 97 MB (+38%),
and neither `gc.collect()` nor glibc's `malloc_trim(0)` gave any of it back. On the system's
malloc (`PYTHONMALLOC=malloc`) a survivor holds a 4 KiB page, not a 1 MiB arena, and
`malloc_trim(0)` (`trim`, 1-11 ms once per load) returns the free pages inside the heap: the
benchmark's RSS at start, peak and end went from 69 · 100 · 98 MB (+42%) to 72 · 112 · 85 MB
(+18%). Server CPU per call, pymalloc vs malloc, medians of six alternate fresh servers on this
2-core machine at load 3-4 (each figure's runs spread 10-30% either way): StartExecution 0.32 vs
0.33 ms, DescribeExecution 0.10 vs 0.095, GetExecutionHistory 0.12 vs 0.125, GetActivityTask
0.37 vs 0.395, concurrent starts 0.25 vs 0.25; the engine alone on W1-W4 as fast or faster.

`PYTHONMALLOC` is read only when the interpreter starts, so `asl-engine serve` sets it and
starts itself again (`use_system_malloc`). A user who sets PYTHONMALLOC keeps their choice
(`PYTHONMALLOC=pymalloc` restores CPython's default); the processes the server starts (JSONata's
workers) get the user's environment, without the setting chosen for the server. Where the C
library has no `malloc_trim` (not glibc) nothing changes, since a trim is what the system
allocator would be chosen for.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

SYSTEM_MALLOC = "malloc"
_STARTED_AGAIN = "ASL_ENGINE_STARTED_AGAIN"  # set for the exec by `use_system_malloc`, and taken away


def _malloc_trim() -> Any | None:
    """glibc's `malloc_trim`, or None (another C library, or none found)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def use_system_malloc() -> None:
    """Start this command again with Python's objects in the system's malloc, when that can
    give memory back (`trim`) and the user did not choose an allocator: returns only when this
    process already runs as it should (the same process id either way: exec)."""
    if os.environ.pop(_STARTED_AGAIN, None) is not None:
        # This process is the one started again, and its interpreter has read the setting: what
        # it starts in turn (JSONata's worker processes) gets Python's own allocator, as the
        # user's environment had it, not the setting chosen for this server.
        os.environ.pop("PYTHONMALLOC", None)
        return
    if _TRIM is None or os.environ.get("PYTHONMALLOC") or not sys.executable or not sys.orig_argv:
        return
    os.execve(sys.executable, sys.orig_argv, {**os.environ, "PYTHONMALLOC": SYSTEM_MALLOC, _STARTED_AGAIN: "1"})


def trim() -> bool:
    """Give the C heap's free pages back to the system (glibc's `malloc_trim(0)`); True when
    some were."""
    return bool(_TRIM is not None and _TRIM(0))


def shrink(*containers: dict[Any, Any] | set[Any] | list[Any]) -> None:
    """Give back what a load made containers grow to: CPython never shrinks a dict's or a set's
    table as it empties (one that held 100,000 parked executions' entries keeps 3-5 MB with
    none left in it). Each is cleared and refilled in place, sized for what it holds now: its
    identity is kept, so whoever holds it keeps the same object."""
    for container in containers:
        if isinstance(container, dict):
            items = list(container.items())
            container.clear()
            container.update(items)
        elif isinstance(container, set):
            members = list(container)
            container.clear()
            container.update(members)
        else:
            elements = list(container)
            container.clear()
            container.extend(elements)
