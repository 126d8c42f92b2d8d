"""The agreed chain state between heights, and the pure rules that tie a block to it.

`ChainState` is what the engine needs to decide the next height (CometBFT's state.State): it is
saved after every app commit so a restart resumes at the same height. Block building and
validation, commit verification and BFT time live here because both the round state machine and
the driver's handshake need them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from consensus.abci import BlockRequest, Misbehavior, ValidatorUpdate, VoteInfo
from consensus.history import History
from consensus.proposer import increment, update
from consensus.types import (
    FLAG_ABSENT,
    FLAG_COMMIT,
    FLAG_NIL,
    Block,
    BlockID,
    Commit,
    DuplicateEvidenceError,
    DuplicateVoteEvidence,
    EvidenceTooOldError,
    EvidenceWindowError,
    Header,
    InvalidBlockError,
    InvalidCommitError,
    InvalidEvidenceError,
    InvalidVoteError,
    ValidatorSet,
    commit_hash,
    evidence_hash,
    txs_hash,
)
from consensus.vote_set import is_two_thirds
from consensus import vrf

MAX_EVIDENCE_PER_BLOCK = 64


@dataclass(frozen=True, slots=True)
class ChainState:
    chain_id: str
    initial_height: int
    genesis_time_ms: int
    height: int  # the next height to decide
    last_block_id: BlockID | None
    last_block_time_ms: int
    last_commit: Commit | None
    app_hash: bytes  # app state root after height - 1
    last_validators: ValidatorSet | None  # signed last_commit
    validators: ValidatorSet  # decide `height`; priorities as of round 0
    next_validators: ValidatorSet
    # Hashes of the last block's evidence: committed, but maybe not yet in the History (it is
    # written with the chain state that this state is the next of).
    recent_evidence: tuple[bytes, ...] = ()

    def validators_at(self, height: int) -> ValidatorSet | None:
        if height == self.height:
            return self.validators
        if height == self.height - 1:
            return self.last_validators
        return None


def genesis_state(
    chain_id: str, initial_height: int, genesis_time_ms: int, validators: ValidatorSet, app_hash: bytes
) -> ChainState:
    """CometBFT MakeGenesisState: next validators are the genesis set advanced by one increment."""
    return ChainState(
        chain_id, initial_height, genesis_time_ms, initial_height, None, genesis_time_ms, None, app_hash,
        None, validators, increment(validators, 1),
    )


def next_state(
    state: ChainState, block: Block, commit: Commit, app_hash: bytes, updates: Sequence[ValidatorUpdate]
) -> ChainState:
    """The state after `block` is committed; `updates` from height H act from H + 2."""
    next_validators = increment(update(state.next_validators, updates), 1)
    return ChainState(
        state.chain_id, state.initial_height, state.genesis_time_ms, state.height + 1, block.block_id,
        block.header.time_ms, commit, app_hash, state.validators, state.next_validators, next_validators,
        tuple(e.hash() for e in block.evidence),
    )


def median_time(commit: Commit, validators: ValidatorSet) -> int:
    """CometBFT MedianTime: the power-weighted median of the commit's block precommit times."""
    stamped = sorted(
        (sig.timestamp_ms, validators.validators[i].power)
        for i, sig in enumerate(commit.signatures)
        if sig.flag == FLAG_COMMIT
    )
    total = sum(power for _, power in stamped)
    median = total // 2
    for timestamp, power in stamped:
        if median < power:
            return timestamp
        median -= power
    raise InvalidCommitError("commit has no precommits for its block")


def verify_commit(chain_id: str, validators: ValidatorSet, block_id: BlockID, height: int, commit: Commit) -> None:
    """Every present signature is valid and the block has +2/3 of the power."""
    # Verify the commit is for this block and has one slot per validator.
    if commit.height != height or commit.block_id != block_id:
        raise InvalidCommitError(f"commit is for height {commit.height}, not the expected block at {height}")
    if len(commit.signatures) != len(validators):
        raise InvalidCommitError(f"commit has {len(commit.signatures)} slots for {len(validators)} validators")
    power = 0
    for i, sig in enumerate(commit.signatures):
        if sig.flag == FLAG_ABSENT:
            if sig.validator_address or sig.signature or sig.timestamp_ms:
                raise InvalidCommitError(f"absent commit slot {i} carries data")
            continue
        if sig.flag not in (FLAG_COMMIT, FLAG_NIL):
            raise InvalidCommitError(f"commit slot {i} has unknown flag {sig.flag}")
        try:
            validator = commit.vote(i).verify(chain_id, validators)
        except InvalidVoteError as exc:
            raise InvalidCommitError(f"commit slot {i}: {exc}") from exc
        if sig.flag == FLAG_COMMIT:
            power += validator.power
    if not is_two_thirds(power, validators.total_power):
        raise InvalidCommitError(f"commit has {power} of {validators.total_power} power, needs more than 2/3")


