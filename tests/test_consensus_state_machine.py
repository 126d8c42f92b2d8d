"""The pure step function driven by hand: steps, locks, stale and malformed input."""
from __future__ import annotations

from dataclasses import replace

import pytest

from consensus.chain import block_request, expected_time, make_block, validate_block
from consensus.proposer import proposer_for_round
from consensus.state_machine import (
    NEW_HEIGHT,
    PRECOMMIT_STEP,
    PREVOTE_STEP,
    PROPOSE,
    BlockValidated,
    Committed,
    Decide,
    MessageReceived,
    RequestTxs,
    ScheduleTimeout,
    SendCommit,
    SignProposal,
    SignVote,
    State,
    TimeoutFired,
    TxsReady,
    ValidateBlock,
)
from consensus.types import (
    FLAG_ABSENT,
    FLAG_COMMIT,
    PRECOMMIT,
    PREVOTE,
    Block,
    Proposal,
    ProposalMessage,
    Vote,
    VoteMessage,
)
from test_consensus_support import CHAIN_ID, FAST, GENESIS_TIME_MS, genesis_chain


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


class LateSigner:
    """Node under test proposes height 2; height 1 is decided by the first three precommits, and
    the fourth validator's precommit arrives late. Own effects are performed as a driver would."""

    def __init__(self) -> None:
        self.chain, pvs = genesis_chain([1, 1, 1, 1])
        self.pvs = {pv.address: pv for pv in pvs}
        self.me = self.pvs[proposer_for_round(self.chain.next_validators, 0).address]
        self.state = State(self.chain, FAST, self.me.address)
        self.late = next(pv for pv in pvs if pv.address not in (self.me.address, proposer_for_round(self.chain.validators, 0).address))
        self.decided: Decide | None = None
        self.proposal: SignProposal | None = None

    def perform(self, effects, *, commit: bool = True) -> list:
        """Perform `effects` (a Decide is committed only if `commit`); the effects not performed."""
        queue, rest = list(effects), []
        while queue:
            match effect := queue.pop(0):
                case SignVote(vote=vote, min_timestamp_ms=min_time):
                    signed = self.me.sign_vote(CHAIN_ID, replace(vote, timestamp_ms=min_time))
                    queue.extend(self.state.handle(MessageReceived(VoteMessage(signed), "")))
                case SignProposal(proposal=p, block=block, pol_votes=pol):
                    self.proposal = effect
                    message = ProposalMessage(self.me.sign_proposal(CHAIN_ID, p), block, pol)
                    queue.extend(self.state.handle(MessageReceived(message, "")))
                case RequestTxs(height=h, round=r):
                    queue.extend(self.state.handle(TxsReady(h, r, (), self.me.prove_seed(CHAIN_ID, h))))
                case ValidateBlock(height=h, block=block):
                    queue.extend(self.state.handle(BlockValidated(h, block.hash(), True)))
                case Decide(block=block) if commit:
                    self.decided = effect
                    queue.extend(self.state.handle(Committed(block.header.height, block.header.app_hash, ())))
                case _:
                    rest.append(effect)
        return rest

    def precommit(self, pv, block_id, timestamp_ms: int) -> MessageReceived:
        vote = Vote(PRECOMMIT, 1, 0, block_id, timestamp_ms, pv.address, self.chain.validators.index_of(pv.address))
        return MessageReceived(VoteMessage(pv.sign_vote(CHAIN_ID, vote)), "peer")

    def decide_height_one(self, *, commit: bool) -> Block:
        self.perform(self.state.handle(TimeoutFired(1, 0, NEW_HEIGHT)))
        proposer = self.pvs[proposer_for_round(self.chain.validators, 0).address]
        if proposer is not self.me:
            block = make_block(self.chain, (b"a=1",), (), proposer.address, proposer.prove_seed(CHAIN_ID, 1))
            proposal = proposer.sign_proposal(CHAIN_ID, Proposal(1, 0, -1, block.block_id, block.header.time_ms))
            self.perform(self.state.handle(MessageReceived(ProposalMessage(proposal, block, ()), "peer")))
        [block] = [m.block for m in self.state.proposals.values()]
        for pv in self.pvs.values():
            if pv is not self.me:
                vote = Vote(PREVOTE, 1, 0, block.block_id, GENESIS_TIME_MS + 5, pv.address, self.chain.validators.index_of(pv.address))
                self.perform(self.state.handle(MessageReceived(VoteMessage(pv.sign_vote(CHAIN_ID, vote)), "peer")), commit=commit)
        for pv in self.pvs.values():
            if pv is not self.me and pv is not self.late and self.state.decision is None:
                self.perform(self.state.handle(self.precommit(pv, block.block_id, GENESIS_TIME_MS + 10)), commit=commit)
        assert self.state.decision is not None or self.decided is not None
        return block


@pytest.mark.parametrize("arrives", ["before the commit", "during timeout_commit"])
def test_a_late_precommit_is_in_the_next_blocks_last_commit(arrives) -> None:
    node = LateSigner()
    block = node.decide_height_one(commit=arrives == "during timeout_commit")
    late_index = node.chain.validators.index_of(node.late.address)
    decided_commit = node.state.decision[1] if node.state.decision else node.decided.commit
    assert decided_commit.signatures[late_index].flag == FLAG_ABSENT  # decided by the first +2/3
    late = node.precommit(node.late, block.block_id, GENESIS_TIME_MS + 20)
    if arrives == "before the commit":
        assert node.state.handle(late) == []
        node.perform([Decide(block, decided_commit)])
    else:
        assert node.state.height == 2 and node.state.step == NEW_HEIGHT
        assert not any(isinstance(e, SendCommit) for e in node.state.handle(late))  # the signer has the block
    node.perform(node.state.handle(TimeoutFired(2, 0, NEW_HEIGHT)))
    assert node.proposal is not None
    proposed = node.proposal.block
    assert [s.flag for s in proposed.last_commit.signatures] == [FLAG_COMMIT] * 4
    assert proposed.header.time_ms == expected_time(node.state.chain, proposed.last_commit)
    # Peers that saw only the first +2/3 accept the fuller commit, and the app sees four signers.
    validate_block(node.state.chain, proposed, FAST.max_block_bytes)
    assert all(v.signed for v in block_request(proposed, node.state.chain.last_validators).decided_last_commit)
