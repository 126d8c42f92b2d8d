"""The node's use of p2p: topic names, the consensus transport, and batched tx gossip.

py-libp2p carries only ~180 gossip messages/s per subscriber across 4 processes, so txs travel in
batches (one message per flush interval), never one message per tx. Every payload is decoded,
size-checked and signature-checked by the topic validator before it is relayed or delivered: a tx
batch with one badly signed tx, or a consensus message failing `consensus.precheck`, is dropped and
its forwarder scored down (`Offence.INVALID_SIGNATURE`), so junk is not relayed network-wide.
"""
from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

import trio

from akechain.chain.codec import AppError
from akechain.chain.tx import InvalidSignatureError
from akechain.node.mempool import Mempool, MempoolError
from consensus.precheck import Precheck
from consensus.precheck import Verdict as PrecheckVerdict
from p2p.channel import ByteBoundedChannel
from p2p.errors import BadRequest, NotRunning, P2PError
from p2p.gossip import MAX_GOSSIP_PAYLOAD, OFFENCES, Validator, Verdict
from p2p.host import Host
from p2p.scores import Offence
from state.codec import CodecError, decode, encode

log = logging.getLogger(__name__)

INCOMING_BUFFER = 4096
INCOMING_BUFFER_BYTES = 64 << 20  # the driver drains it at once into its own byte-bounded queue
LARGE_MESSAGE_PROTOCOL = "/ake/large-message/1.0.0"
LARGE_MESSAGE_TIMEOUT = 20.0
LARGE_MESSAGES_KEPT = 8
TX_BATCH_INTERVAL = 0.05
TX_BATCH_MAX_BYTES = 512 * 1024
MAX_TX_BYTES = 64 * 1024
MAX_CONCURRENT_FETCHES = 4  # large-message fetches at once; further notices are dropped (peers re-propose)


def topic_names(chain_id: str) -> tuple[str, str, str]:
    """(tx, consensus, large-message notice) topics of a chain; evidence rides the consensus topic."""
    base = f"/ake/{chain_id}"
    return f"{base}/tx", f"{base}/consensus", f"{base}/consensus-large"


@dataclass(frozen=True, slots=True)
class TxBatch:
    """One gossip message: txs admitted to the sender's mempool since its last flush."""

    txs: tuple[bytes, ...]


def tx_batch_validator(verify_tx: Callable[[bytes], None],
                       is_catching_up: Callable[[], bool] = lambda: False) -> Validator:
    """The tx topic's validator: every tx decodes and is signed for this chain (`verify_tx`, e.g.
    `App.verify_tx`, raises AppError otherwise); one bad tx drops the batch. While the node is
    catching up (`is_catching_up`) batches are ignored unread, as CometBFT's mempool waits for
    sync: their checks would take the cores block sync needs, against a state about to change,
    and the txs reach the node in blocks anyway."""

    def validate(data: bytes, peer: str) -> Verdict:
        if is_catching_up():
            return Verdict.IGNORE
        try:
            batch = decode(TxBatch, data, max_size=MAX_GOSSIP_PAYLOAD)
        except CodecError:
            return Verdict.REJECT
        if not batch.txs or not all(0 < len(tx) <= MAX_TX_BYTES for tx in batch.txs):
            return Verdict.REJECT
        for tx in batch.txs:
            try:
                verify_tx(tx)
            except InvalidSignatureError:
                return Verdict.REJECT_SIGNATURE
            except AppError:
                return Verdict.REJECT
        return Verdict.ACCEPT

    return validate


GOSSIP_VERDICTS = {
    PrecheckVerdict.VERIFIED: Verdict.ACCEPT,
    PrecheckVerdict.OUT_OF_WINDOW: Verdict.IGNORE,
    PrecheckVerdict.MALFORMED: Verdict.REJECT,
    PrecheckVerdict.BAD_SIGNATURE: Verdict.REJECT_SIGNATURE,
}


def consensus_validator(precheck: Precheck) -> Callable[[bytes, str], Verdict]:
    """The consensus topic's validator: the driver's precheck (its verdict is cached, so the
    driver does not verify the delivered message again)."""

    def validate(data: bytes, peer: str) -> Verdict:
        return GOSSIP_VERDICTS[precheck.check(data).verdict]

    return validate


@dataclass(frozen=True, slots=True)
class LargeMessageNotice:
    """Gossiped instead of a consensus message over the gossip cap (a proposal with a big block):
    peers fetch the message itself from the publisher over `LARGE_MESSAGE_PROTOCOL`."""

    digest: bytes  # sha256 of the message bytes
    size: int


def is_valid_notice(data: bytes, peer: str) -> bool:
    try:
        notice = decode(LargeMessageNotice, data, max_size=256)
    except CodecError:
        return False
    return len(notice.digest) == 32 and notice.size > 0


