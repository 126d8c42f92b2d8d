"""A test release's upgrade, loaded as `akechain start --upgrade-plugin upgrade_plugin:UPGRADE` (tests/
on PYTHONPATH): plan "v2" takes the market to consensus version 2, whose migration halves the take
rate (a state change a query shows). `FAILING` is the same plan with a migration that writes, then
fails: the node must stop with nothing of the block applied."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.module import Upgrade
from akechain.chain.modules.market.module import MODULE as MARKET
from akechain.chain.modules.market.params import PARAMS as MARKET_PARAMS
from akechain.chain.store import BlockContext, StoreView

PLAN = "v2"


def halve_take_rate(store: StoreView, ctx: BlockContext) -> None:
    params = MARKET_PARAMS.get(store)
    MARKET_PARAMS.set(store, replace(params, take_rate_bps=params.take_rate_bps // 2))


def fail_after_writing(store: StoreView, ctx: BlockContext) -> None:
    halve_take_rate(store, ctx)
    raise ValueError("the v2 migration cannot read a record")


UPGRADE = Upgrade(PLAN, (replace(MARKET, consensus_version=2, migrations={1: halve_take_rate}),))
FAILING = Upgrade(PLAN, (replace(MARKET, consensus_version=2, migrations={1: fail_after_writing}),))
