"""The `/supply` view: where every uake is, from the bank's supply record, staking's pools, the
distribution's emission and the treasury's balance (each read from the same committed view, so the
figures agree)."""
from __future__ import annotations

from typing import Any

from akechain.chain.modules.bank.keeper import TREASURY, get_balance, get_supply
from akechain.chain.modules.distribution import queries as distribution_queries
from akechain.chain.modules.staking import queries as staking_queries
from akechain.chain.store import StoreView


def get_supply_json(store: StoreView) -> dict[str, Any]:
    supply = get_supply(store)
    pool = staking_queries.query_pool(store)
    return {
        "total": supply.total,
        "initial": supply.initial,
        "bonded": pool.bonded,
        "not_bonded": pool.not_bonded,
        "burned": supply.burned,
        "emitted": distribution_queries.query_emission(store).emitted,
        "treasury": get_balance(store, TREASURY),
    }
