"""Reads of the totals and stocks a period records, each O(1): bank's supply and balances, and the
counters kept here."""
from __future__ import annotations

from akechain.chain.modules.bank.keeper import TREASURY, get_balance, get_supply
from akechain.chain.modules.kpi.counters import get_counters
from akechain.chain.modules.kpi.records import OPEN_PERIOD_KEY, Cumulative, OpenPeriod, Stocks
from akechain.chain.modules.staking.records import BONDED_POOL
from akechain.chain.store import StoreView


def read_cumulative(store: StoreView) -> Cumulative:
    supply = get_supply(store)
    counters = get_counters(store)
    return Cumulative(
        burned=supply.burned, emitted=supply.minted, treasury_outflows=counters.treasury_outflows,
        fees=counters.fees, jobs=counters.jobs, leases=counters.leases, market_paid=counters.market_paid,
        proposals=counters.proposals, proposals_tallied=counters.proposals_tallied,
        turnout_bps_sum=counters.turnout_bps_sum,
    )


def read_stocks(store: StoreView) -> Stocks:
    counters = get_counters(store)
    return Stocks(total_supply=get_supply(store).total, bonded_supply=get_balance(store, BONDED_POOL),
                  treasury_balance=get_balance(store, TREASURY), providers=counters.providers,
                  active_providers=counters.active_providers, active_score_sum_bps=counters.active_score_sum_bps)


def get_open_period(store: StoreView) -> OpenPeriod | None:
    return store.get(OPEN_PERIOD_KEY, OpenPeriod)


def open_period(store: StoreView, index: int, start_height: int) -> None:
    store.set(OPEN_PERIOD_KEY, OpenPeriod(index, start_height, read_cumulative(store)))
