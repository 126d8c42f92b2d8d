"""Staking state records and their keys (prefixes 0x80-0x8d).

Shares are integers: a validator's `delegator_shares` are claims on its `tokens`, 1:1 until a
slash lowers the tokens. Queues are keyed by completion time (BFT ms, big-endian) first, so the end
of a block reads from the front of a queue only what has matured.
"""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.crypto import module_account

VALIDATOR_PREFIX = b"\x81"  # + operator
CONSENSUS_KEY_PREFIX = b"\x82"  # + consensus pub key -> operator (keys are never shared)
POWER_INDEX_PREFIX = b"\x83"  # + (MAX_U64 - tokens) + operator: not-jailed validators with tokens, strongest first
LAST_POWER_PREFIX = b"\x84"  # + operator: the power consensus was last given (the active set)
DELEGATION_PREFIX = b"\x85"  # + delegator + validator
UNBONDING_PREFIX = b"\x86"  # + delegator + validator
UNBONDING_QUEUE_PREFIX = b"\x87"  # + completion time + delegator + validator
REDELEGATION_PREFIX = b"\x88"  # + delegator + dst + src: "stake redelegated to dst" is one prefix scan
REDELEGATION_QUEUE_PREFIX = b"\x89"  # + completion time + delegator + dst + src
VALIDATOR_QUEUE_PREFIX = b"\x8a"  # + unbonding completion time + operator
CONSENSUS_ADDRESS_PREFIX = b"\x8b"  # + consensus address -> operator: how evidence and votes name a validator
UNBONDING_BY_VALIDATOR_PREFIX = b"\x8c"  # + validator + delegator: what a slash of the validator reaches
REDELEGATION_BY_SRC_PREFIX = b"\x8d"  # + src + delegator + dst: likewise for stake moved away from src

# Module accounts (no private key: the address is a hash of the name, as Cosmos' module accounts)
BONDED_POOL = module_account("staking-bonded")
NOT_BONDED_POOL = module_account("staking-not-bonded")

BONDED, UNBONDING, UNBONDED = 0, 1, 2
STATUS_NAMES = ("bonded", "unbonding", "unbonded")
MAX_U64 = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Validator:
    operator: bytes
    consensus_pub_key: bytes
    moniker: str
    commission_rate_bps: int
    max_rate_bps: int
    max_change_rate_bps: int  # per day
    commission_updated_ms: int  # block time of the last commission change (creation counts)
    tokens: int  # uake bonded to it, held by the pool of its status
    delegator_shares: int
    status: int  # BONDED, UNBONDING, UNBONDED
    jailed: bool  # out of the active set until unjailed (slashing)
    tombstoned: bool  # jailed for good (double sign); refuses delegations
    unbonding_height: int  # while UNBONDING: when it left the active set
    unbonding_time_ms: int  # while UNBONDING: when it becomes UNBONDED
    creation_height: int


@dataclass(frozen=True, slots=True)
class Delegation:
    delegator: bytes
    validator: bytes
    shares: int


@dataclass(frozen=True, slots=True)
class UnbondingEntry:
    creation_height: int  # one entry per height: later undelegations in the same block add to it
    completion_time_ms: int
    initial_balance: int
    balance: int  # what the delegator receives at completion (slashes lower it)


@dataclass(frozen=True, slots=True)
class UnbondingDelegation:
    delegator: bytes
    validator: bytes
    entries: tuple[UnbondingEntry, ...]  # by creation height


@dataclass(frozen=True, slots=True)
class RedelegationEntry:
    creation_height: int
    completion_time_ms: int
    initial_balance: int  # tokens moved; slashable for offences of the source before the move
    balance: int
    shares_dst: int  # shares issued by the destination, what a slash of the source takes back


@dataclass(frozen=True, slots=True)
class Redelegation:
    delegator: bytes
    src_validator: bytes
    dst_validator: bytes
    entries: tuple[RedelegationEntry, ...]


@dataclass(frozen=True, slots=True)
class LastPower:
    power: int


@dataclass(frozen=True, slots=True)
class ConsensusKey:
    operator: bytes


@dataclass(frozen=True, slots=True)
class Marker:
    """Value of an index or queue key (the key says everything)."""


def u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def get_validator_key(operator: bytes) -> bytes:
    return VALIDATOR_PREFIX + operator


def get_power_index_key(validator: Validator) -> bytes:
    return POWER_INDEX_PREFIX + u64(MAX_U64 - validator.tokens) + validator.operator


def get_delegation_key(delegator: bytes, validator: bytes) -> bytes:
    return DELEGATION_PREFIX + delegator + validator


def get_unbonding_key(delegator: bytes, validator: bytes) -> bytes:
    return UNBONDING_PREFIX + delegator + validator


def get_unbonding_queue_key(time_ms: int, delegator: bytes, validator: bytes) -> bytes:
    return UNBONDING_QUEUE_PREFIX + u64(time_ms) + delegator + validator


def get_redelegation_key(delegator: bytes, src: bytes, dst: bytes) -> bytes:
    return REDELEGATION_PREFIX + delegator + dst + src


def get_redelegation_queue_key(time_ms: int, delegator: bytes, src: bytes, dst: bytes) -> bytes:
    return REDELEGATION_QUEUE_PREFIX + u64(time_ms) + delegator + dst + src


def get_validator_queue_key(validator: Validator) -> bytes:
    return VALIDATOR_QUEUE_PREFIX + u64(validator.unbonding_time_ms) + validator.operator


def get_unbonding_by_validator_key(delegator: bytes, validator: bytes) -> bytes:
    return UNBONDING_BY_VALIDATOR_PREFIX + validator + delegator


def get_redelegation_by_src_key(delegator: bytes, src: bytes, dst: bytes) -> bytes:
    return REDELEGATION_BY_SRC_PREFIX + src + delegator + dst


TABLES: dict[bytes, type] = {  # record type per key prefix (genesis rows)
    VALIDATOR_PREFIX: Validator,
    CONSENSUS_KEY_PREFIX: ConsensusKey,
    POWER_INDEX_PREFIX: Marker,
    LAST_POWER_PREFIX: LastPower,
    DELEGATION_PREFIX: Delegation,
    UNBONDING_PREFIX: UnbondingDelegation,
    UNBONDING_QUEUE_PREFIX: Marker,
    REDELEGATION_PREFIX: Redelegation,
    REDELEGATION_QUEUE_PREFIX: Marker,
    VALIDATOR_QUEUE_PREFIX: Marker,
    CONSENSUS_ADDRESS_PREFIX: ConsensusKey,
    UNBONDING_BY_VALIDATOR_PREFIX: Marker,
    REDELEGATION_BY_SRC_PREFIX: Marker,
}
