"""Hypothesis strategies for distribution's messages (gathered by `akechain.testing`): withdrawals by
delegators and operators, withdraw addresses; and the ones distribution must refuse (no delegation,
no validator, a module account as the withdraw address)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.distribution.msgs import (
    MsgSetWithdrawAddress,
    MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
)
from akechain.chain.modules.distribution.records import REWARDS_POOL
from akechain.chain.strategies import st_among


def get_delegation_pairs(ctx: StrategyContext) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """((delegator, validator) pairs that delegate, pairs that do not) among the accounts, the targets
    of the second being validators and plain accounts alike."""
    targets = sorted({view.validator.operator for view in ctx.query("staking", "validators")} | set(ctx.accounts))
    held, missing = [], []
    for account in ctx.accounts:
        mine = {d.validator for d in ctx.query("staking", "delegations", account)}
        held.extend((account, v) for v in sorted(mine))
        missing.extend((account, v) for v in targets if v not in mine)
    return held, missing


def valid_withdraw_rewards(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_delegation_pairs(ctx)[0]).map(lambda p: Draft(p[0], MsgWithdrawDelegatorReward(p[1])))


def invalid_withdraw_rewards(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_delegation_pairs(ctx)[1]).map(lambda p: Draft(p[0], MsgWithdrawDelegatorReward(p[1])))


def get_operators(ctx: StrategyContext) -> tuple[list[bytes], list[bytes]]:
    operators = {view.validator.operator for view in ctx.query("staking", "validators")}
    return [a for a in ctx.accounts if a in operators], [a for a in ctx.accounts if a not in operators]


def valid_withdraw_commission(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_operators(ctx)[0]).map(lambda sender: Draft(sender, MsgWithdrawValidatorCommission()))


def invalid_withdraw_commission(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_operators(ctx)[1]).map(lambda sender: Draft(sender, MsgWithdrawValidatorCommission()))


def valid_set_withdraw_address(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    accounts = list(ctx.accounts)
    return st.tuples(st_among(accounts), st_among(accounts)).map(lambda p: Draft(p[0], MsgSetWithdrawAddress(p[1])))


def invalid_set_withdraw_address(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(list(ctx.accounts)).map(lambda sender: Draft(sender, MsgSetWithdrawAddress(REWARDS_POOL)))


STRATEGIES = {
    MsgWithdrawDelegatorReward: MsgStrategies(valid_withdraw_rewards, invalid_withdraw_rewards),
    MsgWithdrawValidatorCommission: MsgStrategies(valid_withdraw_commission, invalid_withdraw_commission),
    MsgSetWithdrawAddress: MsgStrategies(valid_set_withdraw_address, invalid_set_withdraw_address),
}
