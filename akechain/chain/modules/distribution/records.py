"""Distribution state records and their keys (prefixes 0xc0-0xc5).

Rewards per share, not per token: staking's shares are the one thing a slash leaves alone (it lowers
a validator's tokens, so every share of it loses value alike), so a per-share accumulator needs no
slash events at all, unlike Cosmos' per-token F1 (which records each slash fraction in a period). The
accumulator is a 32-byte big-endian integer: uake per share × PRECISION, cumulative, never lowered.
"""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.crypto import module_account

EMISSION_KEY = b"\xc1"
VALIDATOR_REWARDS_PREFIX = b"\xc2"  # + operator
DELEGATOR_START_PREFIX = b"\xc3"  # + delegator + validator
WITHDRAW_ADDRESS_PREFIX = b"\xc4"  # + delegator
TOTALS_KEY = b"\xc5"

# holds every reward credited and not yet paid (delegators' and commission)
REWARDS_POOL = module_account("distribution")
PRECISION = 10**18
WORD = 32


def encode_word(value: int) -> bytes:
    return value.to_bytes(WORD, "big")


def decode_word(word: bytes) -> int:
    return int.from_bytes(word, "big")


ZERO_WORD = encode_word(0)


@dataclass(frozen=True, slots=True)
class Emission:
    reward_per_block: int  # uake this epoch's blocks mint (before the cap)
    next_decay_height: int  # first height of the next epoch
    emitted: int  # uake minted so far


@dataclass(frozen=True, slots=True)
class ValidatorRewards:
    reward_per_share: bytes  # word: cumulative uake per share × PRECISION credited to its delegators
    remainder: int  # uake × PRECISION credited but not yet spread (less than one unit per share)
    outstanding: int  # uake credited to its delegators and not yet paid (claims are floored, so ≥ their sum)
    commission: int  # uake of commission not yet withdrawn


@dataclass(frozen=True, slots=True)
class DelegatorStart:
    reward_per_share: bytes  # word: the validator's accumulator when this delegation was last settled


@dataclass(frozen=True, slots=True)
class WithdrawAddress:
    address: bytes


@dataclass(frozen=True, slots=True)
class Totals:
    """Cumulative uake since genesis, for the conservation laws (pool = credited - paid - swept)."""

    rewards_credited: int  # to delegators
    rewards_paid: int
    commission_credited: int
    commission_paid: int
    swept: int  # rounding dust of removed validators, given to the treasury


EMPTY_REWARDS = ValidatorRewards(ZERO_WORD, 0, 0, 0)
EMPTY_TOTALS = Totals(0, 0, 0, 0, 0)


def get_validator_rewards_key(operator: bytes) -> bytes:
    return VALIDATOR_REWARDS_PREFIX + operator


def get_delegator_start_key(delegator: bytes, validator: bytes) -> bytes:
    return DELEGATOR_START_PREFIX + delegator + validator


def get_withdraw_address_key(delegator: bytes) -> bytes:
    return WITHDRAW_ADDRESS_PREFIX + delegator


TABLES: dict[bytes, type] = {  # record type per key prefix (genesis rows)
    EMISSION_KEY: Emission,
    VALIDATOR_REWARDS_PREFIX: ValidatorRewards,
    DELEGATOR_START_PREFIX: DelegatorStart,
    WITHDRAW_ADDRESS_PREFIX: WithdrawAddress,
    TOTALS_KEY: Totals,
}
