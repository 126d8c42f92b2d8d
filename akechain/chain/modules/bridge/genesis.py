"""Bridge genesis.

    {"params": {...see bridge/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # every bridge record

A new chain has params only (EVM keys are registered by tx, valsets and batches made in end block);
an export writes the records too, so it re-imports to the same app hash. Without a "bridge" section
the chain has default params.
"""
from __future__ import annotations

from akechain.chain.modules.bridge.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.bridge.records import TABLES
from akechain.chain.state_rows import export_params_and_state, init_params_and_state
from akechain.chain.store import StoreView


def init_genesis(store: StoreView, obj: object) -> None:
    init_params_and_state(store, obj, "bridge", PARAMS, DEFAULT_PARAMS, TABLES)


def export_genesis(store: StoreView) -> dict:
    return export_params_and_state(store, PARAMS, TABLES)
