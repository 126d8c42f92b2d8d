"""Upgrade message strategies: both are sent only by a passed proposal, so from an account they are
never valid (NotGovAuthorityError)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.codec import Msg
from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.upgrade.msgs import MsgCancelUpgrade, MsgSoftwareUpgrade
from akechain.chain.strategies import st_among


def st_from_account(msg: Msg) -> MsgStrategies:
    def invalid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
        return st_among(list(ctx.accounts)).map(lambda sender: Draft(sender, msg))

    return MsgStrategies(lambda ctx: st.nothing(), invalid)


STRATEGIES = {
    MsgSoftwareUpgrade: st_from_account(MsgSoftwareUpgrade("v2", 10**9, "")),
    MsgCancelUpgrade: st_from_account(MsgCancelUpgrade()),
}
