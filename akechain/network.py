"""The node's use of p2p: topic names, the consensus transport, and batched tx gossip.

py-libp2p carries only ~180 gossip messages/s per subscriber across 4 processes, so txs travel in
batches (one message per flush interval), never one message per tx. Every payload is decoded and
size-checked by the topic validator before it is relayed or delivered.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import trio

from akechain.mempool import Mempool, MempoolError
from consensus.types import decode_message
from p2p.gossip import MAX_GOSSIP_PAYLOAD
from p2p.host import Host
from state.codec import CodecError, decode, encode

log = logging.getLogger(__name__)

INCOMING_BUFFER = 4096
TX_BATCH_INTERVAL = 0.05
TX_BATCH_MAX_BYTES = 512 * 1024
MAX_TX_BYTES = 64 * 1024


def topic_names(chain_id: str) -> tuple[str, str, str]:
    """(tx, consensus, evidence) topics of a chain."""
    return f"/ake/{chain_id}/tx", f"/ake/{chain_id}/consensus", f"/ake/{chain_id}/evidence"


@dataclass(frozen=True, slots=True)
class TxBatch:
    """One gossip message: txs admitted to the sender's mempool since its last flush."""

    txs: tuple[bytes, ...]


def is_valid_tx_batch(data: bytes, peer: str) -> bool:
    try:
        batch = decode(TxBatch, data, max_size=MAX_GOSSIP_PAYLOAD)
    except CodecError:
        return False
    return 0 < len(batch.txs) and all(0 < len(tx) <= MAX_TX_BYTES for tx in batch.txs)


def is_valid_consensus_message(data: bytes, peer: str) -> bool:
    try:
        decode_message(data, MAX_GOSSIP_PAYLOAD)
    except CodecError:
        return False
    return True


class ConsensusTransport:
    """`consensus.driver.Transport` over a gossip topic, plus `inject` for messages that arrive
    another way (decided blocks fetched by block sync enter the engine exactly like gossip)."""

    def __init__(self, host: Host, topic: str) -> None:
        self._host = host
        self._topic = topic
        self._gossip = host.gossip.subscribe(topic)
        self._send, self._incoming = trio.open_memory_channel[tuple[bytes, str]](INCOMING_BUFFER)

    async def broadcast(self, data: bytes) -> None:
        await self._host.gossip.publish(self._topic, data)

    @property
    def receive_channel(self) -> trio.MemoryReceiveChannel[tuple[bytes, str]]:
        return self._incoming

    def inject(self, data: bytes, peer: str) -> None:
        self._send.send_nowait((data, peer))

    async def run(self) -> None:
        async for item in self._gossip:
            await self._send.send(item)


class TxGossip:
    """Publishes locally admitted txs in batches and admits peers' batches into the mempool."""

    def __init__(self, host: Host, topic: str, mempool: Mempool, on_admitted: Callable[[], None]) -> None:
        self._host = host
        self._topic = topic
        self._mempool = mempool
        self._on_admitted = on_admitted
        self._incoming = host.gossip.subscribe(topic)
        self._pending: deque[bytes] = deque()
        self._wake = trio.Event()

    def queue(self, tx: bytes) -> None:
        """A tx this node admitted from a client: relay it with the next batch."""
        self._pending.append(tx)
        self._wake.set()

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._publish_loop)
            nursery.start_soon(self._receive_loop)

    async def _publish_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = trio.Event()
            await trio.sleep(TX_BATCH_INTERVAL)  # let a burst of submissions share one message
            while self._pending:
                batch, size = [], 0
                while self._pending and size + len(self._pending[0]) <= TX_BATCH_MAX_BYTES:
                    size += len(self._pending[0])
                    batch.append(self._pending.popleft())
                try:
                    await self._host.gossip.publish(self._topic, encode(TxBatch(tuple(batch))))
                except Exception as exc:  # a gossip failure must not lose the node; peers get txs in blocks
                    log.warning("tx gossip publish failed: %s", exc)

    async def _receive_loop(self) -> None:
        async for data, peer in self._incoming:
            batch = decode(TxBatch, data, max_size=MAX_GOSSIP_PAYLOAD)  # validated by the topic hook
            admitted = 0
            for tx in batch.txs:
                try:
                    _, result = self._mempool.add(tx)
                except MempoolError:
                    continue  # duplicate or full: nothing to do
                admitted += result.ok
            if admitted:
                self._on_admitted()
            await trio.sleep(0)
