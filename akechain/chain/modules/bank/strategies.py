"""Hypothesis strategies for the bank's messages (gathered by `akechain.testing`): transfers within
the sender's balance, and transfers that must fail (zero, more than the balance, a malformed address)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend, Output


def st_funded_sender(ctx: StrategyContext) -> st.SearchStrategy[tuple[bytes, int]]:
    """(account, balance) of an account of `ctx` holding more than nothing (any account if none does)."""
    funded = [(a, b) for a in ctx.accounts if (b := ctx.query("bank", "balance", a)) > 0]
    return st.sampled_from(funded or [(a, 0) for a in ctx.accounts])


def st_recipient(ctx: StrategyContext) -> st.SearchStrategy[bytes]:
    """Mostly a known account, sometimes an address nobody holds (it must be created on credit)."""
    return st.sampled_from(ctx.accounts) | st.binary(min_size=20, max_size=20)


def valid_send(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_funded_sender(ctx).flatmap(lambda sb: st.builds(
        lambda to, amount: Draft(sb[0], MsgSend(to, amount)), st_recipient(ctx), st.integers(1, max(1, sb[1] // 4))))


def invalid_send(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_funded_sender(ctx).flatmap(lambda sb: st.one_of(
        st.builds(lambda to: Draft(sb[0], MsgSend(to, 0)), st_recipient(ctx)),
        st.builds(lambda to: Draft(sb[0], MsgSend(to, sb[1] + 1)), st_recipient(ctx)),
        st.builds(lambda to: Draft(sb[0], MsgSend(to, 1)), st.binary(max_size=19)),
    ))


def valid_multi_send(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    def build(sb: tuple[bytes, int]) -> st.SearchStrategy[Draft]:
        share = max(1, sb[1] // 12)
        outputs = st.lists(st.builds(Output, st_recipient(ctx), st.integers(1, share)), min_size=1, max_size=3)
        return outputs.map(lambda outs: Draft(sb[0], MsgMultiSend(tuple(outs))))

    return st_funded_sender(ctx).flatmap(build)


def invalid_multi_send(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_funded_sender(ctx).flatmap(lambda sb: st.one_of(
        st.just(Draft(sb[0], MsgMultiSend(()))),
        st.builds(lambda to: Draft(sb[0], MsgMultiSend((Output(to, sb[1]), Output(to, 1)))), st_recipient(ctx)),
    ))


STRATEGIES = {
    MsgSend: MsgStrategies(valid_send, invalid_send),
    MsgMultiSend: MsgStrategies(valid_multi_send, invalid_multi_send),
}
