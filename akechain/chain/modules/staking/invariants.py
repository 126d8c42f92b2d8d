"""Staking's conservation laws: each pool holds exactly the tokens its records say, shares add up,
and the power consensus holds is the bonded stake of the active set."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.staking.keeper import compute_power, get_pool, is_indexed
from akechain.chain.modules.staking.params import get_params
from akechain.chain.modules.staking.records import (
    BONDED,
    BONDED_POOL,
    DELEGATION_PREFIX,
    LAST_POWER_PREFIX,
    NOT_BONDED_POOL,
    POWER_INDEX_PREFIX,
    UNBONDING_PREFIX,
    VALIDATOR_PREFIX,
    Delegation,
    LastPower,
    Marker,
    UnbondingDelegation,
    Validator,
    get_power_index_key,
)
from akechain.chain.store import StoreView


def check_pools(store: StoreView) -> None:
    """Bonded pool = tokens of bonded validators; not-bonded pool = tokens of the others + unbonding entries."""
    held = {BONDED_POOL: 0, NOT_BONDED_POOL: 0}
    for _, validator in store.iterate(VALIDATOR_PREFIX, Validator):
        held[get_pool(validator.status)] += validator.tokens
    for _, ubd in store.iterate(UNBONDING_PREFIX, UnbondingDelegation):
        held[NOT_BONDED_POOL] += sum(e.balance for e in ubd.entries)
    for pool, name in ((BONDED_POOL, "bonded"), (NOT_BONDED_POOL, "not-bonded")):
        if get_balance(store, pool) != held[pool]:
            raise InvariantBrokenError(f"{name} pool holds {get_balance(store, pool)} uake, its records say {held[pool]}")


def check_shares(store: StoreView) -> None:
    """Every validator's shares are the sum of its delegations' (none empty), and tokens back shares."""
    shares: dict[bytes, int] = {}
    for _, delegation in store.iterate(DELEGATION_PREFIX, Delegation):
        if delegation.shares <= 0:
            raise InvariantBrokenError(f"delegation {delegation.delegator.hex()}/{delegation.validator.hex()} has no shares")
        shares[delegation.validator] = shares.get(delegation.validator, 0) + delegation.shares
    for _, validator in store.iterate(VALIDATOR_PREFIX, Validator):
        total = shares.pop(validator.operator, 0)
        if total != validator.delegator_shares:
            raise InvariantBrokenError(f"validator {validator.operator.hex()} has {validator.delegator_shares} shares, "
                                       f"its delegations {total}")
        if validator.tokens < 0 or (validator.tokens > 0 and validator.delegator_shares == 0):
            raise InvariantBrokenError(f"validator {validator.operator.hex()} has tokens without shares")
    if shares:
        raise InvariantBrokenError(f"delegations to unknown validators {sorted(v.hex() for v in shares)}")


def check_power_index(store: StoreView) -> None:
    """The power index lists exactly the validators that are not jailed and hold tokens."""
    indexed = {key for key, _ in store.iterate(POWER_INDEX_PREFIX, Marker)}
    expected = {get_power_index_key(v) for _, v in store.iterate(VALIDATOR_PREFIX, Validator) if is_indexed(v)}
    if indexed != expected:
        raise InvariantBrokenError(f"power index has {len(indexed)} keys, {len(expected)} validators qualify")


def check_consensus_power(store: StoreView) -> None:
    """The power handed to consensus is the bonded stake of the active set, and only bonded validators hold it."""
    last = {key[len(LAST_POWER_PREFIX):]: p.power for key, p in store.iterate(LAST_POWER_PREFIX, LastPower)}
    tokens = {v.operator: v.tokens for _, v in store.iterate(VALIDATOR_PREFIX, Validator) if v.status == BONDED}
    if not last and not tokens:
        return  # nothing bonded (nor, before genesis is committed, any params to read)
    params = get_params(store)
    bonded = {operator: compute_power(amount, params) for operator, amount in tokens.items()}
    if last != bonded:
        raise InvariantBrokenError(f"consensus holds powers {last}, the bonded validators' stake says {bonded}")
    if len(last) > params.max_validators:
        raise InvariantBrokenError(f"{len(last)} validators active, the max is {params.max_validators}")


INVARIANTS = {
    "pools": check_pools,
    "shares": check_shares,
    "power-index": check_power_index,
    "consensus-power": check_consensus_power,
}