def expected_time(state: ChainState, last_commit: Commit | None) -> int:
    if state.height == state.initial_height or last_commit is None or state.last_validators is None:
        return state.genesis_time_ms
    return median_time(last_commit, state.last_validators)


def make_block(
    state: ChainState, txs: tuple[bytes, ...], evidence: tuple[DuplicateVoteEvidence, ...], proposer_address: bytes,
    seed_proof: bytes, last_commit: Commit | None = None,
) -> Block:
    """`last_commit` is any +2/3 commit of the last block (default: the one it was decided by);
    a proposer passes the decided one with the precommits that came in late, so they are credited."""
    last_commit = state.last_commit if last_commit is None else last_commit
    header = Header(
        chain_id=state.chain_id,
        height=state.height,
        time_ms=expected_time(state, last_commit),
        last_block_id=state.last_block_id,
        last_commit_hash=commit_hash(last_commit),
        txs_hash=txs_hash(txs),
        validators_hash=state.validators.hash(),
        next_validators_hash=state.next_validators.hash(),
        app_hash=state.app_hash,
        proposer_address=proposer_address,
        evidence_hash=evidence_hash(evidence),
        seed_proof=seed_proof,
    )
    return Block(header, txs, last_commit, evidence)


def evidence_validators(state: ChainState, evidence: DuplicateVoteEvidence, history: History | None = None,
                        block_time_ms: int | None = None) -> ValidatorSet:
    """The validator set to verify `evidence` against, if a block of `state.height` at
    `block_time_ms` (default: the last block's time) may carry it: younger than the max age in
    blocks and in block time, not committed before, and of a height whose set is known."""
    height = evidence.height
    if height > state.height:
        raise EvidenceWindowError(f"evidence height {height} is above the height {state.height} being decided")
    if history is not None and state.height - height > history.params.max_age_blocks:
        raise EvidenceTooOldError(f"evidence from height {height} is more than {history.params.max_age_blocks} blocks old")
    validators = state.validators_at(height) or (None if history is None else history.validators_at(height))
    infraction_time = evidence_time(state, history, height)
    if validators is None or (infraction_time is None and height < state.height):
        raise EvidenceWindowError(f"the validator set or block time of height {height} is not known here")
    now = state.last_block_time_ms if block_time_ms is None else block_time_ms
    if history is not None and infraction_time is not None and now - infraction_time > history.params.max_age_ms:
        raise EvidenceTooOldError(f"evidence from height {height} is {now - infraction_time} ms old, "
                                  f"over the max age of {history.params.max_age_ms} ms")
    key = evidence.hash()
    if key in state.recent_evidence or (history is not None and history.has_evidence(height, key)):
        raise DuplicateEvidenceError(f"evidence from height {height} was already committed")
    return validators


def evidence_time(state: ChainState, history: History | None, height: int) -> int | None:
    """The block time of decided `height` (None for the height being decided, or if unknown)."""
    if height == state.height - 1:
        return state.last_block_time_ms
    return None if history is None or height >= state.height else history.time_at(height)


def verify_evidence(state: ChainState, evidence: DuplicateVoteEvidence, history: History | None = None,
                    block_time_ms: int | None = None) -> None:
    """Evidence in range (`evidence_validators`) whose votes that height's set signed. Without a
    `history` only the current and the previous height are in range."""
    evidence.verify(state.chain_id, evidence_validators(state, evidence, history, block_time_ms))


