"""Strategies for the governor's one message: the authority moving one param of a module (auth
aside: a fee floor near 2**63 would stop every later tx and end the exploration) to a value within
its bounds, and the same change from another account or out of bounds."""
from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.params import INT
from akechain.testing.governor import MsgSetParams


def st_change(ctx: Any, in_bounds: bool) -> st.SearchStrategy[MsgSetParams]:
    specs = [(name, spec) for name, ps in ctx.registry.params.items() if name != "auth" for spec in ps.specs
             if spec.kind == INT]

    def build(item: tuple[str, Any]) -> st.SearchStrategy[MsgSetParams]:
        name, spec = item
        value = st.integers(spec.lo, spec.hi) if in_bounds else st.just(spec.hi + 1)
        return value.map(lambda v: MsgSetParams(name, json.dumps({spec.name: v})))

    return st.sampled_from(specs).flatmap(build)


def valid_set_params(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    authority = ctx.query("governor", "authority")
    return st_change(ctx, True).map(lambda msg: Draft(authority or ctx.accounts[0], msg))


def invalid_set_params(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    authority = ctx.query("governor", "authority")
    others = [a for a in ctx.accounts if a != authority]
    return st.one_of(st.builds(Draft, st.sampled_from(others or list(ctx.accounts)), st_change(ctx, True)),
                     st_change(ctx, False).map(lambda msg: Draft(authority or ctx.accounts[0], msg)))


STRATEGIES = {MsgSetParams: MsgStrategies(valid_set_params, invalid_set_params)}
