"""Hypothesis strategies for slashing's message (gathered by `akechain.testing`): unjail by an
operator whose jail is over and who still bonds the minimum; and the unjails slashing must refuse
(not a validator, not jailed, tombstoned, too early)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.slashing.msgs import MsgUnjail
from akechain.chain.strategies import st_among


def get_unjail_states(ctx: StrategyContext) -> tuple[list[bytes], list[bytes]]:
    """(operators that may unjail now, operators whose unjail must fail) among the accounts."""
    minimum = ctx.query("staking", "params").min_self_delegation
    allowed, refused = [], []
    validators = {view.validator.operator: view.validator for view in ctx.query("staking", "validators")}
    for account in ctx.accounts:
        validator = validators.get(account)
        if validator is None:
            refused.append(account)
            continue
        info = ctx.query("slashing", "signing_info", account)
        delegation = next((d for d in ctx.query("staking", "delegations", account) if d.validator == account), None)
        own = 0 if delegation is None else ctx.query("staking", "delegation_value", delegation)
        early = info is not None and info.jailed_until_ms > ctx.time_ms
        (allowed if validator.jailed and not validator.tombstoned and not early and own >= minimum else refused).append(account)
    return allowed, refused


def valid_unjail(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_unjail_states(ctx)[0]).map(lambda sender: Draft(sender, MsgUnjail()))


def invalid_unjail(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_unjail_states(ctx)[1]).map(lambda sender: Draft(sender, MsgUnjail()))


STRATEGIES = {MsgUnjail: MsgStrategies(valid_unjail, invalid_unjail)}
