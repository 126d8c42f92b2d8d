"""The toy module's strategies, as a module author declares them: pings within `max_times` (valid),
pings above it and booms that fail with a typed error (invalid)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from toy_module.msgs import MsgBoom, MsgPing

MAX_TIMES = 10  # the toy's default param


def valid_ping(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s, n: Draft(s, MsgPing(n)), st.sampled_from(ctx.accounts), st.integers(1, MAX_TIMES))


def invalid_ping(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s, n: Draft(s, MsgPing(n)), st.sampled_from(ctx.accounts), st.integers(MAX_TIMES + 1, 1_000))


def valid_boom(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """A boom always fails: "valid" is one that fails with the toy's own typed error."""
    return invalid_boom(ctx)


def invalid_boom(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s: Draft(s, MsgBoom("app")), st.sampled_from(ctx.accounts))


STRATEGIES = {MsgPing: MsgStrategies(valid_ping, invalid_ping), MsgBoom: MsgStrategies(valid_boom, invalid_boom)}