class ConsensusTransport:
    """`consensus.driver.Transport` over gossip, plus `inject` for messages that arrive another
    way (decided blocks fetched by block sync enter the engine exactly like gossip).

    Messages that fit go out on the consensus topic; larger ones (proposals carrying blocks over
    the ~1 MiB gossip cap) are announced on the notice topic and served over a stream from a
    small cache, and every node that fetched one serves it onwards too. A fetched message passes
    `validate` (the consensus topic's validator) before it is kept, served or delivered, and a
    publisher of junk is scored down as a gossip forwarder would be."""

    def __init__(self, host: Host, topic: str, notice_topic: str, max_message_bytes: int,
                 validate: Callable[[bytes, str], Verdict] | None = None) -> None:
        self._host = host
        self._topic = topic
        self._notice_topic = notice_topic
        self._max_message_bytes = max_message_bytes
        self._validate = validate
        self._gossip = host.gossip.subscribe(topic)
        self._notices = host.gossip.subscribe(notice_topic)
        self._large: OrderedDict[bytes, bytes] = OrderedDict()  # digest -> message, newest last
        self._fetching: set[bytes] = set()  # digests being fetched (at most MAX_CONCURRENT_FETCHES)
        self._incoming = ByteBoundedChannel[tuple[bytes, str]](INCOMING_BUFFER, INCOMING_BUFFER_BYTES)
        host.reqresp.add_protocol(LARGE_MESSAGE_PROTOCOL, self._serve_large, max_request=64,
                                  max_response=max_message_bytes)

    async def broadcast(self, data: bytes) -> None:
        """Gossip our own message; while the node shuts down (the host already stopped) it is dropped:
        the engine's last votes must not turn a clean stop into a crash."""
        try:
            if len(data) <= MAX_GOSSIP_PAYLOAD:
                await self._host.gossip.publish(self._topic, data)
                return
            digest = hashlib.sha256(data).digest()
            self._remember(digest, data)
            await self._host.gossip.publish(self._notice_topic, encode(LargeMessageNotice(digest, len(data))))
        except NotRunning:
            log.info("host stopped: own consensus message not sent")

    @property
    def receive_channel(self) -> ByteBoundedChannel[tuple[bytes, str]]:
        return self._incoming

    async def inject(self, data: bytes, peer: str) -> None:
        """Waits while the engine is behind by the channel's bound (block sync then fetches no further)."""
        await self._incoming.send((data, peer), len(data))

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._forward_gossip)
            async for raw, origin in self._notices:
                notice = decode(LargeMessageNotice, raw, max_size=256)  # validated by the topic hook
                if self._should_fetch(notice):
                    self._fetching.add(notice.digest)
                    nursery.start_soon(self._fetch_large, notice, origin)

    def _should_fetch(self, notice: LargeMessageNotice) -> bool:
        """Once per digest, within the size cap, and a few at a time: a flood of notices costs no more."""
        if notice.digest in self._large or notice.digest in self._fetching or notice.size > self._max_message_bytes:
            return False
        if len(self._fetching) >= MAX_CONCURRENT_FETCHES:
            log.debug("dropping a large-message notice: %d fetches already running", len(self._fetching))
            return False
        return True

    async def _forward_gossip(self) -> None:
        async for data, peer in self._gossip:
            await self._incoming.send((data, peer), len(data))

    async def _fetch_large(self, notice: LargeMessageNotice, origin: str) -> None:
        try:
            try:
                data = await self._host.reqresp.request(origin, LARGE_MESSAGE_PROTOCOL, notice.digest,
                                                        timeout=LARGE_MESSAGE_TIMEOUT)
            except P2PError as exc:
                log.info("could not fetch a large consensus message from %s: %s", origin, exc)
                return
            if hashlib.sha256(data).digest() != notice.digest:
                log.warning("peer %s served a large message that does not match its notice", origin)
                self._host.scores.penalize(origin, Offence.INVALID_RESPONSE)
                return
            if self._validate is not None and (verdict := self._validate(data, origin)) is not Verdict.ACCEPT:
                offence = OFFENCES.get(verdict)
                if offence is not None:
                    self._host.scores.penalize(origin, offence)
                return
            self._remember(notice.digest, data)
        finally:
            self._fetching.discard(notice.digest)
        await self._incoming.send((data, origin), len(data))

    async def _serve_large(self, request: bytes, peer: str) -> bytes:
        data = self._large.get(request)
        if data is None:
            raise BadRequest("no such large message (expired or never announced)")
        return data

    def _remember(self, digest: bytes, data: bytes) -> None:
        self._large[digest] = data
        while len(self._large) > LARGE_MESSAGES_KEPT:
            self._large.popitem(last=False)


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
            # Duplicates and a full pool are dropped, not queued: peers get the txs in blocks anyway.
            outcomes = await self._mempool.admit(batch.txs)
            if any(not isinstance(outcome, MempoolError) and outcome[1].ok for outcome in outcomes):
                self._on_admitted()
