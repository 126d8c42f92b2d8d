"""Distribution genesis.

    {"params": {...see distribution/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # an exported chain

A new chain has params only: the emission starts at `emission_per_block` with nothing emitted, and
the gentxs' delegations get their reward starting points through the staking hooks. An export writes
the records too (emission, accumulators, starting points, withdraw addresses, totals), so it
re-imports to the same app hash. Without a "distribution" section the chain has default params.
"""
from __future__ import annotations

from akechain.chain.codec import check_json_fields, get_json_field
from akechain.chain.modules.distribution.beginblock import get_initial_emission
from akechain.chain.modules.distribution.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.distribution.records import EMISSION_KEY, TABLES
from akechain.chain.state_rows import export_state_rows, init_state_rows
from akechain.chain.store import StoreView

FIELDS = {"params", "state"}


def init_genesis(store: StoreView, obj: object) -> None:
    params = DEFAULT_PARAMS if obj is None else PARAMS.from_json(get_json_field(obj, "params", dict, "distribution"))
    PARAMS.set(store, params)
    store.set(EMISSION_KEY, get_initial_emission(params))
    if obj is None:
        return
    check_json_fields(obj, FIELDS, "distribution")  # type: ignore[arg-type]
    if "state" in obj:  # type: ignore[operator]
        init_state_rows(store, get_json_field(obj, "state", list, "distribution"), TABLES, "distribution.state")


def export_genesis(store: StoreView) -> dict:
    return {"params": PARAMS.to_json(PARAMS.get(store)), "state": export_state_rows(store, TABLES)}
