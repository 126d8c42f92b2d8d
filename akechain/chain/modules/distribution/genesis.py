"""Distribution genesis.

    {"params": {...see distribution/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # an exported chain

A new chain has params only: the emission starts at `emission_per_block` with nothing emitted, and
the gentxs' delegations get their reward starting points through the staking hooks. An export writes
the records too (emission, accumulators, starting points, withdraw addresses, totals), so it
re-imports to the same app hash. Without a "distribution" section the chain has default params.
"""
from __future__ import annotations

from akechain.chain.modules.distribution.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.distribution.beginblock import get_initial_emission
from akechain.chain.modules.distribution.records import EMISSION_KEY, TABLES
from akechain.chain.state_rows import export_params_and_state, init_params_and_state
from akechain.chain.store import StoreView


def init_genesis(store: StoreView, obj: object) -> None:
    init_params_and_state(store, obj, "distribution", PARAMS, DEFAULT_PARAMS, TABLES,
                          lambda s, params: s.set(EMISSION_KEY, get_initial_emission(params)))


def export_genesis(store: StoreView) -> dict:
    return export_params_and_state(store, PARAMS, TABLES)
