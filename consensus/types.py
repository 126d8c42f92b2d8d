"""Consensus records: validators, blocks, votes, proposals, commits, evidence and wire messages.

Every record is a codec record; hashes and signatures are computed over `state.codec` bytes only.
Sign bytes are the unsigned fields plus the chain id (as CometBFT's Canonical* types), so a
signature can never be replayed on another chain or as another kind of message.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from state.codec import Tagged, encode, decode, tagged

ADDRESS_SIZE = 20
HASH_SIZE = 32
PUB_KEY_SIZE = 32
SIGNATURE_SIZE = 64
MAX_ROUND = 2**31 - 1
# Valid signatures remembered so a vote is verified once: when it is gossiped, not again when it
# reaches the vote set, a proposal's POL, a commit or the next block's last commit.
SIGNATURE_CACHE_SIZE = 65_536

# Vote and sign-step types (the numbers of CometBFT's SignedMsgType).
PREVOTE = 1
PRECOMMIT = 2
PROPOSAL = 32

# CommitSig flags (CometBFT's BlockIDFlag).
FLAG_ABSENT = 1
FLAG_COMMIT = 2
FLAG_NIL = 3


class ConsensusError(ValueError):
    """Base of every rejection of consensus input; the engine drops such input and goes on."""


class InvalidVoteError(ConsensusError):
    """A vote that is malformed, from a non-validator, or badly signed."""


class InvalidBlockError(ConsensusError):
    """A block or proposal that does not follow from the known chain state."""


class InvalidCommitError(ConsensusError):
    """A commit without valid +2/3 precommits for its block."""


class InvalidEvidenceError(ConsensusError):
    """Evidence that does not prove a double sign by a known validator."""


class EvidenceWindowError(InvalidEvidenceError):
    """Evidence this node cannot or must not put in a block now, whatever its signatures: its
    height's set is unknown here, it is too old, or it was committed already."""


class EvidenceTooOldError(EvidenceWindowError):
    """Evidence older than the evidence max age, in blocks or in block time."""


