"""Market state records and their keys (prefixes 0x30-0x3f)."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.crypto import module_account
from akechain.chain.modules.market.msgs import Policy, Resources

PROVIDER_PREFIX = b"\x31"
JOB_PREFIX = b"\x32"
BID_PREFIX = b"\x33"  # + job id + provider
LEASE_PREFIX = b"\x34"
PROVIDER_LEASE_PREFIX = b"\x35"  # + provider + lease id: leases(provider)
OPEN_JOB_PREFIX = b"\x36"  # + job id: jobs still bidding or running
SEQUENCES_KEY = b"\x37"
QUEUE_PREFIX = b"\x38"  # + height + kind + id: end-of-block work due at that height
BID_SLOT_PREFIX = b"\x39"  # + job id + u16 slot: the bidder in that slot (slots 0 .. bid_count - 1)
COLLATERAL_ACCOUNT = module_account("market-collateral")

# Job status
BIDDING, ACTIVE, COMPLETED, CANCELLED, UNMATCHED = 0, 1, 2, 3, 4
JOB_STATES = ("bidding", "active", "completed", "cancelled", "unmatched")
# Lease status: RUNNING covers the escrow stream's accruing/paused/complete phases; a receipt is
# first COMMITTED (a hash of output, salt, provider and lease) and SUBMITTED once revealed
RUNNING, SUBMITTED, CLOSED, COMMITTED = 0, 1, 2, 3
LEASE_STATES = ("running", "submitted", "closed", "committed")
# Queue kinds, in the order they run within a height
Q_BID_CLOSE, Q_CHALLENGE_END, Q_SETTLE, Q_DEADLINE, Q_SPOT_DRAW, Q_REVEAL_END = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True, slots=True)
class Provider:
    hardware: Resources
    region: str
    attributes: tuple[str, ...]
    endpoint: str
    collateral: int  # uake held by the collateral account for this provider
    locked: int  # sum of the locks of its open leases
    open_leases: int
    registered_height: int
    slashed: bool  # a slash left collateral below `locked`; no bids until it is covered again
    reserved: int  # held back by its open bids (the sum of their `reserved`), so one stake backs few bids


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    consumer: bytes
    resources: Resources
    duration_blocks: int
    region: str
    attributes: tuple[str, ...]
    budget: int
    max_price: int
    created_height: int
    bid_close_height: int
    deadline_height: int
    policy: Policy
    allow: tuple[bytes, ...]
    deny: tuple[bytes, ...]
    workload: bytes  # as the consumer posted it; opaque to the chain
    status: int
    bid_count: int  # open bids while bidding (each its own key 0x33 | job | provider); the count at the close after
    leases: tuple[int, ...]
    verdict_done: bool  # redundancy: the majority was evaluated


@dataclass(frozen=True, slots=True)
class Bid:
    provider: bytes
    price: int
    latency_ms: int
    resources: Resources
    height: int
    reserved: int  # collateral it holds back: the lock it would take plus the late-withdrawal deposit
    slot: int  # its index among the job's bids (read by key at the close: no prefix scan)


@dataclass(frozen=True, slots=True)
class BidSlot:
    provider: bytes


@dataclass(frozen=True, slots=True)
class Receipt:
    output_hash: bytes  # b"" until revealed
    usage: Resources
    uptime_bps: int
    latency_ms: int
    height: int


@dataclass(frozen=True, slots=True)
class Lease:
    id: int
    job_id: int
    provider: bytes
    price: int  # uake per block
    latency_ms: int  # as bid
    locked_collateral: int
    opened_height: int
    status: int
    receipt: Receipt | None
    settle_height: int  # end of the challenge window (0: not scheduled)
    spot_checked: bool
    verifier: bytes  # assigned spot-check verifier (may be empty)
    challenge_id: int  # 0: none
    verified: bool
    closed_height: int
    close_reason: str
    commitment: bytes  # the receipt's commitment (b"" before one)
    reveal_from: int  # first height a reveal is accepted at (0: the reveal phase has not opened)
    reveal_end: int  # last height a reveal is accepted at; no reveal by then is slashed


@dataclass(frozen=True, slots=True)
class Sequences:
    next_job: int
    next_lease: int
    next_challenge: int


@dataclass(frozen=True, slots=True)
class Marker:
    """Value of an index or queue key (the key says everything)."""


def u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def get_provider_key(address: bytes) -> bytes:
    return PROVIDER_PREFIX + address


def get_job_key(job_id: int) -> bytes:
    return JOB_PREFIX + u64(job_id)


def get_bid_key(job_id: int, provider: bytes) -> bytes:
    return BID_PREFIX + u64(job_id) + provider


def get_bid_slot_key(job_id: int, slot: int) -> bytes:
    return BID_SLOT_PREFIX + u64(job_id) + slot.to_bytes(2, "big")


def get_lease_key(lease_id: int) -> bytes:
    return LEASE_PREFIX + u64(lease_id)


def get_queue_key(height: int, kind: int, item_id: int) -> bytes:
    return QUEUE_PREFIX + u64(height) + bytes([kind]) + u64(item_id)


TABLES: dict[bytes, type] = {  # record type per key prefix (genesis rows)
    PROVIDER_PREFIX: Provider,
    JOB_PREFIX: Job,
    BID_PREFIX: Bid,
    LEASE_PREFIX: Lease,
    PROVIDER_LEASE_PREFIX: Marker,
    OPEN_JOB_PREFIX: Marker,
    SEQUENCES_KEY: Sequences,
    QUEUE_PREFIX: Marker,
    BID_SLOT_PREFIX: BidSlot,
}