def validate_block(state: ChainState, block: Block, max_block_bytes: int, history: History | None = None) -> None:
    """CometBFT validateBlock: every header field must follow from `state`."""
    h = block.header
    # Verify identity and linkage.
    if h.chain_id != state.chain_id or h.height != state.height:
        raise InvalidBlockError(f"block is for {h.chain_id}/{h.height}, expected {state.chain_id}/{state.height}")
    if h.last_block_id != state.last_block_id:
        raise InvalidBlockError("block last_block_id does not match the last decided block")
    if h.app_hash != state.app_hash:
        raise InvalidBlockError("block app_hash does not match the app state after the last block")
    if h.validators_hash != state.validators.hash() or h.next_validators_hash != state.next_validators.hash():
        raise InvalidBlockError("block validator hashes do not match the known validator sets")
    index = state.validators.index_of(h.proposer_address)
    if index is None:
        raise InvalidBlockError("block proposer is not a validator")
    # Verify the seed is the proposer's one VRF output for this height (it cannot pick another)
    try:
        vrf.verify(state.validators.validators[index].pub_key, vrf.compute_seed_input(h.chain_id, h.height), h.seed_proof)
    except vrf.InvalidVrfProofError as exc:
        raise InvalidBlockError(f"block seed proof: {exc}") from exc
    # Verify the last commit and BFT time.
    if h.last_commit_hash != commit_hash(block.last_commit):
        raise InvalidBlockError("block last_commit_hash does not match its last commit")
    if state.height == state.initial_height:
        if block.last_commit is not None:
            raise InvalidBlockError("the first block cannot carry a last commit")
    else:
        if block.last_commit is None or state.last_validators is None or state.last_block_id is None:
            raise InvalidBlockError("block is missing its last commit")
        try:
            verify_commit(state.chain_id, state.last_validators, state.last_block_id, state.height - 1, block.last_commit)
        except InvalidCommitError as exc:
            raise InvalidBlockError(f"bad last commit: {exc}") from exc
        if h.time_ms <= state.last_block_time_ms:
            raise InvalidBlockError(f"block time {h.time_ms} is not after the last block time {state.last_block_time_ms}")
    if h.time_ms != expected_time(state, block.last_commit):
        raise InvalidBlockError(f"block time {h.time_ms} is not the BFT time of its last commit")
    # Verify the body.
    if h.txs_hash != txs_hash(block.txs):
        raise InvalidBlockError("block txs_hash does not match its txs")
    if sum(len(tx) for tx in block.txs) > max_block_bytes:
        raise InvalidBlockError(f"block txs exceed {max_block_bytes} bytes")
    if h.evidence_hash != evidence_hash(block.evidence):
        raise InvalidBlockError("block evidence_hash does not match its evidence")
    if len(block.evidence) > MAX_EVIDENCE_PER_BLOCK or len({e.hash() for e in block.evidence}) != len(block.evidence):
        raise InvalidBlockError("block evidence is duplicated or too much")
    for evidence in block.evidence:
        try:
            verify_evidence(state, evidence, history, h.time_ms)
        except InvalidEvidenceError as exc:
            raise InvalidBlockError(f"bad evidence: {exc}") from exc


def block_request(block: Block, last_validators: ValidatorSet | None = None,
                  history: History | None = None) -> BlockRequest:
    """The block as the app sees it; `last_validators` (the set that signed `block.last_commit`)
    turns the last commit into who signed and who did not. Misbehaviour carries the infraction
    block's time from `history` (the block's own time for evidence of its own height)."""
    h = block.header

    def infraction_time(height: int) -> int:
        known = None if history is None or height >= h.height else history.time_at(height)
        return h.time_ms if known is None else known

    misbehavior = tuple(
        Misbehavior(e.vote_a.validator_address, e.height, infraction_time(e.height), e.validator_power)
        for e in block.evidence
    )
    return BlockRequest(h.height, h.time_ms, block.hash(), h.proposer_address, block.txs, h.last_commit_hash, misbehavior,
                        get_vote_infos(block.last_commit, last_validators), vrf.proof_to_output(h.seed_proof))


def get_vote_infos(commit: Commit | None, validators: ValidatorSet | None) -> tuple[VoteInfo, ...]:
    if commit is None or validators is None:
        return ()
    """Signed = its precommit (for the block or nil) is in the commit, as x/slashing counts it."""
    return tuple(VoteInfo(v.address, v.power, i < len(commit.signatures) and commit.signatures[i].flag != FLAG_ABSENT)
                 for i, v in enumerate(validators.validators))
