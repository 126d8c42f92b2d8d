"""Hypothesis strategies for feegrant (gathered by `akechain.testing`): allowances set and revoked by
their granter, and the ones feegrant must refuse (to oneself, over another granter's, revoking none)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.feegrant.msgs import MsgGrantAllowance, MsgRevokeAllowance
from akechain.chain.strategies import st_among, st_build


def get_allowances(ctx: StrategyContext) -> dict[bytes, bytes]:
    """grantee -> granter among the accounts."""
    found = {a: ctx.query("feegrant", "allowance", a) for a in ctx.accounts}
    return {grantee: allowance.granter for grantee, allowance in found.items() if allowance is not None}


def valid_grant(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    taken = get_allowances(ctx)
    pairs = [(a, b) for a in ctx.accounts for b in ctx.accounts if a != b and taken.get(b, a) == a]
    return st_build(lambda p, limit: Draft(p[0], MsgGrantAllowance(p[1], limit)), st_among(pairs), st.integers(1, 10_000))


def invalid_grant(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    taken = get_allowances(ctx)
    others = [(a, b) for b, granter in taken.items() for a in ctx.accounts if a not in (b, granter)]
    selves = [(a, a) for a in ctx.accounts]
    return st_among(others + selves).map(lambda p: Draft(p[0], MsgGrantAllowance(p[1], 1)))


def valid_revoke(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_among(sorted(get_allowances(ctx).items())).map(lambda p: Draft(p[1], MsgRevokeAllowance(p[0])))


def invalid_revoke(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    taken = get_allowances(ctx)
    return st_among([a for a in ctx.accounts if a not in taken]).map(lambda a: Draft(a, MsgRevokeAllowance(a)))


STRATEGIES = {
    MsgGrantAllowance: MsgStrategies(valid_grant, invalid_grant),
    MsgRevokeAllowance: MsgStrategies(valid_revoke, invalid_revoke),
}
