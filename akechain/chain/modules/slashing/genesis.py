"""Slashing genesis.

    {"params": {...see slashing/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # signing infos and bitmap chunks

A new chain has params only (signing infos start with the first signed block); an export writes
the records too, so it re-imports to the same app hash. Without a "slashing" section the chain has
default params. (The evidence max age in block time is capped by staking's unbonding time where it
is used, so no pair of params can let stake leave before its offence is punished.)
"""
from __future__ import annotations

from akechain.chain.modules.slashing.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.slashing.records import TABLES
from akechain.chain.state_rows import export_params_and_state, init_params_and_state
from akechain.chain.store import StoreView


def init_genesis(store: StoreView, obj: object) -> None:
    init_params_and_state(store, obj, "slashing", PARAMS, DEFAULT_PARAMS, TABLES)


def export_genesis(store: StoreView) -> dict:
    return export_params_and_state(store, PARAMS, TABLES)
