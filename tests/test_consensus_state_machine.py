"""The pure step function driven by hand: steps, locks, stale and malformed input."""
from __future__ import annotations

from dataclasses import replace

from consensus.chain import make_block
from consensus.proposer import proposer_for_round
from consensus.state_machine import (
    NEW_HEIGHT,
    PRECOMMIT_STEP,
    PREVOTE_STEP,
    PROPOSE,
    BlockValidated,
    MessageReceived,
    RequestTxs,
    ScheduleTimeout,
    SignVote,
    State,
    TimeoutFired,
    ValidateBlock,
)
from consensus.types import PRECOMMIT, PREVOTE, Proposal, ProposalMessage, Vote, VoteMessage
from test_consensus_support import CHAIN_ID, FAST, genesis_chain


class Harness:
    """Node 0 under test; the other validators' messages are forged here with their keys."""

    def __init__(self, config=FAST) -> None:
        self.chain, pvs = genesis_chain([1, 1, 1, 1])
        self.pvs = {pv.address: pv for pv in pvs}
        me = next(v for v in self.chain.validators.validators if v.address != proposer_for_round(self.chain.validators, 0).address
                  and v.address != proposer_for_round(self.chain.validators, 1).address)
        self.me = self.pvs[me.address]
        self.state = State(self.chain, config, me.address)
        self.effects = self.state.start()

    def handle(self, event):
        self.effects = self.state.handle(event)
        return self.effects

    def start(self) -> None:
        self.handle(TimeoutFired(1, 0, NEW_HEIGHT))

    def propose(self, round: int, txs: tuple[bytes, ...], pol_round: int = -1, pol_votes=(), block=None) -> ProposalMessage:
        proposer = self.pvs[proposer_for_round(self.chain.validators, round).address]
        block = block or make_block(self.chain, txs, (), proposer.address, proposer.prove_seed(CHAIN_ID, self.chain.height))
        proposal = proposer.sign_proposal(CHAIN_ID, Proposal(1, round, pol_round, block.block_id, block.header.time_ms))
        return ProposalMessage(proposal, block, tuple(pol_votes))

    def vote(self, pv, type: int, round: int, block_id) -> Vote:
        index = self.chain.validators.index_of(pv.address)
        return pv.sign_vote(CHAIN_ID, Vote(type, 1, round, block_id, 1_700_000_000_001 + round, pv.address, index))

    def others(self):
        return [pv for a, pv in self.pvs.items() if a != self.me.address]

    def signed_votes(self):
        return [e.vote for e in self.effects if isinstance(e, SignVote)]


def test_round_flow_lock_and_relock_rules() -> None:
    h = Harness()
    h.start()
    assert h.state.step == PROPOSE and any(isinstance(e, ScheduleTimeout) for e in h.effects)
    message = h.propose(0, (b"a=1",))
    assert any(isinstance(e, ValidateBlock) for e in h.handle(MessageReceived(message, "p")))
    assert h.state.step == PROPOSE  # waits for the app's verdict
    h.handle(BlockValidated(1, message.block.hash(), True))
    [prevote] = h.signed_votes()
    assert prevote.type == PREVOTE and prevote.block_id == message.block.block_id
    assert h.state.step == PREVOTE_STEP
    own = h.me.sign_vote(CHAIN_ID, replace(prevote, timestamp_ms=1_700_000_000_005))
    h.handle(MessageReceived(VoteMessage(own), ""))
    for pv in h.others()[:2]:
        h.handle(MessageReceived(VoteMessage(h.vote(pv, PREVOTE, 0, message.block.block_id)), "p"))
    [precommit] = h.signed_votes()
    assert precommit.type == PRECOMMIT and h.state.locked_round == 0 and h.state.step == PRECOMMIT_STEP
    # Round 1 proposes a different fresh block: a node locked on round 0 prevotes nil.
    h.handle(TimeoutFired(1, 0, PRECOMMIT_STEP))
    assert h.state.round == 1
    fresh = h.propose(1, (b"b=2",))
    h.handle(MessageReceived(fresh, "p"))
    h.handle(BlockValidated(1, fresh.block.hash(), True))
    [nil_vote] = h.signed_votes()
    assert nil_vote.block_id is None


