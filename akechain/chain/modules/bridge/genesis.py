"""Bridge genesis.

    {"params": {...see bridge/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # every bridge record

A new chain has params only (EVM keys are registered by tx, valsets and batches made in end block);
an export writes the records too, so it re-imports to the same app hash. Without a "bridge" section
the chain has default params.
"""
from __future__ import annotations

from akechain.chain.codec import check_json_fields, get_json_field
from akechain.chain.modules.bridge.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.bridge.records import TABLES
from akechain.chain.state_rows import export_state_rows, init_state_rows
from akechain.chain.store import StoreView

FIELDS = {"params", "state"}


def init_genesis(store: StoreView, obj: object) -> None:
    if obj is None:
        PARAMS.set(store, DEFAULT_PARAMS)
        return
    PARAMS.set(store, PARAMS.from_json(get_json_field(obj, "params", dict, "bridge")))
    check_json_fields(obj, FIELDS, "bridge")  # type: ignore[arg-type]
    if "state" in obj:  # type: ignore[operator]
        init_state_rows(store, get_json_field(obj, "state", list, "bridge"), TABLES, "bridge.state")


def export_genesis(store: StoreView) -> dict:
    return {"params": PARAMS.to_json(PARAMS.get(store)), "state": export_state_rows(store, TABLES)}
