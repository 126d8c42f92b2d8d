"""Authz genesis: {"state": [["<hex key>", "<hex canonical record>"], ...]} (an exported chain's
grants); optional, a new chain has none."""
from __future__ import annotations

from akechain.chain.codec import check_json_fields, get_json_field
from akechain.chain.modules.authz.records import TABLES
from akechain.chain.state_rows import export_state_rows, init_state_rows
from akechain.chain.store import StoreView


def init_genesis(store: StoreView, obj: object) -> None:
    if obj is None:
        return
    check_json_fields(obj, {"state"}, "authz")  # type: ignore[arg-type]
    if "state" in obj:  # type: ignore[operator]
        init_state_rows(store, get_json_field(obj, "state", list, "authz"), TABLES, "authz.state")


def export_genesis(store: StoreView) -> dict:
    return {"state": export_state_rows(store, TABLES)}