def test_pol_proposal_unlocks_nodes_locked_earlier() -> None:
    h = Harness()
    h.start()
    old = h.propose(0, (b"a=1",))
    # Round 0: node 0 gets the proposal but not the app verdict in time, and never sees the polka;
    # round 1 re-proposes the block with the round 0 POL attached.
    h.handle(MessageReceived(old, "p"))
    h.handle(TimeoutFired(1, 0, PROPOSE))
    h.handle(TimeoutFired(1, 0, PREVOTE_STEP))
    h.handle(TimeoutFired(1, 0, PRECOMMIT_STEP))
    pol = [h.vote(pv, PREVOTE, 0, old.block.block_id) for pv in h.others()]
    h.handle(BlockValidated(1, old.block.hash(), True))
    reproposal = h.propose(1, (), pol_round=0, pol_votes=pol, block=old.block)
    h.handle(MessageReceived(reproposal, "p"))
    [prevote] = h.signed_votes()
    assert prevote.block_id == old.block.block_id
    assert h.state.valid_round == 0  # learned from the POL of an earlier round


def test_stale_malformed_and_forged_input_is_ignored() -> None:
    h = Harness()
    h.start()
    before = (h.state.height, h.state.round, h.state.step)
    message = h.propose(0, (b"a=1",))
    wrong_signer = replace(message, proposal=h.me.sign_proposal(CHAIN_ID, replace(message.proposal, signature=b"")))
    bad_block = replace(message, block=replace(message.block, txs=(b"evil",)))
    bad_vote = replace(h.vote(h.others()[0], PREVOTE, 0, None), signature=bytes(64))
    for event in (
        MessageReceived(wrong_signer, "p"),
        MessageReceived(bad_block, "p"),
        MessageReceived(VoteMessage(bad_vote), "p"),
        MessageReceived(VoteMessage(replace(bad_vote, height=0)), "p"),
        MessageReceived(VoteMessage(replace(bad_vote, round=-5)), "p"),
        TimeoutFired(1, 7, PREVOTE_STEP),  # not our round
        TimeoutFired(0, 0, PROPOSE),  # not our height
        BlockValidated(9, b"x", True),
    ):
        assert h.handle(event) == []
    assert (h.state.height, h.state.round, h.state.step) == before and h.state.proposals == {}


def test_proposer_asks_for_txs_and_lagging_peer_gets_catch_up() -> None:
    chain, pvs = genesis_chain([1, 1, 1, 1])
    proposer = proposer_for_round(chain.validators, 0)
    state = State(chain, FAST, proposer.address)
    effects = state.handle(TimeoutFired(1, 0, NEW_HEIGHT))
    assert RequestTxs(1, 0) in effects



def test_a_proposal_from_an_absent_proposer_restores_its_full_timeout() -> None:
    h = Harness(replace(FAST, timeout_propose_ms=1_000, timeout_propose_absent_ms=30))
    proposer = proposer_for_round(h.chain.validators, 0).address
    h.state.absent_proposers.add(proposer)
    h.start()
    [timeout] = [e for e in h.effects if isinstance(e, ScheduleTimeout) and e.step == PROPOSE]
    assert timeout.duration_ms == 30
    h.handle(MessageReceived(h.propose(0, (b"a=1",)), "p"))
    assert proposer not in h.state.absent_proposers


def test_two_thirds_nil_precommits_start_the_next_round_without_waiting() -> None:
    h = Harness()
    h.start()
    h.handle(TimeoutFired(1, 0, PROPOSE))
    for pv in h.others():
        h.handle(MessageReceived(VoteMessage(h.vote(pv, PREVOTE, 0, None)), "p"))
    assert h.state.step == PRECOMMIT_STEP and h.state.round == 0
    for pv in h.others():
        h.handle(MessageReceived(VoteMessage(h.vote(pv, PRECOMMIT, 0, None)), "p"))
    assert h.state.round == 1 and h.state.step == PROPOSE
