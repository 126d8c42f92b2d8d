"""Read-only staking queries for RPC, CLI and tests (committed state; none writes)."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.staking import keeper as k
from akechain.chain.modules.staking.params import Params, get_params
from akechain.chain.modules.staking.records import (
    BONDED_POOL,
    DELEGATION_PREFIX,
    LAST_POWER_PREFIX,
    NOT_BONDED_POOL,
    REDELEGATION_PREFIX,
    UNBONDING_PREFIX,
    VALIDATOR_PREFIX,
    Delegation,
    LastPower,
    Redelegation,
    UnbondingDelegation,
    Validator,
)
from akechain.chain.store import StoreView


@dataclass(frozen=True, slots=True)
class ValidatorView:
    validator: Validator
    power: int  # what consensus holds for it (0 outside the active set)


@dataclass(frozen=True, slots=True)
class Pool:
    bonded: int
    not_bonded: int


def get_consensus_power(store: StoreView, operator: bytes) -> int:
    last = store.get(LAST_POWER_PREFIX + operator, LastPower)
    return 0 if last is None else last.power


def query_validators(store: StoreView) -> list[ValidatorView]:
    """Every validator, by operator address."""
    return [ValidatorView(v, get_consensus_power(store, v.operator)) for _, v in store.iterate(VALIDATOR_PREFIX, Validator)]


def query_validator(store: StoreView, operator: bytes) -> ValidatorView | None:
    validator = k.get_validator(store, operator)
    return None if validator is None else ValidatorView(validator, get_consensus_power(store, operator))


def query_delegations(store: StoreView, delegator: bytes) -> list[Delegation]:
    return [d for _, d in store.iterate(DELEGATION_PREFIX + delegator, Delegation)]


def query_delegation_value(store: StoreView, delegation: Delegation) -> int:
    """Uake a delegation is worth now."""
    return k.compute_tokens_of_shares(k.require_validator(store, delegation.validator), delegation.shares)


def query_unbonding(store: StoreView, delegator: bytes) -> list[UnbondingDelegation]:
    return [u for _, u in store.iterate(UNBONDING_PREFIX + delegator, UnbondingDelegation)]


def query_redelegations(store: StoreView, delegator: bytes) -> list[Redelegation]:
    return [r for _, r in store.iterate(REDELEGATION_PREFIX + delegator, Redelegation)]


def query_params(store: StoreView) -> Params:
    return get_params(store)


def query_pool(store: StoreView) -> Pool:
    return Pool(bonded=get_balance(store, BONDED_POOL), not_bonded=get_balance(store, NOT_BONDED_POOL))


QUERIES = {
    "validators": query_validators,
    "validator": query_validator,
    "delegations": query_delegations,
    "delegation_value": query_delegation_value,
    "unbonding": query_unbonding,
    "redelegations": query_redelegations,
    "params": query_params,
    "pool": query_pool,
}
