"""KPI genesis.

    {"params": {"period_blocks": N, "kept_periods": K},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # an exported chain

A new chain opens period 0 at height 1 with the totals of its genesis (an exported chain's rows then
overwrite it, counters and active providers included). Optional: without a "kpi" section the chain
has default params.
"""
from __future__ import annotations

from akechain.chain.modules.kpi.keeper import open_period
from akechain.chain.modules.kpi.params import DEFAULT_PARAMS, PARAMS, Params
from akechain.chain.modules.kpi.records import TABLES
from akechain.chain.state_rows import export_params_and_state, init_params_and_state
from akechain.chain.store import StoreView


def seed(store: StoreView, params: Params) -> None:
    open_period(store, 0, 1)


def init_genesis(store: StoreView, obj: object) -> None:
    init_params_and_state(store, obj, "kpi", PARAMS, DEFAULT_PARAMS, TABLES, on_params=seed)


def export_genesis(store: StoreView) -> dict:
    return export_params_and_state(store, PARAMS, TABLES)
