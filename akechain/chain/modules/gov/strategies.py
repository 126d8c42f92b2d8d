"""Hypothesis strategies for gov's messages (gathered by `akechain.testing`): proposals (text, in-bounds
param changes, treasury spends) with deposits, deposits, votes and weighted votes on open proposals,
vote delegations; and the ones gov must refuse (out-of-bounds params, closed or unknown proposals,
a delegation loop, governance-only messages sent by an account)."""
from __future__ import annotations

import json
from typing import Callable

from hypothesis import strategies as st

from akechain.chain.codec import Msg
from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.gov.msgs import (
    MsgCancelGrant,
    MsgCreateGrant,
    MsgDelegateVotes,
    MsgDeposit,
    MsgGuardianCancelProposal,
    MsgGuardianPause,
    MsgNarrowGuardian,
    MsgRetireGuardian,
    MsgSubmitProposal,
    MsgTreasurySpend,
    MsgUndelegateVotes,
    MsgUpdateParams,
    MsgVote,
    MsgWeightedVote,
)
from akechain.chain.modules.gov.records import DEPOSIT_PERIOD, OPTION_NAMES, VOTING_PERIOD, WeightedOption
from akechain.chain.strategies import st_among, st_build

OPTIONS = sorted(OPTION_NAMES)


def st_weighted_options() -> st.SearchStrategy[tuple[WeightedOption, ...]]:
    def split(chosen: list[int]) -> st.SearchStrategy[tuple[WeightedOption, ...]]:
        return st.lists(st.integers(1, 10_000 - len(chosen) + 1), min_size=len(chosen) - 1,
                        max_size=len(chosen) - 1).filter(lambda ws: sum(ws) < 10_000).map(
            lambda ws: tuple(WeightedOption(o, w) for o, w in zip(chosen, [*ws, 10_000 - sum(ws)])))

    return st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=4, unique=True).flatmap(split)


def st_param_change(in_bounds: bool) -> st.SearchStrategy[MsgUpdateParams]:
    """A change of a gov or market param that moves nothing else (the quorum, the take rate)."""
    if in_bounds:
        return st.one_of(st.integers(0, 10_000).map(lambda v: MsgUpdateParams("gov", json.dumps({"quorum_bps": v}))),
                         st.integers(0, 5_000).map(lambda v: MsgUpdateParams("market", json.dumps({"take_rate_bps": v}))))
    return st.sampled_from([MsgUpdateParams("gov", json.dumps({"quorum_bps": 10_001})),
                            MsgUpdateParams("nomodule", json.dumps({"x": 1})),
                            MsgUpdateParams("gov", json.dumps({"no_such_param": 1}))])


def st_messages(ctx: StrategyContext) -> st.SearchStrategy[tuple]:
    spend = st_build(MsgTreasurySpend, st_among(list(ctx.accounts)), st.integers(1, 10_000))
    return st.lists(st.one_of(st_param_change(True), spend), max_size=2).map(tuple)


def get_open(ctx: StrategyContext, status: int) -> list[int]:
    return [p.id for p in ctx.query("gov", "proposals") if p.status == status]


