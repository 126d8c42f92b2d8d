"""A hostile peer cannot make a node do unbounded work: forged messages are rejected before relay
and score their forwarder down, verified once, answered with catch-up only when verified and
rate-limited, and every buffer on the way to the engine is bounded."""
from __future__ import annotations

import math
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import trio
import trio.testing
from libp2p.peer.id import ID
from libp2p.pubsub.pb import rpc_pb2

import consensus.types
from akechain.chain.tx import build_send_tx
import akechain.chain.app as app_module
from akechain.node import network
from akechain.node.network import LargeMessageNotice, TxBatch, consensus_validator, tx_batch_validator
from consensus.chain import make_block
from consensus.driver import CatchupLimiter
from consensus.precheck import Precheck, Verdict
from consensus.proposer import proposer_for_round
from consensus.state_machine import (
    MAX_BUFFERED_BYTES,
    Committed,
    Decide,
    MessageReceived,
    Persist,
    SendCommit,
    State,
)
from consensus.types import (
    FLAG_COMMIT,
    PRECOMMIT,
    PREVOTE,
    Block,
    BlockID,
    Commit,
    CommitMessage,
    CommitSig,
    Proposal,
    ProposalMessage,
    Vote,
    VoteMessage,
    encode_message,
)
from consensus.vote_set import HeightVoteSet
from loopback import LoopbackHub
import p2p.gossip as gossip_module
from p2p.gossip import MAX_GOSSIP_PAYLOAD, Gossip, Verdict as GossipVerdict
from p2p.scores import PENALTY, Offence, PeerScores
from state.codec import decode, encode
from test_app_support import make_app, make_genesis, make_keys
from test_consensus_driver import Node, make_genesis as make_driver_genesis
from test_consensus_support import CHAIN_ID, FAST, THREADS_SETTLE, genesis_chain

FORGED = bytes(64)


class Chain:
    """Four validators with their keys; `at_height_2` is a State that decided height 1."""

    def __init__(self) -> None:
        self.chain, self.pvs = genesis_chain([1, 1, 1, 1])
        self.by_address = {pv.address: pv for pv in self.pvs}

    def vote(self, pv, height: int, round: int = 0, type: int = PREVOTE, block_id=None, ts: int = 1) -> Vote:
        validators = self.chain.validators
        unsigned = Vote(type, height, round, block_id, 1_700_000_000_000 + ts, pv.address, validators.index_of(pv.address))
        return replace(unsigned, signature=pv._key.sign(unsigned.sign_bytes(CHAIN_ID)).signature)  # no double-sign guard

    def commit_for(self, block: Block) -> Commit:
        sigs = []
        for v in self.chain.validators.validators:
            vote = self.vote(self.by_address[v.address], block.header.height, 0, PRECOMMIT, block.block_id)
            sigs.append(CommitSig(FLAG_COMMIT, vote.validator_address, vote.timestamp_ms, vote.signature))
        return Commit(block.header.height, 0, block.block_id, tuple(sigs))

    def at_height_2(self) -> State:
        state = State(self.chain, FAST, self.pvs[0].address)
        proposer = self.by_address[proposer_for_round(self.chain.validators, 0).address]
        block = make_block(self.chain, (), (), proposer.address, proposer.prove_seed(CHAIN_ID, self.chain.height))
        effects = state.handle(MessageReceived(CommitMessage(block, self.commit_for(block)), "p"))
        assert any(isinstance(e, Decide) for e in effects)
        state.handle(Committed(1, b"app-hash-1", ()))
        assert state.height == 2
        return state


def forged(vote: Vote) -> Vote:
    return replace(vote, signature=FORGED)


_RealVerifyKey = consensus.types.VerifyKey


class CountingVerifyKey:
    """Counts ed25519 verifications (consensus.types' signature cache sits in front of these)."""

    calls = 0

    def __init__(self, key: bytes) -> None:
        self._key = _RealVerifyKey(key)

    def verify(self, message: bytes, signature: bytes):
        CountingVerifyKey.calls += 1
        return self._key.verify(message, signature)


@pytest.fixture
def verifications(monkeypatch):
    monkeypatch.setattr(consensus.types, "VerifyKey", CountingVerifyKey)
    consensus.types._verified_signatures.clear()
    CountingVerifyKey.calls = 0
    return CountingVerifyKey


