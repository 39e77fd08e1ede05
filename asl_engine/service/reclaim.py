"""Memory back once a load has ended: one full garbage collection when most of the executions
that were running at once have ended.

Why it is needed: an ended execution's objects (its run, and the shell, branches, task attempts
and checkpoints that point back to it) form reference cycles, which only CPython's cyclic
collector frees. An execution parked for a while reaches the oldest generation, and CPython
collects that generation only once it has grown by a quarter since the last time: after 10,000
executions parked on an activity are released, their objects (tens of MB) stay until more load
comes, and the allocator can give back to the system only arenas that nothing lives in any more.
One `gc.collect()` when the load is over (a few tens of milliseconds, once per load) frees them
at once. Measured in issue 20: in process, 10,000 parked and released, RSS 172 MB before the
collection, 119 MB after.
"""

from __future__ import annotations

import gc

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


class Reclaim:
    """Follows how many executions run at once; `ended` collects when a load is over."""

    def __init__(self) -> None:
        self.peak = 0  # most executions running at once since the last collection

    def started(self, running: int) -> None:
        self.peak = max(self.peak, running)

    def ended(self, running: int) -> bool:
        """An execution ended and `running` are left: True when a load was over and collected."""
        if self.peak < LOAD or running * SETTLED_SHARE > self.peak:
            return False
        self.peak = running
        gc.collect()
        return True
