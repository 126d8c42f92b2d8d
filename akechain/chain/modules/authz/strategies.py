"""Hypothesis strategies for authz (gathered by `akechain.testing`): grants of bank sends with small
limits, revocations, and hot keys sending within their grant; and the uses authz must refuse (no
grant, a type not granted, over the limit, a self-grant)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.authz.msgs import MsgExec, MsgGrant, MsgRevoke
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.strategies import st_among, st_build

DAY_MS = 24 * 3600 * 1000


def get_pairs(ctx: StrategyContext) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """((granter, grantee) with a live grant, pairs without one)."""
    granted, missing = [], []
    for granter in ctx.accounts:
        live = {v.grantee for v in ctx.query("authz", "grants", granter) if v.grant.expiration_ms > ctx.time_ms + 60_000}
        granted.extend((granter, grantee) for grantee in sorted(live))
        missing.extend((granter, g) for g in ctx.accounts if g != granter and g not in live)
    return granted, missing


def valid_grant(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    pairs = [(a, b) for a in ctx.accounts for b in ctx.accounts if a != b]
    return st_build(lambda p, limit: Draft(p[0], MsgGrant(p[1], ("bank/send",), limit, 60_000, ctx.time_ms + DAY_MS)),
                    st_among(pairs), st.integers(0, 10_000))


def invalid_grant(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(list(ctx.accounts)).map(
        lambda a: Draft(a, MsgGrant(a, ("bank/send",), 1, 60_000, ctx.time_ms + DAY_MS)))


def valid_revoke(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_pairs(ctx)[0]).map(lambda p: Draft(p[0], MsgRevoke(p[1])))


def invalid_revoke(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(get_pairs(ctx)[1]).map(lambda p: Draft(p[0], MsgRevoke(p[1])))


def valid_exec(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """A send of at most what is left of the period's limit (nothing, if the limit is spent: a zero-spend grant refuses any send)."""
    usable = []
    for granter, grantee in get_pairs(ctx)[0]:
        grant = ctx.query("authz", "grant", granter, grantee)
        if grant.spend_limit - grant.spent >= 1:
            usable.append((granter, grantee, grant.spend_limit - grant.spent))
    return st_among(usable).flatmap(lambda u: st.integers(1, u[2]).map(
        lambda amount: Draft(u[1], MsgExec(u[0], (MsgSend(u[1], amount),)))))


def invalid_exec(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    granted, missing = get_pairs(ctx)
    over = st_among(granted).map(lambda p: Draft(p[1], MsgExec(p[0], (MsgSend(p[1], 10**12),))))
    ungranted = st_among(missing).map(lambda p: Draft(p[1], MsgExec(p[0], (MsgSend(p[1], 1),))))
    return st.one_of(*[s for s in (over, ungranted) if not s.is_empty]) if granted or missing else st.nothing()


STRATEGIES = {
    MsgGrant: MsgStrategies(valid_grant, invalid_grant),
    MsgRevoke: MsgStrategies(valid_revoke, invalid_revoke),
    MsgExec: MsgStrategies(valid_exec, invalid_exec),
}
