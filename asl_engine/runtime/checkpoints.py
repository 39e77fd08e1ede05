"""The one owner of an execution's checkpoints: its history and the positions of its frames.

A checkpoint is the events recorded since the last one plus the position of every frame that
moved since then (`position.Frame.snapshot`), handed to the sink as one unit so a store writes
both in one transaction: what is on disk is always one consistent moment of the execution, and a
restarted server resumes from it (`position.Resume`). The shell and its collaborators record
events on a frame (`Frame.record`) and say when a position must be durable (`save`, `commit`); only
this class decides what goes to the sink and when.
"""

from __future__ import annotations

from ..clock import Clock
from ..execution import EventSink, HistoryEvent
from ..history import History
from ..payload import to_json
from ..position import Frame, Phase

FLUSH_EVENTS = 500  # events a long run of transitions hands to the store at once (each encoded on the loop)
FLUSH_CHARACTERS = 4 * 1024 * 1024
"""... or fewer, once their inputs and outputs come to this: 500 states of 200 KB each were 100 MB
to encode in one go on the event loop, and other clients waited 270 ms."""


class Checkpoints:
    """The execution's history and the frames whose position changed since the last flush."""

    __slots__ = ("_clock", "_dirty", "_sink", "history")

    def __init__(self, clock: Clock, sink: EventSink) -> None:
        self.history = History(clock, sink)
        self._clock = clock
        self._sink = sink
        self._dirty: set[Frame] = set()

    def save(self, frame: Frame, phase: Phase) -> None:
        """The frame is now in `phase`: saved with the next flush."""
        frame.phase = phase
        self._dirty.add(frame)

    def commit(self, frame: Frame, phase: Phase | None = None) -> None:
        """The frame is now in `phase` (None: the one it is in), durable with the events before
        it before the caller goes on (it is about to wait, or to do what must not be done twice)."""
        if phase is not None:
            frame.phase = phase
        self._dirty.add(frame)
        self.flush()

    async def on_disk(self, frame: Frame) -> None:
        """`commit`, and return only once the store has committed it: for what goes out of the
        process with the position (a task token), so a restart waits for what went out, not
        for something it would make anew."""
        self.commit(frame)
        with self._clock.busy():  # committing, not waiting on time: a virtual clock must not jump
            await self._sink.written()

    def flush(self) -> None:
        """Hand the pending events, and the positions they lead to, to the sink as one unit."""
        dirty, self._dirty = self._dirty, set()
        self.history.flush({"frames": {frame.id: to_json(frame.snapshot()) for frame in dirty}} if dirty else None)

    def between_states(self) -> None:
        """A long run of transitions hands its events over a batch at a time, not at the end:
        called as a state is entered (runtime/shell.py), when the positions agree with the events."""
        history = self.history
        if history.pending >= FLUSH_EVENTS or history.pending_characters >= FLUSH_CHARACTERS:
            self.flush()

    def behind(self) -> bool:
        """Has the store fallen far behind (a long run of large states makes history faster than
        it is written: without waiting for it, the queue grew by gigabytes)?"""
        return self._sink.behind()

    async def catch_up(self) -> None:
        """Wait until the store has committed what it was given."""
        with self._clock.busy():  # committing, not waiting on time
            await self._sink.written()

    def positions(self) -> dict[str, str]:
        """The positions (as JSON) of the frames that moved since the last flush."""
        return {frame.id: to_json(frame.snapshot()) for frame in self._dirty}

    def close(self, keep: bool) -> list[HistoryEvent]:
        """The execution ended: it has no position to save. With `keep`, the last events are
        returned for a store that writes them with the execution's status in one transaction;
        else they are flushed."""
        self._dirty.clear()
        if keep:
            return self.history.take()
        self.flush()
        return []