# Catch-up ---------------------------------------------------------------------------------------
def test_invalid_signature_lower_height_message_triggers_no_catch_up() -> None:
    c = Chain()
    state = c.at_height_2()
    bad_vote = forged(c.vote(c.pvs[1], height=1, round=3))
    proposer = c.by_address[proposer_for_round(c.chain.validators, 1).address]
    block = make_block(c.chain, (), (), proposer.address, proposer.prove_seed(CHAIN_ID, c.chain.height))
    bad_proposal = ProposalMessage(Proposal(1, 1, -1, block.block_id, block.header.time_ms, FORGED), block)
    for message in (VoteMessage(bad_vote), bad_proposal):
        assert not any(isinstance(e, SendCommit) for e in state.handle(MessageReceived(message, "liar")))
    good = state.handle(MessageReceived(VoteMessage(c.vote(c.pvs[1], height=1, round=3)), "laggard"))
    assert SendCommit(1, "laggard") in good


def test_catch_up_limiter_answers_a_peer_once_per_window_unless_it_progressed() -> None:
    limiter = CatchupLimiter(interval=2.0, max_tasks=2)
    assert limiter.try_start("p", 1, 5, now=0.0)
    assert not limiter.try_start("p", 1, 5, now=0.1)  # in flight
    limiter.finish("p")
    assert not limiter.try_start("p", 1, 5, now=0.5)  # same blocks within the window
    assert limiter.try_start("p", 6, 8, now=0.6)  # it applied them and asks for more
    limiter.finish("p")
    assert limiter.try_start("p", 6, 8, now=2.7)  # the window passed
    assert limiter.try_start("q", 1, 1, now=2.7) and not limiter.try_start("r", 1, 1, now=2.7)  # global cap


