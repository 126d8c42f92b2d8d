"""Named conservation laws of the bank, checked by tests (and cheap enough for an end-of-block audit)."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import BALANCE_PREFIX, Balance, get_supply
from akechain.chain.store import StoreView


def check_no_negative_balance(store: StoreView) -> None:
    for key, balance in store.iterate(BALANCE_PREFIX, Balance):
        if balance.amount <= 0:
            raise InvariantBrokenError(f"balance of {key[1:].hex()} is {balance.amount} (stored balances are positive)")


def check_balances_sum_to_supply(store: StoreView) -> None:
    total = sum(balance.amount for _, balance in store.iterate(BALANCE_PREFIX, Balance))
    supply = get_supply(store)
    if total != supply.total:
        raise InvariantBrokenError(f"balances sum to {total} but supply.total is {supply.total}")


def check_supply_is_initial_plus_minted_minus_burned(store: StoreView) -> None:
    supply = get_supply(store)
    if supply.total != supply.initial + supply.minted - supply.burned:
        raise InvariantBrokenError(f"supply.total {supply.total} != initial {supply.initial} + minted {supply.minted} "
                                   f"- burned {supply.burned}")


INVARIANTS = {
    "no-negative-balance": check_no_negative_balance,
    "balances-sum-to-supply": check_balances_sum_to_supply,
    "supply-is-initial-plus-minted-minus-burned": check_supply_is_initial_plus_minted_minus_burned,
}
