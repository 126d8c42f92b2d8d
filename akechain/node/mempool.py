"""Pending txs: admission through the app's check_tx, bounded size, priority order, recheck after commit.

`admit` is the way in from the event loop: a batch's signatures are checked in a worker thread,
then each tx is checked in order under `lock`, which the driver also holds while a block commits
(and `update` runs) in its thread, so admission never races a commit.

Besides its byte and count bounds the pool refuses clients' txs (busy) while its oldest tx has
waited more than `max_wait_ms` (a queueing delay, as CoDel bounds it): under overload a client is
told at once instead of its tx waiting behind tens of seconds of others, while blocks still find a
full backlog.

A client's submission must also fit the backlog bound: no more txs pending than the chain commits
in `max_backlog_ms` at its recent rate (txs committed per second the pool held txs, over the last
few commits that took any; never below `min_backlog_txs`). The wait bound alone lets in the offered rate times `max_wait_ms`, which at twice
the saturation rate is twice that long of work; this bound keeps an accepted tx within about
`max_backlog_ms` of its commit. Peers' txs (gossip) are held neither to the wait bound nor to the
backlog bound but to PEER_BACKLOG_FACTOR times it, so every pool keeps the txs any node accepted
and any proposer can include them.

Admission requires each sender's nonces to arrive contiguously (the app's admission view enforces
it), so within a sender arrival order is nonce order; `reap` merges the senders by fee, then
arrival, without ever putting a sender's nonce n+1 before n.
"""
from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import trio

from consensus.abci import CheckResult
from akechain.chain.tx import compute_tx_hash

DEFAULT_MAX_TXS = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_PER_SENDER = 1_000  # so one account cannot fill the pool and crowd out everyone else
DEFAULT_MAX_WAIT_MS = 2_000  # above a loaded devnet's block interval, below the 3 s latency target
# Of commit work a client's tx may wait behind (0: no such bound): about one block, so with its own
# block's commit an accepted tx is answered within about two block intervals (2,000 gave p99 5.5 s
# at twice the saturation rate; 1,000 gave 2.2-2.8 s at 96-108% of saturation).
DEFAULT_MAX_BACKLOG_MS = 1_000
# The backlog bound never goes below this (from it the bound grows with each block): a devnet block
# at saturation holds about this many, and a floor of 1,000 answered busy below saturation.
MIN_BACKLOG_TXS = 1_500
# Peers' txs may fill the pool to this many times the clients' backlog bound: room for every tx the
# other nodes accepted under an honest overload, not for a flood of valid txs that would make this
# node answer its own clients busy for tens of seconds.
PEER_BACKLOG_FACTOR = 4
RATE_WINDOW_COMMITS = 8  # commits the recent commit rate is measured over
ADMIT_CHUNK = 256  # txs checked per hold of the lock (~10 ms): a commit waits at most this long


class MempoolError(Exception):
    """A tx the mempool refuses before asking the app."""


class MempoolFullError(MempoolError):
    """The pool is at its tx or byte bound: the client should retry later (HTTP 503)."""


class SenderFullError(MempoolFullError):
    """This sender already has its cap of pending txs (HTTP 429)."""


class DuplicateTxError(MempoolError):
    pass


class CheckTxApp(Protocol):
    def check_tx(self, tx: bytes) -> CheckResult: ...

    def tx_sender(self, tx: bytes) -> bytes | None:
        """The signer of a well-formed, validly signed tx (None otherwise), without touching state."""

    def verify_txs(self, txs: Sequence[bytes]) -> None:
        """Signature-check txs ahead of check_tx (thread-safe; the verdicts are cached)."""


Admission = tuple[bytes, CheckResult] | MempoolError  # (tx hash, app verdict) or why the pool refused it


@dataclass(frozen=True, slots=True)
class _Entry:
    tx: bytes
    tx_hash: bytes
    sender: bytes
    priority: int
    seq: int  # arrival order
    arrived: float  # clock reading at first admission (kept across rechecks)


