"""Per-peer send health: which peers' pubsub writes are stuck, so one hung peer never holds up the others.

py-libp2p 0.8.1 gives each peer its own outgoing queue (32 RPCs, the excess dropped) and sending task;
what used to block every publish was our wait for room in *all* queues. A peer whose current write has not
finished within `stall_after` is stalled: publishes stop waiting for it and its full queue drops messages
for it alone (CometBFT's TrySend). A write still unfinished after `write_deadline` means the connection
is hung (a partition drops packets without a reset): the peer is dropped and re-dialled with backoff.
Pure bookkeeping with an injected clock; `compat.deadline_pubsub_writes` feeds it.
"""
from __future__ import annotations

from collections.abc import Callable

STALL_AFTER = 0.5
WRITE_DEADLINE = 5.0


class PeerFlow:
    def __init__(self, clock: Callable[[], float], *, stall_after: float = STALL_AFTER,
                 write_deadline: float = WRITE_DEADLINE) -> None:
        if not 0 < stall_after <= write_deadline:
            raise ValueError(f"need 0 < stall_after ({stall_after}) <= write_deadline ({write_deadline})")
        self._clock = clock
        self.stall_after = stall_after
        self.write_deadline = write_deadline
        self._writing_since: dict[object, float] = {}

    def write_started(self, peer: object) -> None:
        self._writing_since[peer] = self._clock()

    def write_finished(self, peer: object) -> None:
        self._writing_since.pop(peer, None)

    def is_stalled(self, peer: object) -> bool:
        """A write to the peer has been pending for longer than `stall_after`."""
        since = self._writing_since.get(peer)
        return since is not None and self._clock() - since > self.stall_after