class DuplicateEvidenceError(EvidenceWindowError):
    """Evidence already committed in a block."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash_record(record: object) -> bytes:
    return sha256(encode(record))


def address_of(pub_key: bytes) -> bytes:
    """A validator address: the first 20 bytes of sha256(pub_key)."""
    return sha256(pub_key)[:ADDRESS_SIZE]


_verified_signatures: OrderedDict[bytes, None] = OrderedDict()
_verified_lock = threading.Lock()  # block sync or a commit worker may verify off the event loop


def verify_signature(pub_key: bytes, message: bytes, signature: bytes) -> bool:
    """Ed25519 check; valid triples are cached (bounded LRU), invalid ones never are."""
    if len(signature) != SIGNATURE_SIZE or len(pub_key) != PUB_KEY_SIZE:
        return False
    key = sha256(pub_key + signature + message)  # fixed-size prefix: no ambiguity
    with _verified_lock:
        if key in _verified_signatures:
            _verified_signatures.move_to_end(key)
            return True
    try:
        VerifyKey(pub_key).verify(message, signature)
    except (BadSignatureError, ValueError):
        return False
    with _verified_lock:
        _verified_signatures[key] = None
        if len(_verified_signatures) > SIGNATURE_CACHE_SIZE:
            _verified_signatures.popitem(last=False)
    return True


@dataclass(frozen=True, slots=True)
class Validator:
    pub_key: bytes
    power: int
    proposer_priority: int = 0

    @property
    def address(self) -> bytes:
        return address_of(self.pub_key)


@dataclass(frozen=True, slots=True)
class _HashedValidator:
    pub_key: bytes
    power: int


@dataclass(frozen=True, slots=True)
class _HashedValidators:
    validators: tuple[_HashedValidator, ...]


@dataclass(frozen=True, slots=True)
class ValidatorSet:
    """Validators sorted by power (desc) then address; the index in this order is the vote index.

    `proposer_address` is the validator chosen by the last priority increment (CometBFT keeps the
    chosen one, not the current maximum, because the choice already subtracted the total power).
    """

    validators: tuple[Validator, ...]
    proposer_address: bytes = b""

    @property
    def total_power(self) -> int:
        return sum(v.power for v in self.validators)

    def __len__(self) -> int:
        return len(self.validators)

    def hash(self) -> bytes:
        """Hash of keys and powers only: priorities change every height and are not agreed data."""
        return hash_record(_HashedValidators(tuple(_HashedValidator(v.pub_key, v.power) for v in self.validators)))

    def index_of(self, address: bytes) -> int | None:
        for i, v in enumerate(self.validators):
            if v.address == address:
                return i
        return None

    def by_address(self, address: bytes) -> Validator | None:
        i = self.index_of(address)
        return None if i is None else self.validators[i]

    @property
    def proposer(self) -> Validator:
        found = self.by_address(self.proposer_address)
        if found is None:
            raise ConsensusError("validator set has no proposer; increment priorities first")
        return found


@dataclass(frozen=True, slots=True)
class BlockID:
    hash: bytes


@dataclass(frozen=True, slots=True)
class CanonicalVote:
    type: int
    height: int
    round: int
    block_id: BlockID | None
    timestamp_ms: int
    chain_id: str


@dataclass(frozen=True, slots=True)
class Vote:
    type: int
    height: int
    round: int
    block_id: BlockID | None  # None is a vote for nil
    timestamp_ms: int
    validator_address: bytes
    validator_index: int
    signature: bytes = b""

    def sign_bytes(self, chain_id: str) -> bytes:
        return encode(CanonicalVote(self.type, self.height, self.round, self.block_id, self.timestamp_ms, chain_id))

    def validate_basic(self) -> None:
        if self.type not in (PREVOTE, PRECOMMIT):
            raise InvalidVoteError(f"unknown vote type {self.type}")
        if self.height < 1 or not 0 <= self.round <= MAX_ROUND:
            raise InvalidVoteError(f"vote height {self.height} / round {self.round} out of range")
        if self.block_id is not None and len(self.block_id.hash) != HASH_SIZE:
            raise InvalidVoteError("vote block hash must be 32 bytes")
        if len(self.validator_address) != ADDRESS_SIZE or self.validator_index < 0:
            raise InvalidVoteError("vote has a malformed validator address or index")
        if len(self.signature) != SIGNATURE_SIZE:
            raise InvalidVoteError("vote signature must be 64 bytes")

    def verify(self, chain_id: str, validators: ValidatorSet) -> Validator:
        """Check the vote against `validators`; returns the signer."""
        self.validate_basic()
        if self.validator_index >= len(validators):
            raise InvalidVoteError(f"validator index {self.validator_index} out of range")
        validator = validators.validators[self.validator_index]
        if validator.address != self.validator_address:
            raise InvalidVoteError(f"validator index {self.validator_index} does not match the address")
        if not verify_signature(validator.pub_key, self.sign_bytes(chain_id), self.signature):
            raise InvalidVoteError(f"bad vote signature from {self.validator_address.hex()}")
        return validator


@dataclass(frozen=True, slots=True)
class CanonicalProposal:
    type: int
    height: int
    round: int
    pol_round: int
    block_id: BlockID
    timestamp_ms: int
    chain_id: str


@dataclass(frozen=True, slots=True)
class Proposal:
    height: int
    round: int
    pol_round: int  # -1, or the round whose +2/3 prevotes justify re-proposing the block
    block_id: BlockID
    timestamp_ms: int
    signature: bytes = b""

    def sign_bytes(self, chain_id: str) -> bytes:
        return encode(
            CanonicalProposal(PROPOSAL, self.height, self.round, self.pol_round, self.block_id, self.timestamp_ms, chain_id)
        )

    def validate_basic(self) -> None:
        if self.height < 1 or not 0 <= self.round <= MAX_ROUND:
            raise InvalidBlockError(f"proposal height {self.height} / round {self.round} out of range")
        if not -1 <= self.pol_round < self.round:
            raise InvalidBlockError(f"proposal pol_round {self.pol_round} must be in [-1, {self.round})")
        if len(self.block_id.hash) != HASH_SIZE or len(self.signature) != SIGNATURE_SIZE:
            raise InvalidBlockError("proposal has a malformed block hash or signature")


@dataclass(frozen=True, slots=True)
class CommitSig:
    flag: int
    validator_address: bytes
    timestamp_ms: int
    signature: bytes


@dataclass(frozen=True, slots=True)
class Commit:
    """+2/3 precommits for `block_id`, one slot per validator index (absent slots are empty)."""

    height: int
    round: int
    block_id: BlockID
    signatures: tuple[CommitSig, ...]

    def hash(self) -> bytes:
        return hash_record(self)

    def vote(self, index: int) -> Vote:
        """The precommit that slot `index` carries (not meaningful for absent slots)."""
        sig = self.signatures[index]
        block_id = self.block_id if sig.flag == FLAG_COMMIT else None
        return Vote(PRECOMMIT, self.height, self.round, block_id, sig.timestamp_ms, sig.validator_address, index, sig.signature)


@dataclass(frozen=True, slots=True)
class DuplicateVoteEvidence:
    """Two votes by one validator for the same (height, round, type); vote_a sorts first."""

    vote_a: Vote
    vote_b: Vote
    total_voting_power: int
    validator_power: int

    def hash(self) -> bytes:
        return hash_record(self)

    @property
    def height(self) -> int:
        return self.vote_a.height

    def verify(self, chain_id: str, validators: ValidatorSet) -> None:
        a, b = self.vote_a, self.vote_b
        # Verify the votes clash: same slot, same signer, different blocks, canonical order.
        if (a.type, a.height, a.round) != (b.type, b.height, b.round):
            raise InvalidEvidenceError("evidence votes are for different (height, round, type)")
        if a.validator_address != b.validator_address or a.validator_index != b.validator_index:
            raise InvalidEvidenceError("evidence votes are from different validators")
        if block_key(a.block_id) >= block_key(b.block_id):
            raise InvalidEvidenceError("evidence votes are equal or not in canonical order")
        # Verify both signatures and the recorded powers against the set at that height.
        try:
            validator = a.verify(chain_id, validators)
            b.verify(chain_id, validators)
        except InvalidVoteError as exc:
            raise InvalidEvidenceError(f"evidence vote invalid: {exc}") from exc
        if self.validator_power != validator.power or self.total_voting_power != validators.total_power:
            raise InvalidEvidenceError("evidence powers do not match the validator set")


def block_key(block_id: BlockID | None) -> bytes:
    """Sort key of a vote target; nil sorts first."""
    return b"" if block_id is None else block_id.hash


def make_evidence(first: Vote, second: Vote, validators: ValidatorSet) -> DuplicateVoteEvidence:
    a, b = sorted((first, second), key=lambda v: block_key(v.block_id))
    validator = validators.validators[first.validator_index]
    return DuplicateVoteEvidence(a, b, validators.total_power, validator.power)


@dataclass(frozen=True, slots=True)
class Header:
    chain_id: str
    height: int
    time_ms: int
    last_block_id: BlockID | None
    last_commit_hash: bytes
    txs_hash: bytes
    validators_hash: bytes
    next_validators_hash: bytes
    app_hash: bytes  # state root after height - 1
    proposer_address: bytes
    evidence_hash: bytes
    seed_proof: bytes  # the proposer's VRF proof over (chain id, height): the app's unbiasable randomness


@dataclass(frozen=True, slots=True)
class _TxList:
    txs: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class _EvidenceList:
    evidence: tuple[DuplicateVoteEvidence, ...]


def txs_hash(txs: tuple[bytes, ...]) -> bytes:
    return hash_record(_TxList(txs))


def evidence_hash(evidence: tuple[DuplicateVoteEvidence, ...]) -> bytes:
    return hash_record(_EvidenceList(evidence))


def commit_hash(commit: Commit | None) -> bytes:
    return b"" if commit is None else commit.hash()


@dataclass(frozen=True, slots=True)
class Block:
    header: Header
    txs: tuple[bytes, ...]
    last_commit: Commit | None  # None only at the initial height
    evidence: tuple[DuplicateVoteEvidence, ...]

    def hash(self) -> bytes:
        """The header hash: every other part is bound to it through the header's hashes."""
        return hash_record(self.header)

    @property
    def block_id(self) -> BlockID:
        return BlockID(self.hash())


class Message(Tagged):
    """A consensus wire message (the payload of the consensus gossip topic)."""


@tagged(Message, "proposal")
@dataclass(frozen=True, slots=True)
class ProposalMessage(Message):
    proposal: Proposal
    block: Block
    pol_votes: tuple[Vote, ...] = ()  # the +2/3 prevotes of pol_round, so receivers need not have seen them


@tagged(Message, "vote")
@dataclass(frozen=True, slots=True)
class VoteMessage(Message):
    vote: Vote


@tagged(Message, "commit")
@dataclass(frozen=True, slots=True)
class CommitMessage(Message):
    """A decided block and its commit, sent to a peer that is still at that height (catch-up)."""

    block: Block
    commit: Commit


@tagged(Message, "evidence")
@dataclass(frozen=True, slots=True)
class EvidenceMessage(Message):
    evidence: DuplicateVoteEvidence


@dataclass(frozen=True, slots=True)
class Envelope:
    message: Message


def encode_message(message: Message) -> bytes:
    return encode(Envelope(message))


def decode_message(data: bytes, max_size: int) -> Message:
    """Decode wire bytes; raises state.codec.CodecError on anything malformed."""
    return decode(Envelope, data, max_size=max_size).message

