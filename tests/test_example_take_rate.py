"""Raising the market take rate to 30% never breaks escrow exactness (the worked example of docs/testing.md)."""
from hypothesis import settings
from hypothesis.stateful import precondition, rule

from akechain.testing import ChainMachine


class TakeRate30(ChainMachine):
    """Random txs of every module, in blocks; at some point governance raises the take rate to 30%.
    Every declared invariant, escrow's exactness among them, is checked after every block."""

    governed = True  # adds the governor module, so `set_params` can change params as a proposal would

    @precondition(lambda self: self.chain.query("market", "params").take_rate_bps != 3_000)
    @rule()
    def raise_take_rate_to_30_percent(self) -> None:
        self.set_params("market", take_rate_bps=3_000)


TakeRate30.TestCase.settings = settings(max_examples=20, stateful_step_count=50, deadline=None)
TestTakeRate30 = TakeRate30.TestCase
