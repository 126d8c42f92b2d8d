"""A hostile peer for end-to-end tests: for a while it floods real nodes with forged lower-height
votes, forged-signature tx batches, junk-signed next-height votes and proposals, and large-message
notices it serves as junk. Bans are per peer id, so it takes a fresh identity every few seconds,
as a cheap Sybil would; every identity's first messages reach the nodes before its ban."""
from __future__ import annotations

import random
from collections.abc import Callable

import trio

from akechain.chain.crypto import signing_key_from_seed
from akechain.chain.tx import build_send_tx
from akechain.node.network import LARGE_MESSAGE_PROTOCOL, LargeMessageNotice, TxBatch, topic_names
from consensus.types import PREVOTE, Block, BlockID, Header, Proposal, ProposalMessage, Vote, VoteMessage, encode_message
from p2p.gossip import MAX_GOSSIP_PAYLOAD
from p2p.host import Host
from state.codec import encode

IDENTITY_SECONDS = 3.0
MESSAGES_PER_SECOND = 200


def forged_vote(rng: random.Random, height: int, round: int = 0) -> bytes:
    vote = Vote(PREVOTE, height, round, BlockID(rng.randbytes(32)), 0, rng.randbytes(20), rng.randrange(4), rng.randbytes(64))
    return encode_message(VoteMessage(vote))


def forged_proposal(rng: random.Random, height: int) -> bytes:
    header = Header("x", height, 0, None, b"", b"", b"", b"", b"", rng.randbytes(20), b"", b"")
    block = Block(header, (rng.randbytes(64 * 1024),), None, ())
    proposal = Proposal(height, rng.randrange(100), -1, block.block_id, 0, rng.randbytes(64))
    return encode_message(ProposalMessage(proposal, block))


def forged_tx_batch(rng: random.Random, chain_id: str) -> bytes:
    tx = bytearray(build_send_tx(signing_key_from_seed(rng.randbytes(32)), chain_id, 0, rng.randbytes(20), 1, 1000))
    tx[-1] ^= 1  # the signature's last byte
    return encode(TxBatch((bytes(tx),)))


async def serve_junk(request: bytes, peer: str) -> bytes:
    return random.randbytes(64)


async def flood_as_one_identity(addresses: list[str], chain_id: str, height: int, rng: random.Random,
                                seconds: float) -> int:
    tx_topic, consensus_topic, notice_topic = topic_names(chain_id)
    host = Host(rng.randbytes(32), port=0, persistent_peers=addresses)
    for topic in (tx_topic, consensus_topic, notice_topic):
        host.gossip.add_topic(topic, MAX_GOSSIP_PAYLOAD)  # no validator: it sends junk on purpose
    host.reqresp.add_protocol(LARGE_MESSAGE_PROTOCOL, serve_junk, max_request=1 << 10, max_response=1 << 20)
    makers = [
        (consensus_topic, lambda: forged_vote(rng, max(1, height - 1))),  # a "lagging validator"
        (tx_topic, lambda: forged_tx_batch(rng, chain_id)),
        (consensus_topic, lambda: forged_vote(rng, height + 1, rng.randrange(100))),
        (consensus_topic, lambda: forged_proposal(rng, height + 1)),
        (notice_topic, lambda: encode(LargeMessageNotice(rng.randbytes(32), 2 << 20))),
    ]
    sent = 0
    with trio.move_on_after(seconds):
        async with trio.open_nursery() as nursery:
            await nursery.start(host.run)
            with trio.move_on_after(seconds / 2):
                await host.wait_for_peers([a.rsplit("/", 1)[1] for a in addresses], timeout=seconds)
            while True:
                topic, make = makers[sent % len(makers)]
                await host.gossip.publish(topic, make())
                sent += 1
                await trio.sleep(1 / MESSAGES_PER_SECOND)
    return sent


async def flood(addresses: list[str], chain_id: str, height: Callable[[], int], seconds: float,
                rng: random.Random) -> int:
    """Flood for `seconds`; `height()` is an honest node's committed height. Returns messages sent."""
    sent = 0
    deadline = trio.current_time() + seconds
    while (left := deadline - trio.current_time()) > 0:
        sent += await flood_as_one_identity(addresses, chain_id, height() + 1, rng, min(IDENTITY_SECONDS, left))
    return sent
