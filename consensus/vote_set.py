"""Vote tallies for one height: per (round, type), one vote per validator, weighted by power.

A second, different vote by the same validator for the same (height, round, type) becomes
DuplicateVoteEvidence, kept in `evidence` for gossip and block inclusion. It still counts
towards its own block's tally (never towards the total "any" power, which counts each validator
once): a +2/3 set of signed votes for a block is a valid proof whatever else their signers
signed (CometBFT reaches the same via peer-claimed majorities), and two conflicting +2/3 tallies
would need more than 1/3 of the power to equivocate. An equivocator's votes are counted for at most
`MAX_TARGETS_PER_VALIDATOR` targets per set and the rest dropped unverified: one conflicting pair is
all the evidence needed, and a validator signing a vote per random block id must not grow the set
(honest validators hold over 2/3 of the power, so no honest majority needs a third vote of a liar).
"""
from __future__ import annotations

from consensus.types import (
    PRECOMMIT,
    PREVOTE,
    BlockID,
    DuplicateVoteEvidence,
    InvalidVoteError,
    Vote,
    ValidatorSet,
    make_evidence,
)


MAX_TARGETS_PER_VALIDATOR = 2  # distinct block ids (nil included) one validator's votes count for in a set


def is_two_thirds(power: int, total: int) -> bool:
    return 3 * power > 2 * total


def is_one_third(power: int, total: int) -> bool:
    return 3 * power > total


class VoteSet:
    """Votes of one (height, round, type)."""

    def __init__(
        self, chain_id: str, height: int, round: int, type: int, validators: ValidatorSet,
        evidence: list[DuplicateVoteEvidence] | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.height = height
        self.round = round
        self.type = type
        self.validators = validators
        self.votes: dict[int, Vote] = {}  # the first vote of each validator
        self.by_block: dict[BlockID | None, dict[int, Vote]] = {}
        self.power_by_block: dict[BlockID | None, int] = {}
        self.sum = 0
        self._targets: dict[int, int] = {}  # validator index -> distinct block ids its votes count for
        self.evidence = [] if evidence is None else evidence

    def add(self, vote: Vote) -> bool:
        """Count `vote`; False if its signer already voted for that target. Raises InvalidVoteError."""
        # Verify it belongs here before the (costly) signature check.
        if (vote.height, vote.round, vote.type) != (self.height, self.round, self.type):
            raise InvalidVoteError(
                f"vote for {(vote.height, vote.round, vote.type)} added to set {(self.height, self.round, self.type)}"
            )
        if vote.validator_index in self.by_block.get(vote.block_id, {}):
            return False  # a repeat (or a re-signed timestamp) changes no tally
        if self._targets.get(vote.validator_index, 0) >= MAX_TARGETS_PER_VALIDATOR:
            return False  # an equivocator already has its evidence; more targets would only grow the set
        validator = vote.verify(self.chain_id, self.validators)
        # Entries only for verified votes: junk must not leave (unbounded) empty slots behind.
        for_block = self.by_block.setdefault(vote.block_id, {})
        first = self.votes.get(vote.validator_index)
        if first is None:
            self.votes[vote.validator_index] = vote
            self.sum += validator.power
        else:
            evidence = make_evidence(first, vote, self.validators)
            if evidence not in self.evidence:
                self.evidence.append(evidence)
        for_block[vote.validator_index] = vote
        self._targets[vote.validator_index] = self._targets.get(vote.validator_index, 0) + 1
        self.power_by_block[vote.block_id] = self.power_by_block.get(vote.block_id, 0) + validator.power
        return True

    def has_two_thirds_for(self, block_id: BlockID | None) -> bool:
        return is_two_thirds(self.power_by_block.get(block_id, 0), self.validators.total_power)

    def has_two_thirds_any(self) -> bool:
        return is_two_thirds(self.sum, self.validators.total_power)

    def two_thirds_majority(self) -> tuple[bool, BlockID | None]:
        """(True, block or None for nil) when one target has +2/3 of the power."""
        for block_id, power in self.power_by_block.items():
            if is_two_thirds(power, self.validators.total_power):
                return True, block_id
        return False, None

    def votes_for(self, block_id: BlockID | None) -> tuple[Vote, ...]:
        return tuple(v for _, v in sorted(self.by_block.get(block_id, {}).items()))


class HeightVoteSet:
    """All prevotes and precommits of one height, by round."""

    def __init__(self, chain_id: str, height: int, validators: ValidatorSet) -> None:
        self.chain_id = chain_id
        self.height = height
        self.validators = validators
        self._sets: dict[tuple[int, int], VoteSet] = {}
        self.evidence: list[DuplicateVoteEvidence] = []  # shared by every round's sets, in arrival order

    def get(self, round: int, type: int) -> VoteSet:
        """The votes of (round, type); an empty set is not stored, so reads leave nothing behind."""
        vote_set = self._sets.get((round, type))
        if vote_set is None:
            return VoteSet(self.chain_id, self.height, round, type, self.validators, self.evidence)
        return vote_set

    def prevotes(self, round: int) -> VoteSet:
        return self.get(round, PREVOTE)

    def precommits(self, round: int) -> VoteSet:
        return self.get(round, PRECOMMIT)

    def add(self, vote: Vote) -> bool:
        """Count `vote` (see VoteSet.add); a (round, type) set is stored once a vote verified in it."""
        if vote.type not in (PREVOTE, PRECOMMIT):
            raise InvalidVoteError(f"unknown vote type {vote.type}")
        vote_set = self.get(vote.round, vote.type)
        added = vote_set.add(vote)
        if added:
            self._sets.setdefault((vote.round, vote.type), vote_set)
        return added

    def rounds(self) -> list[int]:
        return sorted({r for r, _ in self._sets})

    def has_one_third_any(self, round: int) -> bool:
        """More than 1/3 of the power sent some vote in `round` (the round-skip rule, f+1)."""
        voters = set(self.prevotes(round).votes) | set(self.precommits(round).votes)
        power = sum(self.validators.validators[i].power for i in voters)
        return is_one_third(power, self.validators.total_power)
