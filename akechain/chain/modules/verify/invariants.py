"""Verify's invariant: the bond account holds exactly the bonds of open challenges."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.verify.keeper import BOND_ACCOUNT, CHALLENGE_PREFIX, OPEN, Challenge
from akechain.chain.store import StoreView


def check_bond_account(store: StoreView) -> None:
    total = sum(c.bond for _, c in store.iterate(CHALLENGE_PREFIX, Challenge) if c.status == OPEN)
    balance = get_balance(store, BOND_ACCOUNT)
    if balance != total:
        raise InvariantBrokenError(f"bond account holds {balance} uake but open challenges bonded {total}")


INVARIANTS = {"bond-account": check_bond_account}
