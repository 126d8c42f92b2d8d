"""JSON views of distribution records for the HTTP API. `/rewards/{address}`: what the address may
withdraw from each validator it delegates to (`rewards`: [{`validator`, `amount`}], `total`), where
withdrawals go (`withdraw_address`) and, for an operator, its unwithdrawn `commission` (uake)."""
from __future__ import annotations

from typing import Any

from akechain.chain.crypto import format_address
from akechain.chain.modules.distribution import queries
from akechain.chain.store import StoreView


def get_rewards(store: StoreView, address: bytes) -> dict[str, Any]:
    rewards = queries.query_rewards(store, address)
    return {
        "delegator": format_address(address),
        "rewards": [{"validator": format_address(r.validator), "amount": r.amount} for r in rewards.rewards],
        "total": rewards.total,
        "withdraw_address": format_address(rewards.withdraw_address),
        "commission": queries.query_commission(store, address),
    }
