"""Hypothesis strategies for staking's messages (gathered by `akechain.testing`): validators created
by funded accounts, delegations, undelegations, redelegations and cancellations within what the
sender holds, and the bad inputs staking must refuse (unknown validators, amounts above the
delegation, redelegating to the same validator, self-delegations below the minimum)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.strategies import st_among, st_build, st_one_of
from akechain.chain.modules.staking.msgs import (
    MsgBeginRedelegate,
    MsgCancelUnbondingDelegation,
    MsgCreateValidator,
    MsgDelegate,
    MsgEditValidator,
    MsgUndelegate,
)

UNKNOWN_VALIDATOR = b"\xee" * 20
consensus_keys = st.binary(min_size=32, max_size=32)


def get_validators(ctx: StrategyContext) -> list[bytes]:
    return [view.validator.operator for view in ctx.query("staking", "validators") if not view.validator.tombstoned]


def get_delegations(ctx: StrategyContext) -> list[tuple[bytes, bytes, int]]:
    """(delegator, validator, value in uake) of the accounts' delegations worth something."""
    found = []
    for account in ctx.accounts:
        for delegation in ctx.query("staking", "delegations", account):
            value = ctx.query("staking", "delegation_value", delegation)
            if value > 0:
                found.append((account, delegation.validator, value))
    return found


def valid_create(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    minimum = ctx.query("staking", "params").min_self_delegation
    validators = set(get_validators(ctx))
    funded = [(a, b) for a in ctx.accounts if a not in validators and (b := ctx.query("bank", "balance", a)) > 2 * minimum]

    def build(ab: tuple[bytes, int]) -> st.SearchStrategy[Draft]:
        return st_build(lambda key, rate, bond: Draft(ab[0], MsgCreateValidator(key, "sim", rate, 2_000, 100, bond)),
                         consensus_keys, st.integers(0, 2_000), st.integers(minimum, min(ab[1] // 2, minimum * 10)))

    return st_among(funded).flatmap(build)


def invalid_create(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    minimum = ctx.query("staking", "params").min_self_delegation
    return st_one_of(
        st_build(lambda s, key: Draft(s, MsgCreateValidator(key, "low", 0, 2_000, 100, max(0, minimum - 1))),
                  st.sampled_from(ctx.accounts), consensus_keys),
        st_build(lambda s, key: Draft(s, MsgCreateValidator(key, "rate", 3_000, 2_000, 100, minimum)),  # above its max
                  st.sampled_from(ctx.accounts), consensus_keys),
    )


def valid_edit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """A new moniker (the commission stays: its daily change limit depends on time), by an operator among the accounts."""
    operators = [v for v in get_validators(ctx) if v in ctx.accounts]
    return st_build(lambda v, name: Draft(v, MsgEditValidator(name, None)), st_among(operators),
                     st.text("abcdefgh", min_size=1, max_size=8))


def invalid_edit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    validators = set(get_validators(ctx))
    strangers = [a for a in ctx.accounts if a not in validators]
    return st_build(lambda s: Draft(s, MsgEditValidator("x", None)), st_among(strangers))


def valid_delegate(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    funded = [(a, b) for a in ctx.accounts if (b := ctx.query("bank", "balance", a)) > 10]
    return st_build(lambda ab, v, share: Draft(ab[0], MsgDelegate(v, max(1, ab[1] * share // 100))),
                     st_among(funded), st_among(get_validators(ctx)), st.integers(1, 10))


def invalid_delegate(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_one_of(st_build(lambda s: Draft(s, MsgDelegate(UNKNOWN_VALIDATOR, 1)), st.sampled_from(ctx.accounts)),
                     st_build(lambda s, v: Draft(s, MsgDelegate(v, 10**15)), st.sampled_from(ctx.accounts),
                               st_among(get_validators(ctx))))


def valid_undelegate(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_delegations(ctx)).flatmap(
        lambda d: st.integers(1, d[2]).map(lambda n: Draft(d[0], MsgUndelegate(d[1], n))))


def invalid_undelegate(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_one_of(st_among(get_delegations(ctx)).map(lambda d: Draft(d[0], MsgUndelegate(d[1], d[2] + 1))),
                     st_build(lambda s: Draft(s, MsgUndelegate(UNKNOWN_VALIDATOR, 1)), st.sampled_from(ctx.accounts)))


def valid_redelegate(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    validators = get_validators(ctx)

    def build(d: tuple[bytes, bytes, int]) -> st.SearchStrategy[Draft]:
        return st_build(lambda dst, n: Draft(d[0], MsgBeginRedelegate(d[1], dst, n)),
                         st_among([v for v in validators if v != d[1]]), st.integers(1, d[2]))

    return st_among(get_delegations(ctx)).flatmap(build)


def invalid_redelegate(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_one_of(st_among(get_delegations(ctx)).map(lambda d: Draft(d[0], MsgBeginRedelegate(d[1], d[1], 1))),
                     st_among(get_delegations(ctx)).map(lambda d: Draft(d[0], MsgBeginRedelegate(d[1], UNKNOWN_VALIDATOR, 1))),
                     st_build(lambda s, v: Draft(s, MsgBeginRedelegate(UNKNOWN_VALIDATOR, v, 1)),  # no such delegation
                              st.sampled_from(ctx.accounts), st_among(get_validators(ctx) + [UNKNOWN_VALIDATOR[::-1]])))


def get_unbonding_entries(ctx: StrategyContext) -> list[tuple[bytes, bytes, int, int]]:
    """(delegator, validator, creation height, balance) of the accounts' unbonding entries."""
    return [(a, u.validator, e.creation_height, e.balance) for a in ctx.accounts
            for u in ctx.query("staking", "unbonding", a) for e in u.entries if e.balance > 0]


def valid_cancel(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_unbonding_entries(ctx)).flatmap(lambda e: st.integers(1, e[3]).map(
        lambda n: Draft(e[0], MsgCancelUnbondingDelegation(e[1], n, e[2]))))


def invalid_cancel(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_one_of(
        st_build(lambda s, v: Draft(s, MsgCancelUnbondingDelegation(v, 1, 10**9)), st.sampled_from(ctx.accounts),
                  st_among(get_validators(ctx) + [UNKNOWN_VALIDATOR])),
        st_among(get_unbonding_entries(ctx)).map(lambda e: Draft(e[0], MsgCancelUnbondingDelegation(e[1], e[3] + 1, e[2]))),
    )


STRATEGIES = {
    MsgCreateValidator: MsgStrategies(valid_create, invalid_create),
    MsgEditValidator: MsgStrategies(valid_edit, invalid_edit),
    MsgDelegate: MsgStrategies(valid_delegate, invalid_delegate),
    MsgUndelegate: MsgStrategies(valid_undelegate, invalid_undelegate),
    MsgBeginRedelegate: MsgStrategies(valid_redelegate, invalid_redelegate),
    MsgCancelUnbondingDelegation: MsgStrategies(valid_cancel, invalid_cancel),
}
