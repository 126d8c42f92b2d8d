"""Consensus messages over the ~1 MiB gossip cap (proposals with big blocks) travel as a gossiped
notice plus a stream fetch, and arrive byte for byte; small ones go over gossip as before."""
from __future__ import annotations

import logging
import os

import trio

from akechain.node.network import ConsensusTransport, is_valid_notice
from p2p.gossip import MAX_GOSSIP_PAYLOAD
from test_p2p_support import mesh, run_in_scope, running

CONSENSUS, NOTICES = "/ake/test/consensus", "/ake/test/consensus-large"
MAX_MESSAGE = 8 << 20


def transports(hosts) -> list[ConsensusTransport]:
    made = []
    for host in hosts:
        host.gossip.add_topic(CONSENSUS, MAX_GOSSIP_PAYLOAD)
        host.gossip.add_topic(NOTICES, 256, is_valid_notice)
        made.append(ConsensusTransport(host, CONSENSUS, NOTICES, MAX_MESSAGE))
    return made


def test_large_and_small_messages_reach_every_other_node_intact() -> None:
    hosts = mesh(3)
    nets = transports(hosts)
    large = os.urandom(3 << 20)  # three times the gossip cap
    small = os.urandom(1000)
    received: dict[int, list[tuple[bytes, str]]] = {1: [], 2: []}

    async def main() -> None:
        async with running(hosts, topic=NOTICES) as nursery:
            for net in nets:
                nursery.start_soon(net.run)
            for other in hosts[1:]:
                await hosts[0].gossip.wait_for_mesh(CONSENSUS, other.peer_id, 10)
            await nets[0].broadcast(large)
            await nets[0].broadcast(small)
            with trio.fail_after(30):
                for i in (1, 2):
                    for _ in range(2):
                        received[i].append(await nets[i].receive_channel.receive())
            nursery.cancel_scope.cancel()

    trio.run(main)
    for i in (1, 2):
        assert sorted(received[i]) == sorted([(large, hosts[0].peer_id), (small, hosts[0].peer_id)])


def test_own_messages_are_dropped_not_raised_once_the_host_stopped(caplog) -> None:
    """The engine's last votes of a clean stop are broadcast after the host stopped: each is dropped
    with a log line (small ones on the topic, large ones behind their notice), never a NotRunning."""
    [host] = mesh(1)
    [net] = transports([host])

    async def main() -> None:
        scope = trio.CancelScope()
        async with trio.open_nursery() as nursery:
            await nursery.start(run_in_scope, host, scope)
            scope.cancel()
        with trio.fail_after(5):
            await net.broadcast(os.urandom(1000))
            await net.broadcast(os.urandom(2 * MAX_GOSSIP_PAYLOAD))

    caplog.set_level(logging.INFO, logger="akechain.node.network")
    trio.run(main)
    assert [r.getMessage() for r in caplog.records if r.name == "akechain.node.network"] == [
        "host stopped: own consensus message not sent"] * 2
