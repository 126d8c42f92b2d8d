"""Gov genesis.

    {"params": {...see gov/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # an exported chain

A new chain has params only. An export writes every record too (proposals, deposits, votes, queues,
vote delegations, grants, totals), so it re-imports to the same app hash. Without a "gov" section the
chain has default params.
"""
from __future__ import annotations

from akechain.chain.codec import check_json_fields, get_json_field
from akechain.chain.modules.gov.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.gov.records import TABLES
from akechain.chain.state_rows import export_state_rows, init_state_rows
from akechain.chain.store import StoreView

FIELDS = {"params", "state"}


def init_genesis(store: StoreView, obj: object) -> None:
    params = DEFAULT_PARAMS if obj is None else PARAMS.from_json(get_json_field(obj, "params", dict, "gov"))
    PARAMS.set(store, params)
    if obj is None:
        return
    check_json_fields(obj, FIELDS, "gov")  # type: ignore[arg-type]
    if "state" in obj:  # type: ignore[operator]
        init_state_rows(store, get_json_field(obj, "state", list, "gov"), TABLES, "gov.state")


def export_genesis(store: StoreView) -> dict:
    return {"params": PARAMS.to_json(PARAMS.get(store)), "state": export_state_rows(store, TABLES)}
