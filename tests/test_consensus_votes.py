"""Vote tallies: +2/3 detection by power, duplicates become evidence, bad votes are rejected."""
from __future__ import annotations

from dataclasses import replace

import pytest

from consensus.abci import ValidatorUpdate
from consensus.privval import MemoryPV
from consensus.proposer import make_validator_set
from consensus.types import PREVOTE, PRECOMMIT, BlockID, InvalidEvidenceError, InvalidVoteError, Vote
from consensus.vote_set import MAX_TARGETS_PER_VALIDATOR, HeightVoteSet, VoteSet
from test_consensus_support import CHAIN_ID, seed

BLOCK = BlockID(b"\x01" * 32)
OTHER = BlockID(b"\x02" * 32)


def setup(powers: list[int]):
    pvs = [MemoryPV(seed(i)) for i in range(len(powers))]
    vset = make_validator_set([ValidatorUpdate(pv.pub_key, p) for pv, p in zip(pvs, powers)])
    by_index = sorted(pvs, key=lambda pv: vset.index_of(pv.address))
    return vset, by_index


def vote(vset, pv: MemoryPV, block_id, round: int = 0, type: int = PREVOTE, ts: int = 1) -> Vote:
    unsigned = Vote(type, 1, round, block_id, ts, pv.address, vset.index_of(pv.address))
    return replace(unsigned, signature=pv._key.sign(unsigned.sign_bytes(CHAIN_ID)).signature)


def test_two_thirds_for_block_needs_more_than_two_thirds_of_power() -> None:
    vset, pvs = setup([1, 1, 1, 1])
    votes = VoteSet(CHAIN_ID, 1, 0, PREVOTE, vset)
    for pv in pvs[:2]:
        assert votes.add(vote(vset, pv, BLOCK))
    assert not votes.has_two_thirds_for(BLOCK)
    assert votes.add(vote(vset, pvs[2], BLOCK))
    assert votes.has_two_thirds_for(BLOCK) and votes.two_thirds_majority() == (True, BLOCK)


def test_unequal_powers_and_two_thirds_any() -> None:
    vset, pvs = setup([5, 2, 1, 1])  # total 9: needs > 6
    votes = VoteSet(CHAIN_ID, 1, 0, PREVOTE, vset)
    votes.add(vote(vset, pvs[0], BLOCK))  # 5
    votes.add(vote(vset, pvs[1], None))  # 2 -> 7 any, no majority
    assert votes.has_two_thirds_any() and votes.two_thirds_majority() == (False, None)
    votes.add(vote(vset, pvs[2], BLOCK))  # 6 for BLOCK: not > 6
    assert not votes.has_two_thirds_for(BLOCK)
    votes.add(vote(vset, pvs[3], BLOCK))
    assert votes.has_two_thirds_for(BLOCK)


def test_repeat_vote_is_ignored_and_conflict_becomes_evidence() -> None:
    vset, pvs = setup([1, 1, 1, 1])
    votes = VoteSet(CHAIN_ID, 1, 0, PRECOMMIT, vset)
    first = vote(vset, pvs[0], BLOCK, type=PRECOMMIT)
    assert votes.add(first) and not votes.add(first)
    assert votes.add(vote(vset, pvs[0], OTHER, type=PRECOMMIT))
    assert votes.sum == 1  # the equivocator is counted once in "any"
    [evidence] = votes.evidence
    assert evidence.vote_a.block_id == BLOCK and evidence.vote_b.block_id == OTHER
    assert (evidence.validator_power, evidence.total_voting_power) == (1, 4)
    evidence.verify(CHAIN_ID, vset)
    with pytest.raises(InvalidEvidenceError):
        replace(evidence, vote_a=evidence.vote_b, vote_b=evidence.vote_a).verify(CHAIN_ID, vset)


def test_an_equivocator_counts_for_at_most_two_targets_and_the_honest_majority_still_wins() -> None:
    vset, pvs = setup([1, 1, 1, 1])
    votes = VoteSet(CHAIN_ID, 1, 0, PRECOMMIT, vset)
    targets = [BlockID(bytes([i]) * 32) for i in range(3, 53)]
    added = [votes.add(vote(vset, pvs[0], target, type=PRECOMMIT)) for target in targets]
    assert added == [True] * MAX_TARGETS_PER_VALIDATOR + [False] * (len(targets) - MAX_TARGETS_PER_VALIDATOR)
    assert len(votes.by_block) == len(votes.power_by_block) == MAX_TARGETS_PER_VALIDATOR
    assert len(votes.evidence) == 1
    for pv in pvs[1:]:  # the three honest validators (3/4 of the power) agree on a block of their own
        assert votes.add(vote(vset, pv, BLOCK, type=PRECOMMIT))
    assert votes.two_thirds_majority() == (True, BLOCK)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: replace(v, signature=bytes(64)),
        lambda v: replace(v, signature=b"short"),
        lambda v: replace(v, timestamp_ms=v.timestamp_ms + 1),  # signature no longer matches
        lambda v: replace(v, validator_index=v.validator_index + 1),
        lambda v: replace(v, validator_index=99),
        lambda v: replace(v, type=7),
        lambda v: replace(v, block_id=BlockID(b"\x01" * 31)),
    ],
)
def test_bad_votes_are_rejected(tamper) -> None:
    vset, pvs = setup([1, 1, 1, 1])
    votes = HeightVoteSet(CHAIN_ID, 1, vset)
    with pytest.raises(InvalidVoteError):
        votes.add(tamper(vote(vset, pvs[0], BLOCK)))
    assert votes.prevotes(0).sum == 0


def test_vote_for_another_chain_is_rejected() -> None:
    vset, pvs = setup([1, 1, 1])
    unsigned = Vote(PREVOTE, 1, 0, BLOCK, 1, pvs[0].address, vset.index_of(pvs[0].address))
    forged = replace(unsigned, signature=pvs[0]._key.sign(unsigned.sign_bytes("other-chain")).signature)
    with pytest.raises(InvalidVoteError):
        VoteSet(CHAIN_ID, 1, 0, PREVOTE, vset).add(forged)


def test_one_third_any_across_prevotes_and_precommits() -> None:
    vset, pvs = setup([1, 1, 1, 1])
    votes = HeightVoteSet(CHAIN_ID, 1, vset)
    votes.add(vote(vset, pvs[0], BLOCK, round=3))
    assert not votes.has_one_third_any(3)
    votes.add(vote(vset, pvs[1], None, round=3, type=PRECOMMIT))
    assert votes.has_one_third_any(3) and votes.rounds() == [3]