def test_driver_answers_the_same_lagging_peer_once_within_the_window(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0")
    genesis = make_driver_genesis([node])
    hub = LoopbackHub()
    catch_ups: list[int] = []

    async def main() -> None:
        driver = node.driver(genesis, hub, replace(FAST, catchup_interval_ms=10_000))
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            await driver.wait_for_height(3)
            rogue = hub.connect("rogue")
            late = VoteMessage(decode(Commit, node.block_store.commit(1)).vote(0))  # a real precommit of height 1
            forged_late = VoteMessage(forged(late.vote))
            for message in (forged_late, late, forged_late, late):
                await rogue.broadcast(encode_message(message))
                await trio.sleep(0.1)  # several heights pass: the engine would answer each
            nursery.cancel_scope.cancel()
            async for data, _ in _drain(rogue.receive_channel):
                message = consensus.types.decode_message(data, FAST.max_message_bytes)
                if isinstance(message, CommitMessage) and message.commit.height == 1:
                    catch_ups.append(1)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert catch_ups == [1]


async def _drain(channel):
    while True:
        try:
            yield channel.receive_nowait()
        except (trio.WouldBlock, trio.EndOfChannel):
            return


# Verify before relay, once ----------------------------------------------------------------------
def test_precheck_verdicts_and_window() -> None:
    c = Chain()
    state = c.at_height_2()
    precheck = Precheck(FAST.max_message_bytes)
    precheck.update(state.chain, state.round, state.past_validators)
    cases = {
        Verdict.VERIFIED: [VoteMessage(c.vote(c.pvs[1], height=2)), VoteMessage(c.vote(c.pvs[1], height=3)),
                           VoteMessage(c.vote(c.pvs[2], height=1))],
        Verdict.BAD_SIGNATURE: [VoteMessage(forged(c.vote(c.pvs[1], height=2))),
                                VoteMessage(replace(v := c.vote(c.pvs[1], height=2), validator_index=(v.validator_index + 1) % 4))],
        Verdict.OUT_OF_WINDOW: [VoteMessage(c.vote(c.pvs[1], height=4)), VoteMessage(c.vote(c.pvs[1], height=2, round=500))],
    }
    for verdict, messages in cases.items():
        for message in messages:
            assert precheck.check(encode_message(message)).verdict is verdict, message
    assert precheck.check(b"\x92junk").verdict is Verdict.MALFORMED


def test_same_message_twice_costs_one_signature_verification(verifications) -> None:
    c = Chain()
    state = State(c.chain, FAST, c.pvs[0].address)
    precheck = Precheck(FAST.max_message_bytes)
    precheck.update(state.chain, state.round, state.past_validators)
    data = encode_message(VoteMessage(c.vote(c.pvs[1], height=1, ts=77)))
    assert precheck.check(data).verdict is Verdict.VERIFIED
    assert precheck.check(data).verdict is Verdict.VERIFIED  # the verdict cache
    assert verifications.calls == 1
    effects = state.handle(MessageReceived(consensus.types.decode_message(data, 1 << 20), "p"))
    assert any(isinstance(e, Persist) for e in effects)  # counted, and to be written to the WAL
    assert verifications.calls == 1  # the engine reused the verified signature
    junk = encode_message(VoteMessage(forged(c.vote(c.pvs[2], height=1))))
    assert precheck.check(junk).verdict is precheck.check(junk).verdict is Verdict.BAD_SIGNATURE
    assert verifications.calls == 2


class FakePubsub:
    def __init__(self) -> None:
        self.my_id = ID(b"\x00\x01me")
        self.validators = {}

    def set_topic_validator(self, name, validator, is_async) -> None:
        self.validators[name] = validator


def test_gossip_rejects_forged_consensus_messages_and_scores_the_forwarder_down() -> None:
    c = Chain()
    precheck = Precheck(FAST.max_message_bytes)
    precheck.update(c.chain, 0, {})
    pubsub, scores = FakePubsub(), PeerScores(clock=lambda: 0.0)
    gossip = Gossip(pubsub, scores, flow=None)
    gossip.add_topic("/c", MAX_GOSSIP_PAYLOAD, consensus_validator(precheck))
    forwarder = ID(b"\x00\x05rogue")

    def relayed(message) -> bool:
        msg = rpc_pb2.Message(data=encode_message(message), from_id=forwarder.to_bytes())
        return pubsub.validators["/c"](forwarder, msg)

    assert relayed(VoteMessage(c.vote(c.pvs[1], height=1)))
    assert not relayed(VoteMessage(c.vote(c.pvs[1], height=9)))  # out of window: dropped, no blame
    assert scores.score(forwarder.to_base58()) == 0
    assert not relayed(VoteMessage(forged(c.vote(c.pvs[1], height=1))))
    assert scores.score(forwarder.to_base58()) == -PENALTY[Offence.INVALID_SIGNATURE]
    assert not scores.is_banned(forwarder.to_base58())
    relayed(VoteMessage(forged(c.vote(c.pvs[2], height=1))))
    assert scores.is_banned(forwarder.to_base58())  # as for junk frames: the host disconnects it


def test_a_thread_validator_checks_off_the_event_loop_and_still_scores_the_forwarder_down() -> None:
    pubsub, scores = FakePubsub(), PeerScores(clock=lambda: 0.0)
    gossip = Gossip(pubsub, scores, flow=None)
    ran_in: list[threading.Thread] = []

    def validate(data: bytes, origin: str) -> GossipVerdict:
        ran_in.append(threading.current_thread())
        return GossipVerdict.ACCEPT if data == b"good" else GossipVerdict.REJECT_SIGNATURE

    gossip.add_topic("/tx", 1024, validate, in_thread=True)
    forwarder = ID(b"\x00\x05rogue")

    def relayed(data: bytes) -> bool:
        return trio.run(pubsub.validators["/tx"], forwarder, rpc_pb2.Message(data=data, from_id=forwarder.to_bytes()))

    assert relayed(b"good") and scores.score(forwarder.to_base58()) == 0
    assert not relayed(b"forged")
    assert scores.score(forwarder.to_base58()) == -PENALTY[Offence.INVALID_SIGNATURE]
    assert not relayed(b"x" * 2048)  # over the cap: refused before any thread is started
    assert len(ran_in) == 2 and threading.main_thread() not in ran_in


def test_tx_batch_with_a_forged_signature_is_rejected_and_good_txs_are_verified_once(monkeypatch) -> None:
    keys = make_keys(2)
    app, _ = make_app(make_genesis(keys)["app_state"])
    good = [build_send_tx(keys[0], "ake-test-1", n, b"\x02" * 20, 1, 100) for n in range(3)]
    bad = bytearray(good[1])
    bad[-1] ^= 1
    validate = tx_batch_validator(app.verify_tx)
    assert validate(encode(TxBatch(tuple(good))), "p") is GossipVerdict.ACCEPT
    assert validate(encode(TxBatch((good[0], bytes(bad)))), "p") is GossipVerdict.REJECT_SIGNATURE
    assert validate(encode(TxBatch((b"\x01junk",))), "p") is GossipVerdict.REJECT
    other_chain = build_send_tx(keys[0], "other-chain", 0, b"\x02" * 20, 1, 100)
    assert validate(encode(TxBatch((other_chain,))), "p") is GossipVerdict.REJECT
    calls = []
    monkeypatch.setattr(app_module, "verify_signature", lambda tx: calls.append(tx))
    assert app.check_tx(good[0]).ok and calls == []  # admission reuses the validator's verdict


def test_tx_batches_are_ignored_unread_while_the_node_catches_up() -> None:
    keys = make_keys(1)
    app, _ = make_app(make_genesis(keys)["app_state"])
    catching_up = [True]
    validate = tx_batch_validator(app.verify_tx, lambda: catching_up[0])
    good = build_send_tx(keys[0], "ake-test-1", 0, b"\x02" * 20, 1, 100)
    assert validate(encode(TxBatch((good,))), "p") is GossipVerdict.IGNORE
    assert validate(b"\x01junk", "p") is GossipVerdict.IGNORE  # not read, so not scored either
    catching_up[0] = False
    assert validate(encode(TxBatch((good,))), "p") is GossipVerdict.ACCEPT


# Bounded ----------------------------------------------------------------------------------------
def test_junk_vote_creates_no_vote_set_entry() -> None:
    c = Chain()
    votes = HeightVoteSet(CHAIN_ID, 1, c.chain.validators)
    with pytest.raises(consensus.types.InvalidVoteError):
        votes.add(forged(c.vote(c.pvs[1], height=1, round=7, block_id=BlockID(os.urandom(32)))))
    assert votes.rounds() == [] and votes.prevotes(7).by_block == {}
    assert votes.rounds() == []  # reading a round stores nothing either
    state = State(c.chain, FAST, c.pvs[0].address)
    for round in range(50):
        state.handle(MessageReceived(VoteMessage(forged(c.vote(c.pvs[1], height=1, round=round))), "rogue"))
    assert state.votes.rounds() == []


def test_flood_of_signed_next_height_proposals_stays_within_the_byte_bound() -> None:
    c = Chain()
    state = State(c.chain, FAST, c.pvs[0].address)
    next_set = c.chain.next_validators
    filler = (os.urandom(512 * 1024),)
    template = make_block(c.chain, filler, (), c.pvs[0].address, c.pvs[0].prove_seed(CHAIN_ID, 2))
    offered = 0
    for round in range(48):  # 48 x 512 KiB of validly signed proposals for height 2
        block = replace(template, header=replace(template.header, height=2, time_ms=round))
        proposer = c.by_address[proposer_for_round(next_set, round).address]
        unsigned = Proposal(2, round, -1, block.block_id, round)
        proposal = replace(unsigned, signature=proposer._key.sign(unsigned.sign_bytes(CHAIN_ID)).signature)
        message = ProposalMessage(proposal, block)
        offered += len(encode_message(message))
        state.handle(MessageReceived(message, "rogue"))
        forged_copy = replace(message, proposal=replace(proposal, round=round + 1, signature=FORGED))
        state.handle(MessageReceived(forged_copy, "rogue"))
    assert offered > MAX_BUFFERED_BYTES
    assert 0 < state.buffered_bytes <= MAX_BUFFERED_BYTES


def test_junk_catch_up_commits_take_no_future_slot() -> None:
    c = Chain()
    state = State(c.chain, FAST, c.pvs[0].address)
    for i in range(10):
        block = make_block(c.chain, (b"x=%d" % i,), (), c.pvs[0].address, c.pvs[0].prove_seed(CHAIN_ID, 3))
        block = replace(block, header=replace(block.header, height=3))
        sigs = tuple(CommitSig(FLAG_COMMIT, v.address, 1, FORGED) for v in c.chain.validators.validators)
        state.handle(MessageReceived(CommitMessage(block, Commit(3, 0, block.block_id, sigs)), "rogue"))
    assert state.future_commit_count == 0


class FakeReqResp:
    def __init__(self) -> None:
        self.running = self.peak = self.calls = 0

    def add_protocol(self, *args, **kwargs) -> None:
        pass

    async def request(self, peer, protocol, payload, timeout):
        self.calls += 1
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await trio.sleep_forever()  # a hostile origin that never answers
        finally:
            self.running -= 1


class FakeGossip:
    def __init__(self) -> None:
        self.channels = {}

    def subscribe(self, name):
        send, receive = trio.open_memory_channel(math.inf)
        self.channels[name] = send
        return receive


class FakeHost:
    def __init__(self) -> None:
        self.gossip, self.reqresp, self.scores = FakeGossip(), FakeReqResp(), PeerScores()


def test_flood_of_large_message_notices_starts_at_most_the_capped_fetches() -> None:
    host = FakeHost()
    transport = network.ConsensusTransport(host, "/c", "/n", 8 << 20)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(transport.run)
            notices = host.gossip.channels["/n"]
            digests = [os.urandom(32) for _ in range(100)]
            for digest in digests + digests:  # duplicates too
                notices.send_nowait((encode(LargeMessageNotice(digest, 1 << 20)), "rogue"))
            await trio.sleep(1)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert host.reqresp.peak == host.reqresp.calls == network.MAX_CONCURRENT_FETCHES


def test_wal_records_only_verified_input_and_stops_at_its_height_bound(tmp_path: Path) -> None:
    """7 validators, one running: a rogue holding 2 keys (< 1/3) floods validly signed votes of the
    current height (each one new to the tallies), plus forged ones; the WAL stays at its bound."""
    from consensus.wal import WAL, MessageRecord
    nodes = [Node(tmp_path / f"n{i}", f"n{i}") for i in range(7)]
    genesis = make_driver_genesis(nodes)
    hub = LoopbackHub()
    bound = 16 * 1024
    config = replace(FAST, max_wal_bytes_per_height=bound)
    signed = 0

    async def main() -> None:
        nonlocal signed
        driver = nodes[0].driver(genesis, hub, config)
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            rogue = hub.connect("rogue")
            validators = driver.status().validators
            for n in range(400):
                pv = nodes[1 + n % 2].pv
                index = validators.index_of(pv.address)
                unsigned = Vote(PREVOTE, 1, n // 4, BlockID(os.urandom(32)), 1_700_000_000_000 + n, pv.address, index)
                vote = replace(unsigned, signature=pv._key.sign(unsigned.sign_bytes(CHAIN_ID)).signature)
                await rogue.broadcast(encode_message(VoteMessage(vote)))
                await rogue.broadcast(encode_message(VoteMessage(forged(replace(vote, timestamp_ms=n)))))
                signed += 1
                await trio.sleep(0.001)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    wal = WAL(tmp_path / "n0" / "wal" / "wal")
    peer_records = [r for r in wal.records if isinstance(r, MessageRecord) and r.peer == "rogue"]
    assert 0 < len(peer_records) < signed  # verified votes were logged until the bound
    assert all(r.message.vote.signature != FORGED for r in peer_records)
    peer_bytes = sum(len(encode_message(r.message)) for r in peer_records)
    assert peer_bytes <= bound + 1024  # one record past the bound at most (own votes and timeouts are always logged)


def test_wal_counts_the_bytes_of_the_unfinished_height(tmp_path: Path) -> None:
    from consensus.wal import WAL, EndHeightRecord, TimeoutRecord
    wal = WAL(tmp_path / "wal")
    wal.write(TimeoutRecord(1, 0, 1))
    wal.write(EndHeightRecord(1))
    assert wal.height_bytes == 0
    wal.write(TimeoutRecord(2, 0, 1))
    wal.write(TimeoutRecord(2, 1, 1))
    written = wal.height_bytes
    assert written > 0
    wal.close()
    assert WAL(tmp_path / "wal").height_bytes == written


def test_driver_queue_of_peer_messages_is_bounded_by_count_and_bytes(tmp_path: Path) -> None:
    from consensus import driver as driver_module
    node = Node(tmp_path / "n0", "n0")
    by_bytes, by_count = (node.driver(make_driver_genesis([node]), LoopbackHub()) for _ in range(2))
    event = MessageReceived(VoteMessage(Chain().vote(Chain().pvs[1], height=1)), "rogue")

    async def main() -> None:
        for _ in range(100):  # 100 x 1 MiB offered
            by_bytes._enqueue_peer_message(event, 1 << 20)
        assert 0 < by_bytes._pending_bytes <= driver_module.MAX_PENDING_BYTES
        for _ in range(5 * driver_module.MAX_PENDING_EVENTS):
            by_count._enqueue_peer_message(event, 100)
        assert by_count._events_send.statistics().current_buffer_used == driver_module.MAX_PENDING_EVENTS

    trio.run(main)


def queued_bytes(channel) -> int:
    """Bytes a channel hands out when drained now."""
    total = 0
    while True:
        try:
            data, _ = channel.receive_nowait()
        except trio.WouldBlock:
            return total
        total += len(data)


class FakeSubscription:
    """libp2p's subscription: a stream of pubsub messages from one origin."""

    def __init__(self, messages: list[rpc_pb2.Message]) -> None:
        self._messages = messages

    async def __aiter__(self):
        for msg in self._messages:
            yield msg
            await trio.sleep(0)


def test_gossip_delivery_to_a_slow_subscriber_is_bounded_by_bytes_and_never_waits() -> None:
    gossip = Gossip(FakePubsub(), PeerScores(clock=lambda: 0.0), flow=None)
    gossip.add_topic("/c", MAX_GOSSIP_PAYLOAD)
    stuck = gossip.subscribe("/c")  # never read while the flood arrives
    frame = os.urandom(MAX_GOSSIP_PAYLOAD)
    flood = [rpc_pb2.Message(data=frame, from_id=ID(b"\x00\x05rogue").to_bytes())] * 100  # 100 MiB

    async def main() -> None:
        with trio.fail_after(5):  # a slow subscriber does not hold up delivery (nor libp2p's buffer)
            await gossip._deliver("/c", FakeSubscription(flood))

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert MAX_GOSSIP_PAYLOAD <= queued_bytes(stuck) <= gossip_module.DELIVERY_BUFFER_BYTES
    assert gossip.dropped == 100 - gossip_module.DELIVERY_BUFFER_BYTES // MAX_GOSSIP_PAYLOAD


def test_consensus_transport_queue_is_bounded_by_bytes_and_block_sync_waits_for_room() -> None:
    host = FakeHost()
    transport = network.ConsensusTransport(host, "/c", "/n", 8 << 20)
    frame = os.urandom(MAX_GOSSIP_PAYLOAD)
    injected: list[int] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(transport.run)
            for _ in range(200):  # 200 MiB of gossip while the engine reads nothing
                host.gossip.channels["/c"].send_nowait((frame, "rogue"))

            async def sync() -> None:
                await transport.inject(frame, "syncing")
                injected.append(1)

            await trio.sleep(1)
            nursery.start_soon(sync)
            await trio.sleep(1)
            assert injected == []  # waits for room instead of growing the queue
            assert 0 < transport.receive_channel.queued_bytes <= network.INCOMING_BUFFER_BYTES
            for _ in range(10):  # the engine reads: block sync gets its turn
                assert queued_bytes(transport.receive_channel) <= network.INCOMING_BUFFER_BYTES
                await trio.sleep(1)
            assert injected == [1]
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))


