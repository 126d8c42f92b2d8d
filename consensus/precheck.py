"""Checks of consensus messages before they are relayed, queued, buffered or written to the WAL.

A message is judged against the chain state alone (no round state): its signatures against the
validator set of its height, for the heights whose sets are known (H+1, H and the few decided
heights the engine remembers, so lagging validators can be answered; evidence up to the evidence
max age, from `consensus.history`), and its round against a window. Junk and forgeries are thus
dropped at the gossip validator, before
any node relays them, and their forwarder is scored down; messages we cannot judge (far heights
or rounds) are neither relayed nor blamed, because an honest peer may be ahead or behind.

`Precheck` keeps one node's view (updated by the driver) and caches definitive verdicts by message
hash, so a message costs one verification per node whether it arrives once or many times; the
signature cache in `consensus.types` spares the engine a second check of what passed here.
"""
from __future__ import annotations

import enum
import functools
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from consensus.chain import ChainState, evidence_validators, verify_commit
from consensus.history import History
from consensus.proposer import proposer_for_round
from consensus.types import (
    CommitMessage,
    ConsensusError,
    EvidenceMessage,
    EvidenceWindowError,
    InvalidCommitError,
    InvalidEvidenceError,
    InvalidVoteError,
    Message,
    ProposalMessage,
    Validator,
    ValidatorSet,
    VoteMessage,
    decode_message,
    sha256,
    verify_signature,
)
from state.codec import CodecError

MAX_FUTURE_ROUNDS = 100  # votes further ahead are dropped: bounds memory a byzantine signer can use
VERDICT_CACHE_SIZE = 16_384


class Verdict(enum.Enum):
    VERIFIED = "well-formed, and signed by the validators its height and round require"
    OUT_OF_WINDOW = "well-formed, but for a height or round this node cannot or need not judge"
    MALFORMED = "undecodable, failing its basic checks, or a block that does not match its proposal"
    BAD_SIGNATURE = "a signature (or signer) that does not verify against its height's validators"


@dataclass(frozen=True, slots=True)
class Checked:
    verdict: Verdict
    message: Message | None  # decoded, unless the verdict came from the cache (or was MALFORMED)


def message_height(message: Message) -> int:
    """The height a message is for, after the checks that need no state (ConsensusError if bad)."""
    match message:
        case ProposalMessage(proposal=p):
            p.validate_basic()
            return p.height
        case VoteMessage(vote=v):
            v.validate_basic()
            return v.height
        case CommitMessage(commit=c):
            return c.height
        case EvidenceMessage(evidence=e):
            return e.height
    raise ConsensusError(f"unknown message {type(message).__name__}")


def validators_for(chain: ChainState, height: int, past: Mapping[int, ValidatorSet]) -> ValidatorSet | None:
    """The validator set of `height` if known: H+1, H, H-1, and decided heights found in `past`."""
    if height == chain.height + 1:
        return chain.next_validators
    found = chain.validators_at(height)
    return past.get(height) if found is None else found


def max_round(chain: ChainState, height: int, round: int) -> int:
    """The highest round judged at `height` while this node is in `round` of chain.height."""
    if height == chain.height:
        return round + MAX_FUTURE_ROUNDS
    if height < chain.height and chain.last_commit is not None:
        return chain.last_commit.round + MAX_FUTURE_ROUNDS
    return MAX_FUTURE_ROUNDS


@functools.lru_cache(maxsize=1024)
def proposer_of(validators: ValidatorSet, round: int) -> Validator:
    """Cached: the priority increments cost O(round) per lookup."""
    return proposer_for_round(validators, round)


def check_commit(chain_id: str, validators: ValidatorSet, message: CommitMessage) -> Verdict:
    """A decided block: it matches its commit, which +2/3 of `validators` signed."""
    commit = message.commit
    if message.block.hash() != commit.block_id.hash:
        return Verdict.MALFORMED
    try:
        verify_commit(chain_id, validators, commit.block_id, commit.height, commit)
    except InvalidCommitError:
        return Verdict.BAD_SIGNATURE
    return Verdict.VERIFIED


