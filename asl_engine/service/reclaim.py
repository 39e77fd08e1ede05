"""Memory back once a load has ended: the tables it grew sized again for what is left (the
owner's `shrink`, `allocator.shrink`), one full garbage collection, then the C heap's free pages
given back (`allocator.trim`), when most of the executions that were running at once have ended
(and once more when the rest have, and it is quiet), or when executions have stopped ending for
a moment after many did.

Why it is needed: some of an ended execution's objects form reference cycles (an exception
holds its traceback's frames, which hold it; a run that left memory raised one), which only
CPython's cyclic collector frees (the run itself is no cycle any more: runtime/run.py). An
execution parked for a while reaches the oldest generation, and CPython collects that
generation only once it has grown by a quarter since the last time: after 10,000
executions parked on an activity are released, their objects (tens of MB) stay until more load
comes, and the allocator can give back to the system only arenas that nothing lives in any more.
One `gc.collect()` when the load is over (a few tens of milliseconds, once per load) frees them
at once. Measured in issue 20: in process, 10,000 parked and released, RSS 172 MB before the
collection, 119 MB after.

A load need not run many executions at once: 2,000 started one after another, then 2,000
activity executions, then 2,000 from 8 threads never had 1,000 running, and grew the server by
15 MB. So a load also ends when executions stop ending for a while (`QUIET_SECONDS`) after
`QUIET_LOAD` or more did: a timer per `QUIET_SECONDS` while they end, nothing per execution but
a count. What the collection frees goes back to the allocator; with the system's malloc (which
`serve` runs on, see `asl_engine.allocator`) the trim hands its free pages to the system:
measured after the benchmark's raw-client load, the collection alone gave back nothing, the trim
2 MB after its parked phase and 8-26 MB after its sequential one.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Callable

from ..allocator import trim
from ..arns import parse_arn
from ..engine.decisions import _iso_second

LOAD = 1000
"""Executions running at once that make a load worth a full collection. Executions that end
soon after they start die young, in the collections CPython makes on its own; parked ones
outlive those and wait for the oldest generation's."""
SETTLED_SHARE = 10
"""The load has ended when what is still running is at most a tenth of its peak (a few long
Waits or children may stay parked for days: they do not keep the rest from being freed)."""


YOUNG_THRESHOLD = 5000
"""Allocations between two collections of the youngest generation (CPython's default is 700).
A request allocates a few hundred short-lived objects: at 700, a collection ran every couple of
requests and most of its work was walking objects that were about to die anyway."""


def settle_heap() -> None:
    """Before a server serves: what start-up built (modules, classes, the app: ~80,000 objects
    that live as long as the process) leaves the collector's sight, and young collections run
    less often. A full collection walked all of start-up's objects each time: on 10,000 executions
    parked on an activity, the collector took a quarter of the server's CPU to park them and 7% to
    release them; with this, 12% and 3% (issue 20, measured with gc.callbacks), and parking them
    costs the server 2.6 s of CPU instead of 3.6 s."""
    gc.collect()  # start-up's garbage goes now, not frozen with the rest
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


QUIET_LOAD = 1000
"""Executions ended since the last reclaim that make a quiet moment worth one."""
EVENTS_PER_EXECUTION = 25
"""History events that weigh as one execution in a load: an execution of 25,000 events with 20 KB
states wrote 500 MB of history and left the server 160 MB larger for good (no load of a thousand
executions followed to reclaim it); it now counts as the thousand it churned the heap like."""
QUIET_SECONDS = 1.0
"""How long no execution has ended before the load counts as over (between one and two of
these after the last end)."""


CHURNED = (parse_arn, _iso_second)
"""Bounded caches whose entries every execution replaces: the last ones a load made stay for
good, each in a page of its own among the load's freed memory, where it keeps that page from
being given back. Emptied before a trim (they refill at the next call): measured after the
benchmark's raw-client load on malloc, RSS at the end 81 MB with them emptied (median of three,
80-82), 85 MB without (median of six, 81-86), from 73 MB at the start."""


def release() -> None:
    """Free the ended load's reference cycles and its last cache entries, then give the heap's
    free pages back."""
    for cache in CHURNED:
        cache.cache_clear()
    gc.collect()
    trim()


class Reclaim:
    """Follows how many executions run at once and how many have ended; `ended` reclaims when a
    load is over."""

    def __init__(self, shrink: Callable[[], None] = lambda: None) -> None:
        self._shrink = shrink  # the owner's tables sized for what is left, before the collection
        self.peak = 0  # most executions running at once since the last collection
        self.reclaims = 0  # loads reclaimed so far
        self._ended = 0  # executions ended since the last reclaim
        # A load was reclaimed with a tenth of it still running: once those have ended too and it
        # is quiet, reclaim once more (what they held, and what the heap grew to meanwhile).
        self._tail = False
        self._watch: asyncio.TimerHandle | None = None  # looks for a quiet moment

    def started(self, running: int) -> None:
        self.peak = max(self.peak, running)

    def ended(self, running: int, events: int = 0) -> bool:
        """An execution ended and `running` are left: True when a load was over and reclaimed.
        An execution of many `events` counts as many small ones (EVENTS_PER_EXECUTION)."""
        self._ended += max(1, events // EVENTS_PER_EXECUTION)
        if self.peak >= LOAD and running * SETTLED_SHARE <= self.peak:
            self.peak = running
            self._reclaim()
            self._tail = running > 0
            return True
        if self._watch is None and (self._ended >= QUIET_LOAD or self._tail):
            self._watch = asyncio.get_running_loop().call_later(QUIET_SECONDS, self._quiet, self._ended)
        return False

    def _quiet(self, ended: int) -> None:
        """Reclaim if no execution has ended since `ended` were counted; else look again later."""
        self._watch = None
        if self._ended == ended:
            self.peak = 0
            self._tail = False
            self._reclaim()
        elif self._ended >= QUIET_LOAD or self._tail:
            self._watch = asyncio.get_running_loop().call_later(QUIET_SECONDS, self._quiet, self._ended)

    def _reclaim(self) -> None:
        self._ended = 0
        self.reclaims += 1
        self._shrink()
        release()
