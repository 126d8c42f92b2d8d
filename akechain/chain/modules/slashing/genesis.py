"""Slashing genesis.

    {"params": {...see slashing/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # signing infos and bitmap chunks

A new chain has params only (signing infos start with the first signed block); an export writes
the records too, so it re-imports to the same app hash. Without a "slashing" section the chain has
default params. (The evidence max age in block time is capped by staking's unbonding time where it
is used, so no pair of params can let stake leave before its offence is punished.)
"""
from __future__ import annotations

from akechain.chain.codec import check_json_fields, get_json_field
from akechain.chain.modules.slashing.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.slashing.records import TABLES
from akechain.chain.state_rows import export_state_rows, init_state_rows
from akechain.chain.store import StoreView

FIELDS = {"params", "state"}


def init_genesis(store: StoreView, obj: object) -> None:
    if obj is None:
        PARAMS.set(store, DEFAULT_PARAMS)
        return
    PARAMS.set(store, PARAMS.from_json(get_json_field(obj, "params", dict, "slashing")))
    check_json_fields(obj, FIELDS, "slashing")  # type: ignore[arg-type]
    if "state" in obj:  # type: ignore[operator]
        init_state_rows(store, get_json_field(obj, "state", list, "slashing"), TABLES, "slashing.state")


def export_genesis(store: StoreView) -> dict:
    return {"params": PARAMS.to_json(PARAMS.get(store)), "state": export_state_rows(store, TABLES)}
