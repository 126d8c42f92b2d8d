"""GossipSub topics: per-topic size cap and validator applied before delivery and relay, publish flow control.

Topics are registered before the host runs (`add_topic`); `subscribe` hands out channels of
(data, origin peer id), never the node's own messages, each bounded by count and bytes: a subscriber that
falls behind loses what does not fit (gossip is best effort; blocks carry what matters), and libp2p's own
subscription buffer is drained at once, so no queue between the sockets and a subscriber holds more. A message over the topic's cap or refused by its
validator is neither delivered nor relayed, and the peer that forwarded it to us is scored down (an honest
peer validates before relaying, so it never forwards junk); a validator may also ignore a message (drop it
without blame, e.g. one outside our height window, where an honest peer may well be). Own publishes are not validated here: the
caller built them, and `publish` refuses payloads over the cap with `PayloadTooLarge`.
"""
from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import trio
from libp2p.peer.id import ID
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.pubsub.subscription import TrioSubscriptionAPI

from p2p.channel import ByteBoundedChannel
from p2p.compat import raise_subscription_buffer
from p2p.errors import NotRunning, P2PError, PayloadTooLarge, UnknownTopic
from p2p.flow import PeerFlow
from p2p.scores import Offence, PeerScores

log = logging.getLogger(__name__)



class Verdict(enum.Enum):
    """A topic validator's answer (libp2p's accept / ignore / reject)."""

    ACCEPT = "deliver and relay"
    IGNORE = "drop without blame"
    REJECT = "junk: drop and score the forwarder down"
    REJECT_SIGNATURE = "a bad signature: drop and score the forwarder down as for junk bytes"


OFFENCES = {Verdict.REJECT: Offence.INVALID_MESSAGE, Verdict.REJECT_SIGNATURE: Offence.INVALID_SIGNATURE}
VERDICT_LABELS = {Verdict.ACCEPT: "accept", Verdict.IGNORE: "ignore", Verdict.REJECT: "reject",
                  Verdict.REJECT_SIGNATURE: "reject"}

# (data, origin peer id) -> a Verdict; True and False stand for ACCEPT and REJECT.
Validator = Callable[[bytes, str], bool | Verdict]

# py-libp2p 0.8.1 drops pubsub frames over 1 MiB without an error; the frame also carries the
# signature, key, sender record and topic, so payloads keep this margin under it.
MAX_GOSSIP_PAYLOAD = (1 << 20) - (4 << 10)
# Each peer's outgoing queue holds 32 RPCs and drops the rest silently: publish waits while a peer that is
# still draining is above this mark. A stalled peer (p2p.flow) is never waited for: its queue drops for it alone.
QUEUE_HIGH_WATER = 8
# A draining peer that stays congested this long is left to drop; it catches up by block sync.
MAX_FLOW_CONTROL_WAIT = 0.5
FLOW_CONTROL_POLL = 0.002
DELIVERY_BUFFER = 1024
DELIVERY_BUFFER_BYTES = 32 << 20  # per subscriber: 32 frames at the gossip cap


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    max_size: int
    validate: Validator | None
    in_thread: bool  # the validator runs in a worker thread (it must be thread-safe)


