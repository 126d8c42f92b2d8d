"""The distribution keeper: credit a validator's share of a block's rewards (commission first, the
rest spread over its shares), settle a delegation's rewards in O(1), and the staking hooks that keep
each delegation's starting point in step with its shares. Money moves only through the bank keeper.

A delegation's claim is `shares × (validator accumulator - its start) // PRECISION`. The accumulator
rises by `(amount × PRECISION + remainder) // shares` with the remainder carried, so the shares
never claim more than was credited; each claim is floored, so the validator's `outstanding` is at
least the sum of its delegations' claims, and the dust left when its last share goes is swept to
the treasury.
"""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.crypto import Address
from akechain.chain.modules.bank.keeper import TREASURY, process_transfer
from akechain.chain.modules.distribution.params import BPS
from akechain.chain.modules.distribution.records import (
    EMPTY_REWARDS,
    EMPTY_TOTALS,
    PRECISION,
    REWARDS_POOL,
    TOTALS_KEY,
    DelegatorStart,
    Totals,
    ValidatorRewards,
    WithdrawAddress,
    decode_word,
    encode_word,
    get_delegator_start_key,
    get_validator_rewards_key,
    get_withdraw_address_key,
)
from akechain.chain.modules.staking.keeper import get_delegation
from akechain.chain.modules.staking.records import Validator
from akechain.chain.store import BlockContext, StoreView


class DistributionBrokenError(RuntimeError):
    """Distribution state contradicts staking's (a bug, never a bad tx)."""


def get_validator_rewards(store: StoreView, operator: bytes) -> ValidatorRewards:
    found = store.get(get_validator_rewards_key(operator), ValidatorRewards)
    return EMPTY_REWARDS if found is None else found


def get_totals(store: StoreView) -> Totals:
    found = store.get(TOTALS_KEY, Totals)
    return EMPTY_TOTALS if found is None else found


def increase_totals(store: StoreView, **amounts: int) -> None:
    totals = get_totals(store)
    store.set(TOTALS_KEY, replace(totals, **{name: getattr(totals, name) + n for name, n in amounts.items()}))


def get_withdraw_address(store: StoreView, delegator: bytes) -> Address:
    found = store.get(get_withdraw_address_key(delegator), WithdrawAddress)
    return Address(delegator if found is None else found.address)


def set_withdraw_address(store: StoreView, delegator: bytes, address: bytes) -> None:
    if address == delegator:
        store.delete(get_withdraw_address_key(delegator))
    else:
        store.set(get_withdraw_address_key(delegator), WithdrawAddress(address))


def compute_commission(amount: int, rate_bps: int) -> int:
    return amount * rate_bps // BPS


def credit_validator(store: StoreView, validator: Validator, amount: int) -> None:
    """Credit `amount` (already in the rewards pool) to `validator`: its commission, then its shares."""
    rewards = get_validator_rewards(store, validator.operator)
    commission = compute_commission(amount, validator.commission_rate_bps)
    if validator.delegator_shares == 0:  # no one to share with (cannot happen for a bonded signer)
        commission = amount
    spread = amount - commission
    reward_per_share, remainder = decode_word(rewards.reward_per_share), rewards.remainder
    if spread:
        increase, remainder = divmod(spread * PRECISION + remainder, validator.delegator_shares)
        reward_per_share += increase
    store.set(get_validator_rewards_key(validator.operator), ValidatorRewards(
        encode_word(reward_per_share), remainder, rewards.outstanding + spread, rewards.commission + commission))
    increase_totals(store, rewards_credited=spread, commission_credited=commission)


def compute_claimable(shares: int, rewards: ValidatorRewards, start: DelegatorStart) -> int:
    return shares * (decode_word(rewards.reward_per_share) - decode_word(start.reward_per_share)) // PRECISION


def get_delegator_start(store: StoreView, delegator: bytes, operator: bytes) -> DelegatorStart:
    start = store.get(get_delegator_start_key(delegator, operator), DelegatorStart)
    if start is None:
        raise DistributionBrokenError(f"delegation {delegator.hex()}/{operator.hex()} has no reward starting point")
    return start


def get_claimable(store: StoreView, delegator: bytes, operator: bytes) -> int:
    """Uake `delegator` could withdraw from `operator` now (0 without a delegation); O(1)."""
    delegation = get_delegation(store, delegator, operator)
    if delegation is None:
        return 0
    return compute_claimable(delegation.shares, get_validator_rewards(store, operator),
                             get_delegator_start(store, delegator, operator))


def withdraw_delegation_rewards(store: StoreView, delegator: bytes, operator: bytes) -> int:
    """Pay what the delegation earned at its current shares to the withdraw address and restart it
    from the validator's accumulator now (a new delegation just starts there); returns the uake paid."""
    rewards = get_validator_rewards(store, operator)
    paid = get_claimable(store, delegator, operator)
    if paid:
        process_transfer(store, REWARDS_POOL, get_withdraw_address(store, delegator), paid)
        store.set(get_validator_rewards_key(operator), replace(rewards, outstanding=rewards.outstanding - paid))
        increase_totals(store, rewards_paid=paid)
    store.set(get_delegator_start_key(delegator, operator), DelegatorStart(rewards.reward_per_share))
    return paid


def withdraw_commission(store: StoreView, operator: bytes) -> int:
    rewards = get_validator_rewards(store, operator)
    if rewards.commission:
        process_transfer(store, REWARDS_POOL, get_withdraw_address(store, operator), rewards.commission)
        store.set(get_validator_rewards_key(operator), replace(rewards, commission=0))
        increase_totals(store, commission_paid=rewards.commission)
    return rewards.commission


# -- staking hooks ----------------------------------------------------------------------------


def settle_delegation(store: StoreView, ctx: BlockContext, delegator: bytes, operator: bytes) -> None:
    """Before a delegation's shares change: pay what the old shares earned (as Cosmos' withdraw on
    BeforeDelegationSharesModified), so the new shares start from the accumulator now."""
    withdraw_delegation_rewards(store, delegator, operator)


def forget_delegation(store: StoreView, ctx: BlockContext, delegator: bytes, operator: bytes) -> None:
    store.delete(get_delegator_start_key(delegator, operator))


def forget_validator(store: StoreView, ctx: BlockContext, operator: bytes) -> None:
    """A validator without shares is gone: its commission goes to its operator, the rounding dust of
    its delegators' claims (none is left to claim) to the treasury."""
    withdraw_commission(store, operator)
    rewards = get_validator_rewards(store, operator)
    if rewards.outstanding:
        process_transfer(store, REWARDS_POOL, TREASURY, rewards.outstanding)
        increase_totals(store, swept=rewards.outstanding)
    store.delete(get_validator_rewards_key(operator))
