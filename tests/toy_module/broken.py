"""A deliberately broken module, for the kit's own tests: its mint handler credits the sender from
nothing (the bank's supply never hears of it), so `bank/balances-sum-to-supply` must catch it.
`REGISTRY` is the chain's modules plus it (`akechain simulate --registry toy_module.broken:REGISTRY`)."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from akechain.chain.codec import Msg, check_positive_amount
from akechain.chain.crypto import Address
from akechain.chain.module import Draft, Module, MsgStrategies, StrategyContext
from akechain.chain.modules.bank.keeper import increase_balance
from akechain.chain.registry import MODULES, Registry
from akechain.chain.store import BlockContext, Event, StoreView
from state.codec import tagged


@tagged(Msg, "broken/mint")
@dataclass(frozen=True, slots=True)
class MsgMint(Msg):
    amount: int

    def validate_basic(self) -> None:
        check_positive_amount(self.amount, "mint.amount")


def process_mint(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgMint) -> list[Event]:
    increase_balance(store, sender, msg.amount)  # the bug: no supply change
    return []


def st_mint(ctx: StrategyContext, amounts: st.SearchStrategy[int]) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s, n: Draft(s, MsgMint(n)), st.sampled_from(ctx.accounts), amounts)


STRATEGIES = {MsgMint: MsgStrategies(lambda ctx: st_mint(ctx, st.integers(1, 10**6)), lambda ctx: st_mint(ctx, st.just(0)))}

MODULE = Module(name="broken", prefixes=(b"\x98",), error_codes=range(980, 990), handlers={MsgMint: process_mint},
                strategies="toy_module.broken")
REGISTRY = Registry(MODULES + (MODULE,))
