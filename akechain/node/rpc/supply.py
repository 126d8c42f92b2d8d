"""The `/supply` view: where every uake is, from the bank's supply record, staking's pools and the
treasury's balance (each read from the same committed view, so the figures agree)."""
from __future__ import annotations

from typing import Any

from akechain.chain.modules.bank import params as bank_params
from akechain.chain.modules.bank.keeper import get_balance, get_supply
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
        "emitted": 0,  # no emission schedule yet: nothing has been minted since genesis
        "treasury": get_balance(store, bank_params.get_params(store).treasury),
    }