class Gossip:
    """The topics of one host's `Pubsub`; `run` joins them and delivers to subscribers."""

    def __init__(self, pubsub: Pubsub, scores: PeerScores, flow: PeerFlow) -> None:
        self._pubsub = pubsub
        self._scores = scores
        self._flow = flow
        self._topics: dict[str, Topic] = {}
        self._subscribers: dict[str, list[ByteBoundedChannel[tuple[bytes, str]]]] = {}
        self._running = False
        self.dropped = 0  # deliveries a subscriber had no room for
        self.verdicts: Counter[tuple[str, str]] = Counter()  # (topic, accept|ignore|reject) of peers' messages

    def add_topic(self, name: str, max_size: int, validate: Validator | None = None, *, in_thread: bool = False) -> None:
        """`in_thread` runs `validate` in a worker thread: for costly checks (a batch of signatures), which
        then hold only the forwarding peer's reader, never the event loop (libp2p awaits async validators)."""
        if self._running:
            raise P2PError(f"topic {name}: topics are registered before the host runs")
        if not 0 < max_size <= MAX_GOSSIP_PAYLOAD:
            raise ValueError(f"topic {name}: max_size {max_size} not in 1..{MAX_GOSSIP_PAYLOAD}")
        topic = Topic(name, max_size, validate, in_thread)
        self._topics[name] = topic
        self._subscribers[name] = []
        if in_thread:
            self._pubsub.set_topic_validator(name, partial(self._is_acceptable_in_thread, topic), True)
        else:
            self._pubsub.set_topic_validator(name, partial(self._is_acceptable, topic), False)

    def subscribe(self, name: str, max_count: int = DELIVERY_BUFFER,
                  max_bytes: int = DELIVERY_BUFFER_BYTES) -> ByteBoundedChannel[tuple[bytes, str]]:
        """A channel of (data, origin peer id); what a slow reader has no room for is dropped for it alone."""
        self._topic(name)
        channel = ByteBoundedChannel[tuple[bytes, str]](max_count, max_bytes)
        self._subscribers[name].append(channel)
        return channel

    async def publish(self, name: str, data: bytes) -> None:
        topic = self._topic(name)
        if len(data) > topic.max_size:
            raise PayloadTooLarge(f"topic {name}: {len(data)} B is over its max_size {topic.max_size}")
        if not self._running:
            raise NotRunning(f"topic {name}: publish needs a running host")
        await self._wait_for_queue_room(name)
        await self._pubsub.publish(name, data)

    async def wait_for_mesh(self, name: str, peer_id: str, timeout: float) -> None:
        """Return once the peer is in our mesh for the topic; raises trio.TooSlowError after timeout."""
        await self._pubsub.wait_for_mesh(ID.from_base58(peer_id), self._topic(name).name, timeout=timeout)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        raise_subscription_buffer()
        async with trio.open_nursery() as nursery:
            for name in self._topics:
                nursery.start_soon(self._deliver, name, await self._pubsub.subscribe(name))
            self._running = True
            try:
                task_status.started()
                await trio.sleep_forever()
            finally:
                self._running = False

    def _topic(self, name: str) -> Topic:
        topic = self._topics.get(name)
        if topic is None:
            raise UnknownTopic(f"topic {name} was never registered with add_topic")
        return topic

    def _is_acceptable(self, topic: Topic, forwarder: ID, msg: rpc_pb2.Message) -> bool:
        """The pubsub validator: runs before delivery and relay."""
        if self._is_own_or_oversize(topic, forwarder, msg):
            return forwarder == self._pubsub.my_id
        return self._settle(topic, forwarder, self._verdict(topic, msg))

    async def _is_acceptable_in_thread(self, topic: Topic, forwarder: ID, msg: rpc_pb2.Message) -> bool:
        """`_is_acceptable` with the topic's validator run in a worker thread."""
        if self._is_own_or_oversize(topic, forwarder, msg):
            return forwarder == self._pubsub.my_id
        return self._settle(topic, forwarder, await trio.to_thread.run_sync(self._verdict, topic, msg))

    def _is_own_or_oversize(self, topic: Topic, forwarder: ID, msg: rpc_pb2.Message) -> bool:
        """True when no validator need run: our own message (accepted) or one over the cap (scored)."""
        if forwarder == self._pubsub.my_id:
            return True
        if len(msg.data) > topic.max_size:
            self._scores.penalize(forwarder.to_base58(), Offence.OVERSIZE)
            self.verdicts[topic.name, "reject"] += 1
            return True
        return False

    def _verdict(self, topic: Topic, msg: rpc_pb2.Message) -> Verdict:
        if topic.validate is None:
            return Verdict.ACCEPT
        try:
            verdict = topic.validate(msg.data, ID(msg.from_id).to_base58())
        except Exception:  # A validator that chokes on junk must not take the host down.
            log.exception("topic %s validator raised on a message from %s", topic.name, ID(msg.from_id))
            verdict = Verdict.REJECT
        if isinstance(verdict, bool):
            verdict = Verdict.ACCEPT if verdict else Verdict.REJECT
        return verdict

    def _settle(self, topic: Topic, forwarder: ID, verdict: Verdict) -> bool:
        self.verdicts[topic.name, VERDICT_LABELS[verdict]] += 1
        offence = OFFENCES.get(verdict)
        if offence is not None:
            self._scores.penalize(forwarder.to_base58(), offence)
        return verdict is Verdict.ACCEPT

    async def _deliver(self, name: str, subscription: TrioSubscriptionAPI) -> None:
        my_id = self._pubsub.my_id
        async for msg in subscription:
            origin = ID(msg.from_id)
            if origin == my_id:
                continue
            item = (msg.data, origin.to_base58())
            for channel in list(self._subscribers[name]):
                try:
                    if not channel.try_send(item, len(msg.data)):
                        self.dropped += 1
                except trio.BrokenResourceError:  # That subscriber closed its channel.
                    self._subscribers[name].remove(channel)

    async def _wait_for_queue_room(self, name: str) -> None:
        """py-libp2p's publish never blocks and drops what a full peer queue cannot take: give draining peers a
        moment, never a stalled one (that wait used to stall consensus behind one hung peer)."""
        deadline = trio.current_time() + MAX_FLOW_CONTROL_WAIT
        while trio.current_time() < deadline and self._congested_peers(name):
            await trio.sleep(FLOW_CONTROL_POLL)

    def _congested_peers(self, name: str) -> list[ID]:
        queues = self._pubsub.peer_queues
        return [peer for peer in self._pubsub.peer_topics.get(name, ())
                if peer in queues and len(queues[peer]) > QUEUE_HIGH_WATER and not self._flow.is_stalled(peer)]
