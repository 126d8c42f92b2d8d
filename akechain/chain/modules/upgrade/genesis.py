"""Upgrade genesis: `{"state": [["<hex key>", "<hex record>"], ...]}`, the pending plan and the applied
ones (their heights are absolute, so an export imported at initial_height H+1 keeps them valid).
Optional: a new chain has no plan. The modules' consensus versions are not part of it: init_chain
writes this binary's (as the Cosmos SDK's InitChainer)."""
from __future__ import annotations

from akechain.chain.codec import check_json_fields, get_json_field
from akechain.chain.modules.upgrade.records import TABLES
from akechain.chain.state_rows import export_state_rows, init_state_rows
from akechain.chain.store import StoreView


def init_genesis(store: StoreView, obj: object) -> None:
    if obj is None:
        return
    check_json_fields(obj, {"state"}, "upgrade")  # type: ignore[arg-type]
    init_state_rows(store, get_json_field(obj, "state", list, "upgrade"), TABLES, "upgrade.state")


def export_genesis(store: StoreView) -> dict:
    return {"state": export_state_rows(store, TABLES)}
