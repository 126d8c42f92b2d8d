"""The KPI query: each kept period's figures, oldest first, then the open one (live, to the last
committed block). Read-only; at most `kept_periods` + 1 records."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.kpi.keeper import get_open_period, read_cumulative, read_stocks
from akechain.chain.modules.kpi.params import get_params
from akechain.chain.modules.kpi.records import PERIOD_PREFIX, Cumulative, Period, Stocks
from akechain.chain.store import StoreView

BPS = 10_000


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    index: int
    start_height: int
    end_height: int | None  # None while the period is open
    total_supply: int  # uake at the period's end (now for the open one)
    bonded_supply: int
    burned: int  # uake in the period
    emitted: int
    treasury_balance: int
    treasury_outflows: int  # spends and continuous grants paid
    fees: int
    jobs: int  # created
    leases: int  # opened
    paid: int  # uake paid to providers (gross)
    utilisation_bps: int  # active providers over registered providers
    providers: int
    active_providers: int  # with an open lease
    mean_reputation_bps: int  # of the active providers
    proposals: int  # submitted
    proposals_tallied: int  # whose voting ended
    turnout_bps: int  # mean turnout of the tallied ones


def compute_figures(index: int, start_height: int, end_height: int | None, start: Cumulative, end: Cumulative,
                    stocks: Stocks) -> PeriodFigures:
    tallied = end.proposals_tallied - start.proposals_tallied
    return PeriodFigures(
        index=index, start_height=start_height, end_height=end_height,
        total_supply=stocks.total_supply, bonded_supply=stocks.bonded_supply,
        burned=end.burned - start.burned, emitted=end.emitted - start.emitted,
        treasury_balance=stocks.treasury_balance, treasury_outflows=end.treasury_outflows - start.treasury_outflows,
        fees=end.fees - start.fees, jobs=end.jobs - start.jobs, leases=end.leases - start.leases,
        paid=end.market_paid - start.market_paid,
        utilisation_bps=stocks.active_providers * BPS // stocks.providers if stocks.providers else 0,
        providers=stocks.providers, active_providers=stocks.active_providers,
        mean_reputation_bps=(stocks.active_score_sum_bps // stocks.active_providers
                             if stocks.active_providers else 0),
        proposals=end.proposals - start.proposals, proposals_tallied=tallied,
        turnout_bps=(end.turnout_bps_sum - start.turnout_bps_sum) // tallied if tallied else 0,
    )


def query_periods(store: StoreView) -> list[PeriodFigures]:
    figures = [compute_figures(p.index, p.start_height, p.end_height, p.start, p.end, p.stocks)
               for _, p in store.iterate(PERIOD_PREFIX, Period)]
    current = get_open_period(store)
    if current is not None:
        figures.append(compute_figures(current.index, current.start_height, None, current.start,
                                       read_cumulative(store), read_stocks(store)))
    return figures


QUERIES = {"periods": query_periods, "params": get_params}
