"""Evidence up to the evidence max age: verified against the validator set of its own height, aged
in blocks and in block time, never committed twice, and the History that judges it stays bounded."""
from __future__ import annotations

from dataclasses import replace

import pytest

from consensus.abci import ValidatorUpdate
from consensus.chain import ChainState, block_request, genesis_state, verify_evidence
from consensus.genesis import EvidenceParams
from consensus.history import EVIDENCE_PREFIX, TIME_PREFIX, VALIDATORS_PREFIX, History
from consensus.precheck import Verdict, verify_message
from consensus.privval import MemoryPV
from consensus.proposer import make_validator_set
from consensus.types import (
    PREVOTE,
    Block,
    BlockID,
    DuplicateEvidenceError,
    DuplicateVoteEvidence,
    EvidenceMessage,
    EvidenceTooOldError,
    Header,
    InvalidEvidenceError,
    ValidatorSet,
    Vote,
)
from state.kv import MemoryKV
from test_consensus_support import CHAIN_ID, GENESIS_TIME_MS, seed

BLOCK_MS = 1000
PARAMS = EvidenceParams(max_age_blocks=20, max_age_ms=30 * BLOCK_MS)
PVS = [MemoryPV(seed(i)) for i in range(5)]
OLD_SET = make_validator_set([ValidatorUpdate(pv.pub_key, 10) for pv in PVS[:4]])  # heights 1..9
NEW_SET = make_validator_set([ValidatorUpdate(pv.pub_key, 10) for pv in PVS[1:]])  # PVS[0] left at 10


def set_at(height: int) -> ValidatorSet:
    return OLD_SET if height < 10 else NEW_SET


def decided(height: int, time_ms: int, evidence: tuple[DuplicateVoteEvidence, ...] = ()) -> Block:
    header = Header(CHAIN_ID, height, time_ms, None, b"", b"", b"", b"", b"", b"", b"", b"")
    return Block(header, (), None, evidence)


def grow(history: History, last: int, time_of=lambda h: GENESIS_TIME_MS + h * BLOCK_MS,
         evidence_at: dict[int, tuple[DuplicateVoteEvidence, ...]] | None = None) -> ChainState:
    """Record heights 1..last as the driver does after each commit; the chain state at last + 1."""
    evidence_at = evidence_at or {}
    for next_height in range(1, last + 2):
        block = None if next_height == 1 else decided(next_height - 1, time_of(next_height - 1),
                                                       evidence_at.get(next_height - 1, ()))
        puts, deletes = history.record(next_height, ((next_height, set_at(next_height)),
                                                     (next_height + 1, set_at(next_height + 1))), block)
        history.kv.write(puts, deletes)
        history.recorded()
    chain = genesis_state(CHAIN_ID, 1, GENESIS_TIME_MS, set_at(last + 1), b"")
    return replace(chain, height=last + 1, last_block_time_ms=time_of(last), last_validators=set_at(last),
                   next_validators=set_at(last + 2))


def equivocation(pv: MemoryPV, height: int, validators: ValidatorSet | None = None) -> DuplicateVoteEvidence:
    validators = set_at(height) if validators is None else validators

    def signed(block_id: BlockID) -> Vote:
        vote = Vote(PREVOTE, height, 0, block_id, GENESIS_TIME_MS, pv.address, validators.index_of(pv.address))
        return replace(vote, signature=pv._key.sign(vote.sign_bytes(CHAIN_ID)).signature)

    return DuplicateVoteEvidence(signed(BlockID(b"\x01" * 32)), signed(BlockID(b"\x02" * 32)),
                                 validators.total_power, validators.by_address(pv.address).power)


def test_evidence_from_a_past_set_is_verified_against_that_set() -> None:
    history = History(MemoryKV(), PARAMS)
    chain = grow(history, 15)
    # PVS[0] left the set at height 10: its double sign at 5 still counts, judged by the set of 5.
    verify_evidence(chain, equivocation(PVS[0], 5), history)
    assert verify_message(EvidenceMessage(equivocation(PVS[0], 5)), chain, 0, {}, history) is Verdict.VERIFIED
    # The same votes claiming the powers of today's set do not match the set of height 5.
    forged = replace(equivocation(PVS[1], 5), total_voting_power=NEW_SET.total_power + 1)
    with pytest.raises(InvalidEvidenceError, match="powers"):
        verify_evidence(chain, forged, history)
    assert verify_message(EvidenceMessage(forged), chain, 0, {}, history) is Verdict.BAD_SIGNATURE
    # PVS[4] joined at 10: it was no validator at 5, so it cannot have double-signed there.
    with pytest.raises(InvalidEvidenceError):
        verify_evidence(chain, equivocation(PVS[4], 5, NEW_SET), history)