class Mempool:
    def __init__(self, app: CheckTxApp, max_txs: int = DEFAULT_MAX_TXS, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_per_sender: int = DEFAULT_MAX_PER_SENDER, max_wait_ms: int = DEFAULT_MAX_WAIT_MS,
                 max_backlog_ms: int = DEFAULT_MAX_BACKLOG_MS, min_backlog_txs: int = MIN_BACKLOG_TXS, lock: trio.Lock | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app
        self.max_wait_ms = max_wait_ms
        self.max_backlog_ms = max_backlog_ms
        self.min_backlog_txs = min_backlog_txs
        # (seconds the pool held txs before the commit, txs committed) of the last commits that took any
        self._commits: deque[tuple[float, int]] = deque(maxlen=RATE_WINDOW_COMMITS)
        self._busy_since: float | None = None  # since the last commit, or the first tx after an empty pool
        self._clock = clock
        self.lock = trio.Lock() if lock is None else lock
        self.max_txs = max_txs
        self.max_bytes = max_bytes
        self.max_per_sender = max_per_sender
        self._entries: dict[bytes, _Entry] = {}  # by tx hash, in arrival order
        self._by_sender: dict[bytes, list[_Entry]] = {}  # each in nonce (= arrival) order
        self._bytes = 0
        self._seq = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, tx_hash: bytes) -> bool:
        return tx_hash in self._entries

    @property
    def size_bytes(self) -> int:
        return self._bytes

    async def admit(self, txs: Sequence[bytes], from_client: bool = False) -> list[Admission]:
        """Admit `txs` in order without holding the event loop: one outcome per tx, stopping after
        the first refusal for a full pool (nothing after it would fit; one sender over its cap does
        not stop the others). A client's txs must also fit the backlog bound, a peer's a multiple of it."""
        limit = self.backlog_limit() if from_client else min(self.max_txs, PEER_BACKLOG_FACTOR * self.backlog_limit())
        # Only what can fit is verified ahead: a busy answer must cost the node next to nothing.
        ahead = txs[:self.room(limit, from_client)]
        if len(ahead) > 1:  # one tx holds the loop no longer than a thread hand-off would
            await trio.to_thread.run_sync(self._app.verify_txs, ahead)
        outcomes: list[Admission] = []
        for start in range(0, len(txs), ADMIT_CHUNK):
            async with self.lock:
                for tx in txs[start:start + ADMIT_CHUNK]:
                    try:
                        if len(self._entries) >= limit:
                            raise MempoolFullError(f"mempool is behind: {len(self._entries)} txs pending, about "
                                                   f"{self.max_backlog_ms} ms of commits at the recent rate")
                        outcomes.append(self.add(tx, from_client))
                    except MempoolError as exc:
                        outcomes.append(exc)
                        if type(exc) is MempoolFullError:
                            return outcomes
        return outcomes

    def add(self, tx: bytes, from_client: bool = True) -> tuple[bytes, CheckResult]:
        """Admit `tx` if the app accepts it (hold `lock` while a driver runs). Raises DuplicateTxError,
        MempoolFullError or SenderFullError; an app rejection is returned as a CheckResult that is
        not ok (and the tx is not kept). A peer's tx (`from_client=False`) is not held to the wait
        bound: it was accepted elsewhere, and a proposer here can only include what it holds."""
        tx_hash = compute_tx_hash(tx)
        # Verify the tx is new and fits before paying for a signature check
        if tx_hash in self._entries:
            raise DuplicateTxError(f"tx {tx_hash.hex()} is already in the mempool")
        if len(self._entries) >= self.max_txs or self._bytes + len(tx) > self.max_bytes:
            raise MempoolFullError(
                f"mempool is full ({len(self._entries)}/{self.max_txs} txs, {self._bytes}/{self.max_bytes} bytes)"
            )
        waited_ms = self.oldest_wait_ms()
        if from_client and waited_ms > self.max_wait_ms:
            raise MempoolFullError(f"mempool is behind: its oldest tx has waited {waited_ms:.0f} ms")
        # Verify the sender is under its cap before check_tx, which charges the nonce in the admission view
        sender = self._app.tx_sender(tx)
        if sender is not None and len(self._by_sender.get(sender, ())) >= self.max_per_sender:
            raise SenderFullError(f"sender already has {self.max_per_sender} txs in the mempool")
        result = self._app.check_tx(tx)
        if result.ok:
            self._insert(tx, tx_hash, result)
        return tx_hash, result

    def room(self, limit: int | None = None, from_client: bool = True) -> int:
        """How many more txs the pool takes now by count (up to `limit`, default the hard bound) and,
        for a client's, wait (bytes are checked per tx)."""
        if from_client and self.oldest_wait_ms() > self.max_wait_ms:
            return 0
        return max(0, min(self.max_txs, self.max_txs if limit is None else limit) - len(self._entries))

    def commit_rate(self) -> float | None:
        """Txs committed per second of pending work over the last few commits (None before any):
        idle time, with nothing pending, does not count."""
        elapsed = sum(seconds for seconds, _ in self._commits)
        return sum(count for _, count in self._commits) / elapsed if elapsed > 0 else None

    def backlog_limit(self) -> int:
        """The most txs pending for a client's tx to be admitted: `max_backlog_ms` of commits."""
        rate = self.commit_rate()
        if self.max_backlog_ms == 0 or rate is None:
            return self.max_txs
        return max(self.min_backlog_txs, int(rate * self.max_backlog_ms / 1000))

    def oldest_wait_ms(self) -> float:
        oldest = next(iter(self._entries.values()), None)
        return 0.0 if oldest is None else (self._clock() - oldest.arrived) * 1000

    def reap(self, max_bytes: int) -> list[bytes]:
        """Txs for a proposal, highest fee first (ties: earliest), each sender's in nonce order,
        totalling at most `max_bytes`. A sender whose next tx does not fit contributes no more."""
        heap = [(-queue[0].priority, queue[0].seq, 0, queue) for queue in self._by_sender.values()]
        heapq.heapify(heap)
        chosen: list[bytes] = []
        total = 0
        while heap:
            _, _, index, queue = heapq.heappop(heap)
            entry = queue[index]
            if total + len(entry.tx) > max_bytes:
                continue
            chosen.append(entry.tx)
            total += len(entry.tx)
            if index + 1 < len(queue):
                following = queue[index + 1]
                heapq.heappush(heap, (-following.priority, following.seq, index + 1, queue))
        return chosen

    def update(self, height: int, committed_txs: Iterable[bytes]) -> None:
        """After block `height` is committed: drop its txs, then recheck the rest against the new
        state (in arrival order, so each sender's nonces replay in order) and drop what fails."""
        committed = 0
        for tx in committed_txs:
            self._entries.pop(compute_tx_hash(tx), None)
            committed += 1
        now = self._clock()
        if committed and self._busy_since is not None:
            self._commits.append((now - self._busy_since, committed))
        remaining = list(self._entries.values())
        self._entries.clear()
        self._by_sender.clear()
        self._bytes = 0
        for entry in remaining:
            result = self._app.check_tx(entry.tx)
            if result.ok:
                self._insert(entry.tx, entry.tx_hash, result, entry.seq, entry.arrived)
        self._busy_since = now if self._entries else None

    def _insert(self, tx: bytes, tx_hash: bytes, result: CheckResult, seq: int | None = None,
                arrived: float | None = None) -> None:
        if seq is None:
            self._seq += 1
            seq = self._seq
        entry = _Entry(tx=tx, tx_hash=tx_hash, sender=result.sender, priority=result.priority, seq=seq,
                       arrived=self._clock() if arrived is None else arrived)
        if self._busy_since is None:
            self._busy_since = entry.arrived
        self._entries[tx_hash] = entry
        self._by_sender.setdefault(result.sender, []).append(entry)
        self._bytes += len(tx)