def verify_message(message: Message, chain: ChainState, round: int,
                   past: Mapping[int, ValidatorSet] | None = None, history: History | None = None) -> Verdict:
    """Judge `message` against the chain state; `round` is this node's round at chain.height,
    `past` the validator sets of recently decided heights (`State.past_validators`) and `history`
    what evidence of older heights is judged by."""
    try:
        height = message_height(message)
    except ConsensusError:
        return Verdict.MALFORMED
    if isinstance(message, EvidenceMessage):
        return check_evidence(message, chain, history)
    validators = validators_for(chain, height, past or {})
    if validators is None:
        return Verdict.OUT_OF_WINDOW
    match message:
        case VoteMessage(vote=vote):
            if vote.round > max_round(chain, height, round):
                return Verdict.OUT_OF_WINDOW
            try:
                vote.verify(chain.chain_id, validators)
            except InvalidVoteError:
                return Verdict.BAD_SIGNATURE
        case ProposalMessage(proposal=p, block=block):
            if p.round > max_round(chain, height, round):
                return Verdict.OUT_OF_WINDOW
            if block.hash() != p.block_id.hash:
                return Verdict.MALFORMED
            proposer = proposer_of(validators, p.round)
            if not verify_signature(proposer.pub_key, p.sign_bytes(chain.chain_id), p.signature):
                return Verdict.BAD_SIGNATURE
        case CommitMessage():
            if height < chain.height:
                return Verdict.OUT_OF_WINDOW  # a catch-up for someone else: we are past it
            return check_commit(chain.chain_id, validators, message)
    return Verdict.VERIFIED


def check_evidence(message: EvidenceMessage, chain: ChainState, history: History | None) -> Verdict:
    """Evidence that no block may carry any more (too old, committed, or of an unknown height) is
    not relayed, but its sender is not blamed: it may be an honest node behind or ahead of us."""
    try:
        validators = evidence_validators(chain, message.evidence, history)
    except EvidenceWindowError:
        return Verdict.OUT_OF_WINDOW
    try:
        message.evidence.verify(chain.chain_id, validators)
    except InvalidEvidenceError:
        return Verdict.BAD_SIGNATURE
    return Verdict.VERIFIED


class Precheck:
    """One node's chain view and verdict cache, shared by its gossip validator and its driver."""

    def __init__(self, max_message_bytes: int, cache_size: int = VERDICT_CACHE_SIZE) -> None:
        self.max_message_bytes = max_message_bytes
        self.cache_size = cache_size
        self._chain: ChainState | None = None
        self._round = 0
        self._past: Mapping[int, ValidatorSet] = {}
        self._history: History | None = None
        self._verdicts: OrderedDict[bytes, Verdict] = OrderedDict()
        self._lock = threading.Lock()

    def update(self, chain: ChainState, round: int, past: Mapping[int, ValidatorSet],
               history: History | None = None) -> None:
        """The engine's state after each event: the window moves with it."""
        self._chain, self._round, self._past, self._history = chain, round, past, history

    def check(self, data: bytes) -> Checked:
        """Decode and judge wire bytes; definitive verdicts are cached by their hash."""
        key = sha256(data)
        with self._lock:
            cached = self._verdicts.get(key)
            if cached is not None:
                self._verdicts.move_to_end(key)
                return Checked(cached, None)
        try:
            message = decode_message(data, self.max_message_bytes)
        except CodecError:
            self._remember(key, Verdict.MALFORMED)
            return Checked(Verdict.MALFORMED, None)
        chain = self._chain
        verdict = Verdict.OUT_OF_WINDOW if chain is None else verify_message(message, chain, self._round, self._past, self._history)
        if verdict is not Verdict.OUT_OF_WINDOW:  # the only verdict that changes as the chain moves
            self._remember(key, verdict)
        return Checked(verdict, message)

    def _remember(self, key: bytes, verdict: Verdict) -> None:
        with self._lock:
            self._verdicts[key] = verdict
            while len(self._verdicts) > self.cache_size:
                self._verdicts.popitem(last=False)
