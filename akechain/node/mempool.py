"""Pending txs: admission through the app's check_tx, bounded size, priority order, recheck after commit.

`admit` is the way in from the event loop: a batch's signatures are checked in a worker thread,
then each tx is checked in order under `lock`, which the driver also holds while a block commits
(and `update` runs) in its thread, so admission never races a commit.

Besides its byte and count bounds the pool refuses txs (busy) once it holds more than `max_wait_ms`
of them at the rate blocks have been taking txs out while a backlog remained: under overload a
client is told at once instead of its tx waiting behind tens of seconds of others. Admission requires each sender's nonces to arrive contiguously (the app's admission view enforces
it), so within a sender arrival order is nonce order; `reap` merges the senders by fee, then
arrival, without ever putting a sender's nonce n+1 before n.
"""
from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import trio

from consensus.abci import CheckResult
from akechain.chain.tx import compute_tx_hash

DEFAULT_MAX_TXS = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_PER_SENDER = 1_000  # so one account cannot fill the pool and crowd out everyone else
DEFAULT_MAX_WAIT_MS = 1_500
MIN_QUEUE_TXS = 1_000  # the wait bound never cuts the pool below this (a slow block must not starve it)
DRAIN_RATE_WEIGHT = 0.3  # of the newest block in the moving average of the drain rate
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


class Mempool:
    def __init__(self, app: CheckTxApp, max_txs: int = DEFAULT_MAX_TXS, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_per_sender: int = DEFAULT_MAX_PER_SENDER, max_wait_ms: int = DEFAULT_MAX_WAIT_MS,
                 lock: trio.Lock | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app
        self.max_wait_ms = max_wait_ms
        self._clock = clock
        self._last_update: float | None = None
        self._drain_rate: float | None = None  # txs/s that blocks took out while a backlog remained
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

    async def admit(self, txs: Sequence[bytes]) -> list[Admission]:
        """Admit `txs` in order without holding the event loop: one outcome per tx, stopping after
        the first refusal for a full pool (nothing after it would fit; one sender over its cap does
        not stop the others)."""
        if len(txs) > 1:  # one tx holds the loop no longer than a thread hand-off would
            await trio.to_thread.run_sync(self._app.verify_txs, txs)
        outcomes: list[Admission] = []
        for start in range(0, len(txs), ADMIT_CHUNK):
            async with self.lock:
                for tx in txs[start:start + ADMIT_CHUNK]:
                    try:
                        outcomes.append(self.add(tx))
                    except MempoolError as exc:
                        outcomes.append(exc)
                        if type(exc) is MempoolFullError:
                            return outcomes
        return outcomes

    def add(self, tx: bytes) -> tuple[bytes, CheckResult]:
        """Admit `tx` if the app accepts it (hold `lock` while a driver runs). Raises DuplicateTxError,
        MempoolFullError or SenderFullError; an app rejection is returned as a CheckResult that is
        not ok (and the tx is not kept)."""
        tx_hash = compute_tx_hash(tx)
        # Verify the tx is new and fits before paying for a signature check
        if tx_hash in self._entries:
            raise DuplicateTxError(f"tx {tx_hash.hex()} is already in the mempool")
        if len(self._entries) >= self.max_txs or self._bytes + len(tx) > self.max_bytes:
            raise MempoolFullError(
                f"mempool is full ({len(self._entries)}/{self.max_txs} txs, {self._bytes}/{self.max_bytes} bytes)"
            )
        if len(self._entries) >= self.wait_bound():
            raise MempoolFullError(
                f"mempool holds {len(self._entries)} txs, over {self.max_wait_ms} ms at the commit rate"
            )
        result = self._app.check_tx(tx)
        # Verify the sender is under its cap (the sender is known only once the app decoded the tx)
        if result.ok and len(self._by_sender.get(result.sender, ())) >= self.max_per_sender:
            raise SenderFullError(f"sender already has {self.max_per_sender} txs in the mempool")
        if result.ok:
            self._insert(tx, tx_hash, result)
        return tx_hash, result

    def wait_bound(self) -> float:
        """The most txs the pool admits to keep a new tx's wait under `max_wait_ms`."""
        if self._drain_rate is None:
            return float(self.max_txs)
        return max(MIN_QUEUE_TXS, self._drain_rate * self.max_wait_ms / 1000)

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
            committed += self._entries.pop(compute_tx_hash(tx), None) is not None
        self._measure_drain(committed)
        remaining = list(self._entries.values())
        self._entries.clear()
        self._by_sender.clear()
        self._bytes = 0
        for entry in remaining:
            result = self._app.check_tx(entry.tx)
            if result.ok:
                self._insert(entry.tx, entry.tx_hash, result, entry.seq)

    def _measure_drain(self, committed: int) -> None:
        """Only blocks after which txs were left waiting show what blocks can take."""
        now, last = self._clock(), self._last_update
        self._last_update = now
        if last is None or not self._entries or now <= last:
            return
        rate = committed / (now - last)
        self._drain_rate = rate if self._drain_rate is None else (
            (1 - DRAIN_RATE_WEIGHT) * self._drain_rate + DRAIN_RATE_WEIGHT * rate)

    def _insert(self, tx: bytes, tx_hash: bytes, result: CheckResult, seq: int | None = None) -> None:
        if seq is None:
            self._seq += 1
            seq = self._seq
        entry = _Entry(tx=tx, tx_hash=tx_hash, sender=result.sender, priority=result.priority, seq=seq)
        self._entries[tx_hash] = entry
        self._by_sender.setdefault(result.sender, []).append(entry)
        self._bytes += len(tx)
