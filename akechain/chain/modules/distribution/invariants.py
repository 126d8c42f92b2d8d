"""Distribution's conservation laws: the rewards pool holds exactly what is credited and unpaid,
no validator's delegators can claim more than was credited to them, and the bank mints only the emission."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance, get_supply
from akechain.chain.modules.distribution.keeper import compute_claimable, get_totals, get_validator_rewards
from akechain.chain.modules.distribution.records import (
    DELEGATOR_START_PREFIX,
    EMISSION_KEY,
    REWARDS_POOL,
    VALIDATOR_REWARDS_PREFIX,
    DelegatorStart,
    Emission,
    ValidatorRewards,
)
from akechain.chain.modules.staking.records import DELEGATION_PREFIX, VALIDATOR_PREFIX, Delegation, Validator
from akechain.chain.store import StoreView


def check_pool(store: StoreView) -> None:
    """Pool = every validator's outstanding rewards and commission = credited - paid - swept."""
    outstanding = commission = 0
    for key, rewards in store.iterate(VALIDATOR_REWARDS_PREFIX, ValidatorRewards):
        if store.get(VALIDATOR_PREFIX + key[1:], Validator) is None:
            raise InvariantBrokenError(f"rewards of a removed validator {key[1:].hex()} linger")
        if rewards.outstanding < 0 or rewards.commission < 0:
            raise InvariantBrokenError(f"validator {key[1:].hex()} owes negative rewards {rewards}")
        outstanding, commission = outstanding + rewards.outstanding, commission + rewards.commission
    totals = get_totals(store)
    if totals.rewards_credited - totals.rewards_paid - totals.swept != outstanding:
        raise InvariantBrokenError(f"totals {totals} disagree with {outstanding} uake outstanding")
    if totals.commission_credited - totals.commission_paid != commission:
        raise InvariantBrokenError(f"totals {totals} disagree with {commission} uake of commission")
    if get_balance(store, REWARDS_POOL) != outstanding + commission:
        raise InvariantBrokenError(f"rewards pool holds {get_balance(store, REWARDS_POOL)} uake, "
                                   f"its records say {outstanding + commission}")


def check_claims(store: StoreView) -> None:
    """Every delegation has a starting point (and only those), and a validator's delegators can claim
    at most what it holds for them."""
    claims: dict[bytes, int] = {}
    starts = {key[1:]: start for key, start in store.iterate(DELEGATOR_START_PREFIX, DelegatorStart)}
    for key, delegation in store.iterate(DELEGATION_PREFIX, Delegation):
        start = starts.pop(key[1:], None)
        if start is None:
            raise InvariantBrokenError(f"delegation {key[1:].hex()} has no reward starting point")
        claim = compute_claimable(delegation.shares, get_validator_rewards(store, delegation.validator), start)
        if claim < 0:
            raise InvariantBrokenError(f"delegation {key[1:].hex()} starts past its validator's accumulator")
        claims[delegation.validator] = claims.get(delegation.validator, 0) + claim
    if starts:
        raise InvariantBrokenError(f"starting points without delegations: {sorted(k.hex() for k in starts)}")
    for operator, claimed in sorted(claims.items()):
        outstanding = get_validator_rewards(store, operator).outstanding
        if claimed > outstanding:
            raise InvariantBrokenError(f"delegators of {operator.hex()} can claim {claimed} uake, {outstanding} are held")


def check_emission(store: StoreView) -> None:
    """The bank's minted supply is the emission (distribution is the one minter). (The cap is kept
    where the emission is computed: a cap lowered below what was emitted stops it, so no check here.)"""
    emission = store.get(EMISSION_KEY, Emission)
    if emission is None:
        return  # before genesis is imported
    if emission.reward_per_block < 0:
        raise InvariantBrokenError(f"emission {emission} has a negative reward")
    if get_supply(store).minted != emission.emitted:
        raise InvariantBrokenError(f"bank minted {get_supply(store).minted} uake, the emission says {emission.emitted}")


INVARIANTS = {
    "pool": check_pool,
    "claims": check_claims,
    "emission": check_emission,
}