def test_a_fetched_large_message_with_a_forged_signature_is_dropped_and_scores_its_publisher_down() -> None:
    c = Chain()
    block = make_block(c.chain, (os.urandom(2 << 20),), (), c.pvs[0].address, c.pvs[0].prove_seed(CHAIN_ID, 1))
    proposal = Proposal(1, 0, -1, block.block_id, block.header.time_ms, FORGED)
    data = encode_message(ProposalMessage(proposal, block))
    precheck = Precheck(8 << 20)
    precheck.update(c.chain, 0, {})
    host = FakeHost()
    host.scores = PeerScores(clock=lambda: 0.0)

    async def serve(peer, protocol, payload, timeout):
        return data

    host.reqresp.request = serve
    transport = network.ConsensusTransport(host, "/c", "/n", 8 << 20, consensus_validator(precheck))

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(transport.run)
            digest = consensus.types.sha256(data)
            host.gossip.channels["/n"].send_nowait((encode(LargeMessageNotice(digest, len(data))), "rogue"))
            await trio.sleep(1)
            nursery.cancel_scope.cancel()
        with pytest.raises(trio.WouldBlock):
            transport.receive_channel.receive_nowait()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert host.scores.score("rogue") == -PENALTY[Offence.INVALID_SIGNATURE]
