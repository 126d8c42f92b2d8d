"""Gov state records and their keys (prefixes 0xd1-0xdb).

Ending proposals and due grants are found through queues keyed by end time (BFT ms) or pay height
first, so the end of a block reads from the front of a queue only what is due. A vote is one record
per (proposal, voter), overwritten by a later vote; a deposit one per (proposal, depositor), added to.
"""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import Msg
from akechain.chain.crypto import module_account

COUNTERS_KEY = b"\xd1"
PROPOSAL_PREFIX = b"\xd2"  # + id
DEPOSIT_PREFIX = b"\xd3"  # + id + depositor
VOTE_PREFIX = b"\xd4"  # + id + voter
DEPOSIT_QUEUE_PREFIX = b"\xd5"  # + deposit end time + id
VOTING_QUEUE_PREFIX = b"\xd6"  # + voting end time + id
VOTE_DELEGATION_PREFIX = b"\xd7"  # + delegator -> its delegate
VOTE_DELEGATORS_PREFIX = b"\xd8"  # + delegate + delegator: whose power a delegate's vote carries
GRANT_PREFIX = b"\xd9"  # + grant id
GRANT_QUEUE_PREFIX = b"\xda"  # + next pay height + grant id
TOTALS_KEY = b"\xdb"
GUARDIAN_KEY = b"\xdc"

# holds every deposit until it is refunded or burned
DEPOSITS_POOL = module_account("gov-deposits")
# the sender of a passed proposal's messages: it holds no funds and no one can send to it
GOV_AUTHORITY = module_account("gov")

DEPOSIT_PERIOD, VOTING_PERIOD, PASSED, REJECTED, FAILED, VETOED, DROPPED, CANCELLED = range(8)
STATUS_NAMES = ("deposit_period", "voting_period", "passed", "rejected", "failed", "vetoed", "dropped", "cancelled")
# the guardian's emergency powers; governance narrows them and finally retires the guardian
CANCEL_PROPOSAL, PAUSE_MARKET_JOBS, PAUSE_BRIDGE = "cancel_proposal", "pause_market_jobs", "pause_bridge"
GUARDIAN_POWERS = (CANCEL_PROPOSAL, PAUSE_BRIDGE, PAUSE_MARKET_JOBS)  # sorted
PAUSES = (PAUSE_BRIDGE, PAUSE_MARKET_JOBS)
YES, ABSTAIN, NO, NO_WITH_VETO = 1, 2, 3, 4
OPTION_NAMES = {YES: "yes", ABSTAIN: "abstain", NO: "no", NO_WITH_VETO: "no_with_veto"}


@dataclass(frozen=True, slots=True)
class WeightedOption:
    option: int  # YES, ABSTAIN, NO, NO_WITH_VETO
    weight_bps: int  # the options of one vote add up to 10_000


@dataclass(frozen=True, slots=True)
class TallyResult:
    yes: int
    abstain: int
    no: int
    no_with_veto: int

    @property
    def total(self) -> int:
        return self.yes + self.abstain + self.no + self.no_with_veto


EMPTY_TALLY = TallyResult(0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Proposal:
    id: int
    proposer: bytes
    messages: tuple[Msg, ...]  # executed in order, all or none, by GOV_AUTHORITY when it passes
    title: str
    summary: str
    expedited: bool  # cleared when an expedited proposal falls back to the regular track
    status: int
    submit_time_ms: int
    deposit_end_ms: int
    voting_start_ms: int  # 0 until it enters voting
    voting_end_ms: int
    total_deposit: int
    final_tally: TallyResult  # set when voting ends
    failure: str  # why its execution failed (status FAILED)


@dataclass(frozen=True, slots=True)
class Deposit:
    amount: int


@dataclass(frozen=True, slots=True)
class Vote:
    options: tuple[WeightedOption, ...]


@dataclass(frozen=True, slots=True)
class VoteDelegation:
    delegate: bytes


@dataclass(frozen=True, slots=True)
class Grant:
    """A continuous grant: `amount_per_block` from the treasury to `recipient` each block up to `end_height`."""

    id: int
    recipient: bytes
    amount_per_block: int
    start_height: int
    end_height: int
    paid: int  # uake paid so far


@dataclass(frozen=True, slots=True)
class Counters:
    next_proposal_id: int
    next_grant_id: int
    active_grants: int


@dataclass(frozen=True, slots=True)
class Totals:
    """Cumulative uake since genesis, for the conservation laws (pool = deposited - refunded - burned)."""

    deposited: int
    refunded: int
    burned: int
    treasury_spent: int  # one-off spends of passed proposals
    grants_paid: int


@dataclass(frozen=True, slots=True)
class Guardian:
    """The genesis-named guardian (a k-of-n multisig account): it can never move funds or change params."""

    address: bytes
    powers: tuple[str, ...]  # sorted, a subset of GUARDIAN_POWERS
    paused: tuple[str, ...]  # sorted pauses in force, each under a power it holds
    retired: bool  # for good: a retired guardian is never restored


@dataclass(frozen=True, slots=True)
class Marker:
    """Value of an index or queue key (the key says everything)."""


EMPTY_COUNTERS = Counters(1, 1, 0)
EMPTY_TOTALS = Totals(0, 0, 0, 0, 0)


def u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def get_proposal_key(proposal_id: int) -> bytes:
    return PROPOSAL_PREFIX + u64(proposal_id)


def get_deposit_key(proposal_id: int, depositor: bytes) -> bytes:
    return DEPOSIT_PREFIX + u64(proposal_id) + depositor


def get_vote_key(proposal_id: int, voter: bytes) -> bytes:
    return VOTE_PREFIX + u64(proposal_id) + voter


def get_deposit_queue_key(end_ms: int, proposal_id: int) -> bytes:
    return DEPOSIT_QUEUE_PREFIX + u64(end_ms) + u64(proposal_id)


def get_voting_queue_key(end_ms: int, proposal_id: int) -> bytes:
    return VOTING_QUEUE_PREFIX + u64(end_ms) + u64(proposal_id)


def get_vote_delegation_key(delegator: bytes) -> bytes:
    return VOTE_DELEGATION_PREFIX + delegator


def get_vote_delegators_key(delegate: bytes, delegator: bytes) -> bytes:
    return VOTE_DELEGATORS_PREFIX + delegate + delegator


def get_grant_key(grant_id: int) -> bytes:
    return GRANT_PREFIX + u64(grant_id)


def get_grant_queue_key(height: int, grant_id: int) -> bytes:
    return GRANT_QUEUE_PREFIX + u64(height) + u64(grant_id)


TABLES: dict[bytes, type] = {  # record type per key prefix (genesis rows)
    COUNTERS_KEY: Counters,
    PROPOSAL_PREFIX: Proposal,
    DEPOSIT_PREFIX: Deposit,
    VOTE_PREFIX: Vote,
    DEPOSIT_QUEUE_PREFIX: Marker,
    VOTING_QUEUE_PREFIX: Marker,
    VOTE_DELEGATION_PREFIX: VoteDelegation,
    VOTE_DELEGATORS_PREFIX: Marker,
    GRANT_PREFIX: Grant,
    GRANT_QUEUE_PREFIX: Marker,
    TOTALS_KEY: Totals,
    GUARDIAN_KEY: Guardian,
}
