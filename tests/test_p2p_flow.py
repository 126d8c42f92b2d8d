"""Per-peer send health: a hung peer's writes are abandoned and it alone is dropped and not waited for,
while every other peer receives every message."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio

from p2p.compat import deadline_pubsub_writes
from p2p.flow import PeerFlow
from p2p.gossip import QUEUE_HIGH_WATER, Gossip
from p2p.scores import PeerScores
from test_p2p_scores import FakeClock as Clock


def test_only_a_peer_with_a_long_pending_write_is_stalled() -> None:
    clock = Clock()
    flow = PeerFlow(clock, stall_after=0.5, write_deadline=5.0)
    flow.write_started("hung")
    flow.write_started("busy")
    clock.now = 0.4
    assert not flow.is_stalled("hung") and not flow.is_stalled("busy")
    flow.write_finished("busy")
    flow.write_started("busy")
    clock.now = 0.6
    assert flow.is_stalled("hung")
    assert not flow.is_stalled("busy") and not flow.is_stalled("idle")
    flow.write_finished("hung")
    assert not flow.is_stalled("hung")
    with pytest.raises(ValueError):
        PeerFlow(clock, stall_after=6.0, write_deadline=5.0)


class FakeStream:
    def __init__(self, peer: str, hangs: bool) -> None:
        self.muxed_conn = SimpleNamespace(peer_id=peer)
        self.hangs = hangs
        self.written: list[bytes] = []
        self.was_reset = False

    async def reset(self) -> None:
        self.was_reset = True


class FakePubsub:
    """Stands in for py-libp2p's Pubsub: `write_msg` never returns for a hung stream, as on a partition."""

    def __init__(self) -> None:
        self.peer_queues: dict[str, list[object]] = {}
        self.peer_topics: dict[str, set[str]] = {}

    async def write_msg(self, stream: FakeStream, rpc_msg: bytes) -> bool:
        if stream.hangs:
            await trio.sleep_forever()
        stream.written.append(rpc_msg)
        return True


def test_hung_peer_write_is_abandoned_and_reported_alone() -> None:
    """Fails without compat.deadline_pubsub_writes: the hung write never returns."""
    async def main() -> None:
        pubsub = FakePubsub()
        flow = PeerFlow(trio.current_time, stall_after=0.1, write_deadline=0.5)
        hung_peers: list[str] = []
        deadline_pubsub_writes(pubsub, flow, hung_peers.append)  # type: ignore[arg-type]
        hung, healthy = FakeStream("hung", hangs=True), FakeStream("healthy", hangs=False)
        results: list[bool] = []

        async def send_loop(stream: FakeStream, messages: list[bytes]) -> None:  # py-libp2p's per-peer task
            for message in messages:
                ok = await pubsub.write_msg(stream, message)  # type: ignore[arg-type]
                results.append(ok)
                if not ok:
                    return

        messages = [b"m%d" % i for i in range(100)]
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(send_loop, hung, messages)
                nursery.start_soon(send_loop, healthy, messages)
                await trio.sleep(0.2)
                assert flow.is_stalled("hung") and not flow.is_stalled("healthy")
        assert healthy.written == messages  # every message, unaffected by the hung peer
        assert hung_peers == ["hung"] and hung.was_reset and not healthy.was_reset
        assert results.count(False) == 1
        assert flow.is_stalled("hung")  # its queue is never drained again: publishes must not wait for it
        flow.write_started("hung")  # until a new connection writes to it
        assert not flow.is_stalled("hung")

    trio.run(main)


def test_publish_waits_for_a_draining_peer_but_not_for_a_stalled_one() -> None:
    clock = Clock()
    flow = PeerFlow(clock, stall_after=0.5, write_deadline=5.0)
    pubsub = FakePubsub()
    full = [object()] * (QUEUE_HIGH_WATER + 1)
    pubsub.peer_queues = {"stuck": list(full), "draining": list(full), "idle": []}
    pubsub.peer_topics = {"/t": {"stuck", "draining", "idle"}}
    gossip = Gossip(pubsub, PeerScores(), flow)  # type: ignore[arg-type]
    flow.write_started("stuck")
    flow.write_started("draining")
    assert set(gossip._congested_peers("/t")) == {"stuck", "draining"}
    clock.now = 1.0
    flow.write_finished("draining")
    flow.write_started("draining")
    assert gossip._congested_peers("/t") == ["draining"]
