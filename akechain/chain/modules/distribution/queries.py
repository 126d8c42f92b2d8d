"""Read-only distribution queries for RPC, CLI and tests (committed state; none writes)."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.bank.keeper import TREASURY, get_balance
from akechain.chain.modules.distribution import keeper as k
from akechain.chain.modules.distribution.beginblock import get_emission
from akechain.chain.modules.distribution.params import Params, get_params
from akechain.chain.modules.distribution.records import Emission, Totals
from akechain.chain.modules.staking.records import DELEGATION_PREFIX, Delegation
from akechain.chain.store import StoreView


@dataclass(frozen=True, slots=True)
class Reward:
    validator: bytes
    amount: int  # uake claimable now


@dataclass(frozen=True, slots=True)
class Rewards:
    delegator: bytes
    rewards: tuple[Reward, ...]  # one per delegation, by validator address
    total: int
    withdraw_address: bytes


def query_rewards(store: StoreView, delegator: bytes) -> Rewards:
    """What `delegator` may withdraw from each validator it delegates to (each O(1))."""
    rewards = tuple(Reward(d.validator, k.get_claimable(store, delegator, d.validator))
                    for _, d in store.iterate(DELEGATION_PREFIX + delegator, Delegation))
    return Rewards(delegator, rewards, sum(r.amount for r in rewards), k.get_withdraw_address(store, delegator))


def query_reward(store: StoreView, delegator: bytes, validator: bytes) -> int:
    return k.get_claimable(store, delegator, validator)


def query_commission(store: StoreView, operator: bytes) -> int:
    return k.get_validator_rewards(store, operator).commission


def query_emission(store: StoreView) -> Emission:
    return get_emission(store)


def query_totals(store: StoreView) -> Totals:
    return k.get_totals(store)


def query_treasury(store: StoreView) -> int:
    return get_balance(store, TREASURY)


def query_params(store: StoreView) -> Params:
    return get_params(store)


QUERIES = {
    "rewards": query_rewards,
    "reward": query_reward,
    "commission": query_commission,
    "emission": query_emission,
    "totals": query_totals,
    "treasury": query_treasury,
    "params": query_params,
}
