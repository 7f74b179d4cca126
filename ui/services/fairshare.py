"""Fair shares of the server's CPU for training, across every session of one process.

On a shared server each session's live training runs in its own script thread. Left alone,
ten sessions training at once keep ten threads busy and everything else a visitor does —
reading a sentence on Explore, opening a page — waits its turn behind all of them (the GIL
serves whoever asks; small numpy steps hold it most of the time). A :class:`FairGate` lets at
most ``slots`` training chunks run at once (``RNNX_TRAIN_SLOTS``, default 1) and serves the
waiting ones in arrival order, so:

- interactive work competes with ``slots`` training threads, not with every session's;
- a session that finishes a chunk and asks again queues behind the others (no barging), so
  no session's training starves another's; each of n sessions gets about 1/n of the slots.

A chunk is at most ``ui.services.run.CHUNK_SECONDS`` (or a step) long, which bounds how long anyone
waits for a slot. ``benchmarks/fair_share.py`` measures the effect.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator


class FairGate:
    """At most ``slots`` holders at once; waiters enter in the order they arrived."""

    def __init__(self, slots: int):
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots = slots
        self._cond = threading.Condition()
        self._free = slots
        self._queue: deque[object] = deque()
        self.entries = 0  # how many times a holder entered (for tests and benchmarks)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            while self._queue[0] is not ticket or self._free == 0:
                self._cond.wait()
            self._queue.popleft()
            self._free -= 1
            self.entries += 1
            self._cond.notify_all()  # with several slots, the next in line may enter too
        try:
            yield
        finally:
            with self._cond:
                self._free += 1
                self._cond.notify_all()

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)


_GATES: dict[int, FairGate] = {}
_GATES_LOCK = threading.Lock()


def shared_gate(slots: int) -> FairGate:
    """The process's gate with ``slots`` slots (one per distinct slot count: every session of
    a server reads the same limits, so in practice one gate)."""
    with _GATES_LOCK:
        if slots not in _GATES:
            _GATES[slots] = FairGate(slots)
        return _GATES[slots]