def valid_submit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    params = ctx.query("gov", "params")
    deposit = st.integers(params.min_deposit * params.min_initial_deposit_bps // 10_000, params.min_deposit)
    return st_build(lambda sender, msgs, amount: Draft(sender, MsgSubmitProposal(msgs, amount, "t", "", False)),
                     st_among(list(ctx.accounts)), st_messages(ctx), deposit)


def invalid_submit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    params = ctx.query("gov", "params")
    return st_build(lambda sender, msg: Draft(sender, MsgSubmitProposal((msg,), params.min_deposit, "t", "", False)),
                     st_among(list(ctx.accounts)), st_param_change(False))


def valid_deposit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    ids = get_open(ctx, DEPOSIT_PERIOD) + get_open(ctx, VOTING_PERIOD)
    return st_build(lambda s, i, a: Draft(s, MsgDeposit(i, a)), st_among(list(ctx.accounts)), st_among(ids),
                     st.integers(1, 5_000_000))


def invalid_deposit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    closed = [p.id for p in ctx.query("gov", "proposals") if p.status not in (DEPOSIT_PERIOD, VOTING_PERIOD)]
    unknown = len(ctx.query("gov", "proposals")) + 1
    return st_build(lambda s, i: Draft(s, MsgDeposit(i, 1)), st_among(list(ctx.accounts)),
                     st_among([*closed, unknown]))


def get_voters(ctx: StrategyContext) -> list[bytes]:
    operators = {view.validator.operator for view in ctx.query("staking", "validators")}
    return [a for a in ctx.accounts if a in operators or ctx.query("staking", "delegations", a)]


def valid_vote(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(lambda s, i, o: Draft(s, MsgVote(i, o)), st_among(get_voters(ctx)),
                     st_among(get_open(ctx, VOTING_PERIOD)), st.sampled_from(OPTIONS))


def invalid_vote(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(lambda s, i, o: Draft(s, MsgVote(i, o)), st_among(list(ctx.accounts)),
                     st_among(get_open(ctx, DEPOSIT_PERIOD) or [len(ctx.query("gov", "proposals")) + 1]),
                     st.sampled_from(OPTIONS))


def valid_weighted_vote(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(lambda s, i, o: Draft(s, MsgWeightedVote(i, o)), st_among(get_voters(ctx)),
                     st_among(get_open(ctx, VOTING_PERIOD)), st_weighted_options())


def invalid_weighted_vote(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """Weights adding up to 90%: refused whatever the proposal."""
    bad = (WeightedOption(1, 5_000), WeightedOption(3, 4_000))
    ids = [p.id for p in ctx.query("gov", "proposals")] or [1]
    return st_build(lambda s, i: Draft(s, MsgWeightedVote(i, bad)), st_among(list(ctx.accounts)), st_among(ids))


def get_delegations(ctx: StrategyContext) -> dict[bytes, bytes | None]:
    return {a: ctx.query("gov", "vote_delegation", a).delegate for a in ctx.accounts}


def valid_delegate_votes(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    delegates = get_delegations(ctx)
    pairs = [(a, b) for a in ctx.accounts for b in ctx.accounts if a != b and delegates[b] is None]
    return st_among(pairs).map(lambda p: Draft(p[0], MsgDelegateVotes(p[1])))


def invalid_delegate_votes(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    delegates = get_delegations(ctx)
    loops = [(a, a) for a in ctx.accounts] + [(b, a) for a, b in delegates.items() if b is not None]
    return st_among(loops).map(lambda p: Draft(p[0], MsgDelegateVotes(p[1])))


def valid_undelegate_votes(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among([a for a, b in get_delegations(ctx).items() if b is not None]).map(
        lambda a: Draft(a, MsgUndelegateVotes()))


def invalid_undelegate_votes(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among([a for a, b in get_delegations(ctx).items() if b is None]).map(
        lambda a: Draft(a, MsgUndelegateVotes()))


def st_authority_only(build: Callable[[bytes], Msg]) -> MsgStrategies:
    """A message only a passed proposal (or the guardian, which simulations do not have) sends: never
    valid from an account (NotAuthorityError, GuardianPowerError)."""

    def invalid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
        return st_build(lambda s, r: Draft(s, build(r)), st_among(list(ctx.accounts)), st_among(list(ctx.accounts)))

    return MsgStrategies(lambda ctx: st.nothing(), invalid)


STRATEGIES = {
    MsgSubmitProposal: MsgStrategies(valid_submit, invalid_submit),
    MsgDeposit: MsgStrategies(valid_deposit, invalid_deposit),
    MsgVote: MsgStrategies(valid_vote, invalid_vote),
    MsgWeightedVote: MsgStrategies(valid_weighted_vote, invalid_weighted_vote),
    MsgDelegateVotes: MsgStrategies(valid_delegate_votes, invalid_delegate_votes),
    MsgUndelegateVotes: MsgStrategies(valid_undelegate_votes, invalid_undelegate_votes),
    MsgTreasurySpend: st_authority_only(lambda r: MsgTreasurySpend(r, 1)),
    MsgCreateGrant: st_authority_only(lambda r: MsgCreateGrant(r, 1, 10**6)),
    MsgCancelGrant: st_authority_only(lambda r: MsgCancelGrant(1)),
    MsgNarrowGuardian: st_authority_only(lambda r: MsgNarrowGuardian(())),
    MsgRetireGuardian: st_authority_only(lambda r: MsgRetireGuardian()),
    MsgGuardianCancelProposal: st_authority_only(lambda r: MsgGuardianCancelProposal(1)),
    MsgGuardianPause: st_authority_only(lambda r: MsgGuardianPause("pause_market_jobs", True)),
    MsgUpdateParams: st_authority_only(lambda r: MsgUpdateParams("gov", json.dumps({"quorum_bps": 0}))),
}