def test_evidence_older_than_the_max_age_in_blocks_is_refused() -> None:
    history = History(MemoryKV(), PARAMS)
    chain = grow(history, 30, time_of=lambda h: GENESIS_TIME_MS + h)  # fast blocks: only the block age binds
    verify_evidence(chain, equivocation(PVS[1], chain.height - PARAMS.max_age_blocks), history)
    too_old = equivocation(PVS[1], chain.height - PARAMS.max_age_blocks - 1)
    with pytest.raises(EvidenceTooOldError, match="blocks old"):
        verify_evidence(chain, too_old, history)
    assert verify_message(EvidenceMessage(too_old), chain, 0, {}, history) is Verdict.OUT_OF_WINDOW  # not blamed


def test_evidence_older_than_the_max_age_in_block_time_is_refused() -> None:
    history = History(MemoryKV(), PARAMS)
    chain = grow(history, 15, time_of=lambda h: GENESIS_TIME_MS + h * 3 * BLOCK_MS)  # slow blocks: time binds
    young = equivocation(PVS[1], chain.height - 11)  # 30 s before the last block: the max age
    verify_evidence(chain, young, history)
    with pytest.raises(EvidenceTooOldError, match="ms old"):
        verify_evidence(chain, young, history, block_time_ms=chain.last_block_time_ms + 1)  # in a block 1 ms later
    with pytest.raises(EvidenceTooOldError, match="ms old"):
        verify_evidence(chain, equivocation(PVS[1], chain.height - 12), history)


def test_committed_evidence_is_refused_again_while_in_the_max_age() -> None:
    history = History(MemoryKV(), PARAMS)
    evidence = equivocation(PVS[1], 4)
    chain = grow(history, 15, evidence_at={6: (evidence,)})
    with pytest.raises(DuplicateEvidenceError):
        verify_evidence(chain, evidence, history)
    assert verify_message(EvidenceMessage(evidence), chain, 0, {}, history) is Verdict.OUT_OF_WINDOW


def test_without_a_history_only_the_last_two_heights_are_judged() -> None:
    chain = grow(History(MemoryKV(), PARAMS), 15)
    verify_evidence(chain, equivocation(PVS[1], chain.height - 1))
    with pytest.raises(InvalidEvidenceError, match="not known"):
        verify_evidence(chain, equivocation(PVS[1], chain.height - 2))


def test_misbehaviour_carries_the_infraction_blocks_time() -> None:
    history = History(MemoryKV(), PARAMS)
    chain = grow(history, 15)
    old, own = equivocation(PVS[1], 5), equivocation(PVS[1], chain.height)
    request = block_request(decided(chain.height, chain.last_block_time_ms + BLOCK_MS, (old, own)), history=history)
    assert [(m.height, m.time_ms) for m in request.misbehavior] == [
        (5, GENESIS_TIME_MS + 5 * BLOCK_MS), (chain.height, chain.last_block_time_ms + BLOCK_MS)]


def test_the_history_keeps_only_the_max_age() -> None:
    history = History(MemoryKV(), PARAMS)
    evidence = equivocation(PVS[1], 3)
    chain = grow(history, 100, evidence_at={5: (evidence,)})
    cutoff = chain.height - PARAMS.max_age_blocks
    times = [k for k, _ in history.kv.iterate(TIME_PREFIX)]
    assert len(times) == PARAMS.max_age_blocks and history.time_at(cutoff) is not None
    assert list(history.kv.iterate(EVIDENCE_PREFIX)) == []  # evidence of height 3 is too old to matter
    assert len(list(history.kv.iterate(VALIDATORS_PREFIX))) == 1  # the change at 10 still defines the cutoff's set
    assert history.validators_at(cutoff) == NEW_SET
    reopened = History(history.kv, PARAMS)  # after a restart, from the store alone
    assert reopened.validators_at(chain.height + 1) == NEW_SET and reopened.validators_at(cutoff) == NEW_SET
