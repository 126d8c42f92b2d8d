"""A misbehaving peer for end-to-end tests: random bytes, oversize and invalidly signed messages on
every gossip topic and junk requests on every request/response protocol, sent to real nodes over libp2p."""
from __future__ import annotations

import random

import trio

from akechain.node.network import LargeMessageNotice
from consensus.types import PREVOTE, BlockID, Vote, VoteMessage, encode_message
from p2p.errors import RequestError
from p2p.gossip import MAX_GOSSIP_PAYLOAD
from p2p.host import Host
from state.codec import encode

ROUNDS = 15


def forged_vote(rng: random.Random, height: int) -> bytes:
    """A well-formed vote whose signature is random: it must fail verification, not crash."""
    vote = Vote(PREVOTE, height, 0, BlockID(rng.randbytes(32)), 0, rng.randbytes(20), rng.randrange(4), rng.randbytes(64))
    return encode_message(VoteMessage(vote))


async def serve_junk(request: bytes, peer: str) -> bytes:
    return random.randbytes(64)


async def spray(addresses: list[str], topics: list[str], protocols: list[str], rng: random.Random) -> None:
    host = Host(rng.randbytes(32), port=0, persistent_peers=addresses)
    for topic in topics:
        host.gossip.add_topic(topic, MAX_GOSSIP_PAYLOAD)  # no validator: this peer sends junk on purpose
    for protocol in protocols:
        host.reqresp.add_protocol(protocol, serve_junk, max_request=1 << 20, max_response=1 << 20)
    peers = [address.rsplit("/", 1)[1] for address in addresses]
    async with trio.open_nursery() as nursery:
        await nursery.start(host.run)
        await host.wait_for_peers(peers, timeout=20)
        for topic in topics:
            for peer in peers:
                with trio.move_on_after(5):
                    await host.gossip.wait_for_mesh(topic, peer, timeout=5)
        for i in range(ROUNDS):
            for topic in topics:
                await host.gossip.publish(topic, rng.randbytes(rng.randint(1, 4096)))
                await host.gossip.publish(topic, forged_vote(rng, height=i + 1))
                # A well-formed large-message notice whose message this peer serves only as junk.
                await host.gossip.publish(topic, encode(LargeMessageNotice(rng.randbytes(32), 2 << 20)))
            await host.gossip.publish(topics[0], rng.randbytes(MAX_GOSSIP_PAYLOAD))  # over every node topic's cap
            for peer in peers:
                for protocol in protocols:
                    try:
                        await host.reqresp.request(peer, protocol, rng.randbytes(rng.randint(1, 900)), timeout=3)
                    except RequestError:
                        pass  # refused or reset: exactly what a node should do with junk
            await trio.sleep(0.1)
        nursery.cancel_scope.cancel()


def spray_garbage(addresses: list[str], topics: list[str], protocols: list[str], rng: random.Random) -> None:
    trio.run(spray, addresses, topics, protocols, rng)
